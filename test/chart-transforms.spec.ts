import { strict as assert } from "assert";
import type * as pulumi from "@pulumi/pulumi";
import { awaitCaBundle, awaitWebhookServer, failClosedValidation, labelClusterScoped } from "../components/chart-transforms";
import { labClusterObjects } from "../catalog/cluster-objects";

/**
 * The objects as Istio's charts render them (istio/istio 1.27.9: manifests/charts/base/templates/
 * defaultrevision-validatingwebhookconfiguration.yaml, and the istiod chart's mutatingwebhook.yaml),
 * trimmed to what the transforms look at. Under mocks a Chart has no children, so the transforms are
 * checked here as the engine calls them: once per rendered object.
 */
const defaultValidator = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "istiod-default-validator", labels: { app: "istiod", "istio.io/rev": "default" } },
    webhooks: [
        {
            name: "validation.istio.io",
            clientConfig: { service: { name: "istiod", namespace: "istio-system", path: "/validate" } },
            failurePolicy: "Ignore",
            sideEffects: "None",
            admissionReviewVersions: ["v1"],
        },
    ],
};
const injector = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "istio-sidecar-injector", labels: { "istio.io/rev": "default" } },
    webhooks: ["rev.namespace", "rev.object", "namespace", "object"].map((prefix) => ({
        name: `${prefix}.sidecar-injector.istio.io`,
        clientConfig: { service: { name: "istiod", namespace: "istio-system", path: "/inject" } },
        failurePolicy: "Fail",
    })),
};
const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "istiod" }, spec: { replicas: 1 } };

const TYPES: Record<string, string> = {
    ValidatingWebhookConfiguration: "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
    ClusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    ClusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    MutatingWebhookConfiguration: "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    Deployment: "kubernetes:apps/v1:Deployment",
};

async function apply(transform: pulumi.ResourceTransform, object: { kind: string; metadata: { name: string } }) {
    const opts = { ignoreChanges: ["metadata.labels"] };
    const result = await transform({
        type: TYPES[object.kind],
        name: `istiod:istio-system/${object.metadata.name}`,
        custom: true,
        props: structuredClone(object),
        opts,
    });
    if (result !== undefined) assert.equal(result.opts, opts, "options pass through unchanged");
    return result?.props as Record<string, any> | undefined;
}

