import { strict as assert } from "assert";
import type * as pulumi from "@pulumi/pulumi";
import {
    PATCH_FORCE,
    awaitCaBundle,
    awaitWebhookServer,
    envFromSecret,
    failClosedValidation,
    labelClusterScoped,
    serviceNodePort,
    validationOwnedByIstiod,
} from "../components/chart-transforms";
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
    Service: "kubernetes:core/v1:Service",
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
        // In ambient, the cni chart's roles (istio/istio 1.31.0-rc.0 istio-cni/templates/clusterrole.yaml, clusterrolebinding.yaml).
        const ambient = labClusterObjects("1.31.1", { prometheus: true, kiali: true }, "istio-system", true).map((o) => `${o.kind}/${o.name}`);
        assert.deepEqual(
            ambient.filter((n) => !current.includes(n)),
            [
                "ClusterRole/istio-cni",
                "ClusterRoleBinding/istio-cni",
                "ClusterRole/istio-cni-repair-role",
                "ClusterRoleBinding/istio-cni-repair-rolebinding",
                "ClusterRole/istio-cni-ambient",
                "ClusterRoleBinding/istio-cni-ambient",
            ],
        );
        assert.ok(!current.some((n) => n.includes("istio-cni")), "sidecars install no cni");
    });
    it("leaves the validating webhooks' policy to istiod only on webhook objects, forcing later applies", async () => {
        const out = (await apply(validationOwnedByIstiod, defaultValidator))!;
        assert.equal(out.webhooks[0].failurePolicy, "Ignore", "as the chart renders it");
        assert.equal(out.metadata.annotations[PATCH_FORCE], "true");
        assert.deepEqual(out.metadata.labels, defaultValidator.metadata.labels);
        assert.equal(await apply(validationOwnedByIstiod, injector), undefined, "the injector is not a validating webhook");
        assert.equal(await apply(validationOwnedByIstiod, deployment), undefined);
    });

    it("sets a variable from a Secret on one container of one Deployment, replacing a literal of the same name, and nothing else", async () => {
        const transform = envFromSecret("kiali", "kiali", "LOGIN_TOKEN_SIGNING_KEY", { name: "kiali-signing-key", key: "value.txt" });
        const kiali = {
            kind: "Deployment",
            metadata: { name: "kiali" },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "kiali",
                                env: [
                                    { name: "LOG_LEVEL", value: "info" },
                                    { name: "LOGIN_TOKEN_SIGNING_KEY", value: "plain" },
                                ],
                            },
                            { name: "sidecar", env: [{ name: "A", value: "1" }] },
                        ],
                    },
                },
            },
        };
        const [main, other] = (await apply(transform, kiali))!.spec.template.spec.containers;
        assert.deepEqual(main.env, [
            { name: "LOG_LEVEL", value: "info" },
            { name: "LOGIN_TOKEN_SIGNING_KEY", valueFrom: { secretKeyRef: { name: "kiali-signing-key", key: "value.txt" } } },
        ]);
        assert.deepEqual(other, kiali.spec.template.spec.containers[1], "another container is left alone");
        assert.equal(await apply(transform, { ...kiali, metadata: { name: "grafana" } }), undefined, "another Deployment");
        assert.equal(await apply(transform, { ...kiali, kind: "Service" }), undefined, "not a Deployment");
    });

    it("pins one port's node port on one Service, and nothing else", async () => {
        const transform = serviceNodePort("kiali", 20001, 30201);
        const kiali = { kind: "Service", metadata: { name: "kiali" }, spec: { ports: [{ port: 20001 }, { port: 9090 }] } };
        assert.deepEqual((await apply(transform, kiali))!.spec.ports, [{ port: 20001, nodePort: 30201 }, { port: 9090 }]);
        assert.equal(await apply(transform, { ...kiali, metadata: { name: "grafana" } }), undefined);
        assert.equal(await apply(transform, { ...kiali, kind: "Deployment" }), undefined);
        assert.equal(labelClusterScoped({ a: "1", b: "2" }).name, "labelClusterScoped(a=1,b=2)");
    });

    it("adds the startup probe to Deployments only", async () => {
        const pod = { spec: { template: { spec: { containers: [{ name: "discovery" }] } } } };
        assert.equal(await apply(awaitWebhookServer, { kind: "Service", metadata: { name: "istiod" }, ...pod }), undefined);
    });
});
