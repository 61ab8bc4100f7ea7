import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { CRD_TYPE, PATCH_FORCE, adoptExistingCrds, deleteKeptObjects, deletedWithCluster, deletedWithNamespace } from "../components/teardown";
import { Evaluation } from "../mocks/evaluate";
import { evaluateConfig } from "./support/lab";

/**
 * An object as Istio's base chart renders it: every CRD carries `helm.sh/resource-policy: keep`
 * (istio/istio 1.30.3 manifests/charts/base/files/crd-all.gen.yaml; 1.14.6 crds/crd-all.gen.yaml), and
 * Chart v4 registers it with RetainOnDelete(true) (pulumi-kubernetes provider/pkg/provider/helm/v4/
 * chart.go `preregister`).
 */
const keptCrd = {
    type: CRD_TYPE,
    name: "lab-mesh-base:virtualservices.networking.istio.io",
    custom: true,
    props: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "virtualservices.networking.istio.io", annotations: { "helm.sh/resource-policy": "keep" }, labels: { app: "istio-pilot" } },
    },
    opts: { retainOnDelete: true } as pulumi.CustomResourceOptions,
};

const serviceAccount = {
    type: "kubernetes:core/v1:ServiceAccount",
    name: "lab-mesh-base:istio-system/istio-reader-service-account",
    custom: true,
    props: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "istio-reader-service-account", namespace: "istio-system" } },
    opts: {} as pulumi.CustomResourceOptions,
};

async function run(transform: pulumi.ResourceTransform, args: typeof keptCrd | typeof serviceAccount) {
    return transform(structuredClone(args));
}

/** The names of a resource and its ancestors, nearest first. */
function ancestry(lab: Evaluation, name: string): string[] {
    const byName = new Map(lab.resources.map((r) => [r.name, r]));
    const chain: string[] = [];
    for (let r = byName.get(name); r; r = r.parent ? byName.get(r.parent) : undefined) chain.push(r.name);
    return chain;
}

describe("teardown: what down deletes and what up takes over", () => {
    describe("Helm's keep policy", () => {
        it("is deleted with the lab: a kept object loses the RetainOnDelete Chart v4 gives it", async () => {
            const result = await run(deleteKeptObjects, keptCrd);
            assert.equal(result?.opts.retainOnDelete, false);
            assert.deepEqual(result?.props, keptCrd.props, "the object itself is unchanged");
        });

        it("leaves objects without the policy alone", async () => {
            assert.equal(await run(deleteKeptObjects, serviceAccount), undefined);
        });
    });

    describe("CRDs already on the cluster", () => {
        it("are applied over with force, whoever wrote them", async () => {
            const result = await run(adoptExistingCrds, keptCrd);
            assert.deepEqual(result?.props.metadata.annotations, { "helm.sh/resource-policy": "keep", [PATCH_FORCE]: "true" });
            assert.equal(PATCH_FORCE, "pulumi.com/patchForce");
            assert.deepEqual(result?.props.metadata.labels, keptCrd.props.metadata.labels);
            assert.equal(await run(adoptExistingCrds, serviceAccount), undefined, "only CRDs");
        });

        it("are created by a provider that creates over existing objects, on the same cluster", async () => {
            const lab = await evaluateConfig({ cluster: { kubeconfig: "/etc/lab/kubeconfig", context: "lab" } });
            const providers = new Map(lab.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => [r.name, r.inputs]));
            assert.deepEqual(providers.get("lab-cluster-adopting-provider"), {
                kubeconfig: "/etc/lab/kubeconfig",
                context: "lab",
                enableConfigMapMutable: "true",
                upsertExistingObjects: "true",
            });
            assert.equal(providers.get("lab-cluster-provider")!.upsertExistingObjects, undefined, "nothing else is taken over silently");
            const base = lab.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "istio-base")!;
            assert.equal(base.provider, "lab-cluster-adopting-provider");
        });
    });

    describe("a kind cluster's objects", () => {
        it("are deleted with the cluster: their own deletes are skipped", async () => {
            const cluster = { name: "the kind cluster" } as unknown as pulumi.Resource;
            const transform = deletedWithCluster(cluster);
            const result = await run(transform, serviceAccount);
            assert.equal(result?.opts.deletedWith, cluster);
            const component = { ...serviceAccount, type: "kubernetes:helm.sh/v4:Chart", custom: false };
            assert.equal(await run(transform, component), undefined, "a chart component has no delete of its own");
            assert.equal(await run(transform, { ...serviceAccount, type: "command:local:Command" }), undefined);
        });
    });

    describe("a namespaced object", () => {
        const namespace = { name: "istio-system's Namespace" } as unknown as pulumi.Resource;
        const transform = deletedWithNamespace(() => new Map([["istio-system", namespace]]));

        it("is deleted with its namespace, which the lab owns: its own delete is skipped", async () => {
            assert.equal((await run(transform, serviceAccount))?.opts.deletedWith, namespace);
        });

        it("unless it goes with something already, is cluster-scoped, or is in a namespace the lab does not own", async () => {
            const cluster = { name: "the kind cluster" } as unknown as pulumi.Resource;
            assert.equal(await run(transform, { ...serviceAccount, opts: { deletedWith: cluster } }), undefined);
            assert.equal(await run(transform, keptCrd), undefined, "a CRD has no namespace");
            const elsewhere = { ...serviceAccount, props: { ...serviceAccount.props, metadata: { name: "x", namespace: "default" } } };
            assert.equal(await run(transform, elsewhere), undefined);
            assert.equal(await run(transform, { ...serviceAccount, type: "kubernetes:helm.sh/v4:Chart", custom: false }), undefined);
            assert.equal(await run(transform, { ...serviceAccount, type: "command:local:Command" }), undefined, "only Kubernetes objects");
        });
    });

    describe("the transforms reach every object", () => {
        it("through the components that hold the lab's objects, the charts' objects included", async () => {
            const lab = await evaluateConfig();
            // Charts have transforms of their own (components/chart-transforms.ts); the lab's are these.
            const holders = lab.resources.filter((r) => r.transforms.includes("deleteKeptObjects"));
            assert.deepEqual(holders.map((r) => r.name).sort(), ["lab-addons", "lab-boutique", "lab-ingress", "lab-mesh", "lab-traffic"]);
            for (const holder of holders)
                assert.deepEqual(holder.transforms, ["deleteKeptObjects", "adoptExistingCrds", "deleteWithNamespace", "skipServiceAwait"], holder.name);
            // The engine runs a resource's ancestors' transforms on it (pulumi/pulumi v3.248.0
            // pkg/resource/deploy/source_eval.go RegisterResource), also for what a chart registers.
            for (const r of lab.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
                assert.ok(
                    ancestry(lab, r.name).some((a) => holders.some((h) => h.name === a)),
                    `${r.type} ${r.name} is below a component with the transforms`,
                );
            }
        });

        it("with the kind cluster's, on a kind stack", async () => {
            const lab = await evaluateConfig({ cluster: { kind: { enabled: true } } }, "demo");
            const mesh = lab.resources.find((r) => r.name === "lab-mesh")!;
            assert.deepEqual(mesh.transforms, ["deleteKeptObjects", "adoptExistingCrds", "deleteWithCluster", "deleteWithNamespace", "skipServiceAwait"]);
        });
    });
});