describe("chart transforms: what the lab changes in what Istio's charts render", () => {
    it("renders every validating webhook fail-closed, as istiod keeps it, and leaves the rest of the object alone", async () => {
        const out = (await apply(failClosedValidation, defaultValidator))!;
        assert.deepEqual(
            out.webhooks.map((w: { failurePolicy: string }) => w.failurePolicy),
            ["Fail"],
        );
        assert.deepEqual({ ...out, webhooks: undefined }, { ...defaultValidator, webhooks: undefined });
        assert.deepEqual(out.webhooks[0].clientConfig, defaultValidator.webhooks[0].clientConfig);
        assert.equal(defaultValidator.webhooks[0].failurePolicy, "Ignore", "the rendered object is not mutated");
        const two = { ...defaultValidator, webhooks: [defaultValidator.webhooks[0], { ...defaultValidator.webhooks[0], name: "rev.validation.istio.io" }] };
        assert.deepEqual(
            (await apply(failClosedValidation, two))!.webhooks.map((w: { failurePolicy: string }) => w.failurePolicy),
            ["Fail", "Fail"],
        );
    });

    it("does not touch the injection webhook or anything else", async () => {
        assert.equal(await apply(failClosedValidation, injector), undefined);
        assert.equal(await apply(failClosedValidation, deployment), undefined);
    });

    it("makes every webhook object wait until istiod has written its CA bundle", async () => {
        for (const object of [defaultValidator, injector]) {
            const out = (await apply(awaitCaBundle, object))!;
            assert.equal(out.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.webhooks[0].clientConfig.caBundle}", object.kind);
            assert.deepEqual(out.metadata.labels, object.metadata.labels);
            assert.deepEqual(out.webhooks, object.webhooks);
        }
        const annotated = { ...injector, metadata: { ...injector.metadata, annotations: { "team.example/owner": "mesh" } } };
        assert.equal((await apply(awaitCaBundle, annotated))!.metadata.annotations["team.example/owner"], "mesh", "keeps the chart's annotations");
        assert.equal(await apply(awaitCaBundle, deployment), undefined);
    });
    it("holds istiod's readiness back until its webhook server listens on :15017, and touches nothing else", async () => {
        // istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/templates/deployment.yaml: the container
        // "discovery" with containerPort 15017 and a readiness probe on /ready :8080; pilot-discovery's --httpsAddr
        // defaults to :15017 (pilot/cmd/pilot-discovery/app/cmd.go).
        const discovery = {
            name: "discovery",
            ports: [{ containerPort: 8080 }, { containerPort: 15017 }],
            readinessProbe: { httpGet: { path: "/ready", port: 8080 }, initialDelaySeconds: 1, periodSeconds: 3 },
        };
        const istiod = { ...deployment, spec: { replicas: 1, template: { spec: { containers: [discovery, { name: "other" }] } } } };
        const out = (await apply(awaitWebhookServer, istiod))!;
        const [container, other] = out.spec.template.spec.containers;
        assert.deepEqual(container.startupProbe, { tcpSocket: { port: 15017 }, periodSeconds: 1, failureThreshold: 300 });
        assert.deepEqual({ ...container, startupProbe: undefined }, { ...discovery, startupProbe: undefined }, "the readiness probe stays");
        assert.deepEqual(other, { name: "other" });
        assert.equal(out.spec.replicas, 1);
        assert.equal(await apply(awaitWebhookServer, { ...istiod, metadata: { name: "istio-ingressgateway" } }), undefined, "another Deployment");
        assert.equal(await apply(awaitWebhookServer, injector), undefined, "not a Deployment");
    });
    it("labels every cluster-scoped object a chart renders with the stack that owns it, and nothing namespaced", async () => {
        const label = labelClusterScoped({ "boutique-mesh.io/stack": "dev" });
        for (const kind of ["ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]) {
            const object = { kind, metadata: { name: "x", labels: { app: "istiod" } } };
            assert.deepEqual((await apply(label, object))!.metadata.labels, { app: "istiod", "boutique-mesh.io/stack": "dev" }, kind);
        }
        assert.equal(await apply(label, deployment), undefined);
        assert.equal(label.name, "labelClusterScoped(boutique-mesh.io/stack=dev)");
    });

    it("knows the cluster-scoped objects the lab's charts create, by the names their templates give them", () => {
        const names = (version: string, addons = { prometheus: true, kiali: true }) => labClusterObjects(version, addons).map((o) => `${o.kind}/${o.name}`);
        // istio/istio 1.30.3 istio-discovery/templates clusterrole.yaml ("istiod-clusterrole-<namespace>",
        // "istiod-gateway-controller-<namespace>"), reader-clusterrole.yaml, mutatingwebhook.yaml ("istio-sidecar-injector"),
        // validatingwebhookconfiguration.yaml ("istio-validator-<namespace>"); base defaultrevision-...yaml ("istiod-default-validator").
        const current = names("1.31.1");
        for (const name of [
            "ClusterRole/istiod-clusterrole-istio-system",
            "ClusterRoleBinding/istiod-gateway-controller-istio-system",
            "ClusterRole/istio-reader-clusterrole-istio-system",
            "MutatingWebhookConfiguration/istio-sidecar-injector",
            "ValidatingWebhookConfiguration/istio-validator-istio-system",
            "ValidatingWebhookConfiguration/istiod-default-validator",
            "ClusterRole/prometheus",
            "ClusterRoleBinding/kiali",
            "ClusterRole/kiali-viewer",
        ])
            assert.ok(current.includes(name), name);
        assert.ok(!current.includes("ClusterRole/istiod-istio-system"), "the base chart renders no RBAC from 1.19");
        // istio/istio 1.14.6 manifests/charts/base/templates/clusterrole.yaml: istiod-<ns> and istio-reader-<ns>.
        assert.ok(names("1.14.6").includes("ClusterRole/istiod-istio-system") && names("1.18.7").includes("ClusterRoleBinding/istio-reader-istio-system"));
        assert.ok(!names("1.31.1", { prometheus: false, kiali: false }).some((n) => /prometheus|kiali/.test(n)), "addons that are off create nothing");
    });
});
