/**
 * How the lab's objects leave the cluster: resource transforms the Lab hands to its components. They
 * run in the engine for every descendant, the objects a Helm chart renders included (a `helm.v4.Chart`
 * registers its objects from the provider's process, where no option of this program reaches them
 * otherwise). Pure functions of their arguments; the specs call them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { withMetadata } from "./transforms";

/** Helm's annotation that asks Helm's own client to leave an object behind on uninstall. */
export const RESOURCE_POLICY = "helm.sh/resource-policy";

/**
 * The provider's annotation that forces a server-side apply over fields another manager owns
 * (pulumi-kubernetes provider/pkg/metadata/annotations.go `AnnotationPatchForce`, read by
 * provider/pkg/await/await.go `patchForce` on create and update).
 */
export const PATCH_FORCE = "pulumi.com/patchForce";

export const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

type Metadata = { annotations?: Record<string, unknown> } & Record<string, unknown>;

function annotations(props: pulumi.Inputs): Record<string, unknown> | undefined {
    return (props?.metadata as Metadata | undefined)?.annotations;
}

/**
 * Deletes on teardown what a chart marks `helm.sh/resource-policy: keep`. Chart v4 turns that
 * annotation into RetainOnDelete(true) (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go,
 * `preregister`), and Istio's base chart marks every CRD `keep` (istio/istio
 * manifests/charts/base/files/crd-all.gen.yaml; crds/crd-all.gen.yaml before 1.24): without this,
 * `destroy` leaves Istio's CRDs on the cluster. The lab's promise is a teardown that leaves nothing.
 */
export const deleteKeptObjects: pulumi.ResourceTransform = ({ props, opts }) => {
    if (annotations(props)?.[RESOURCE_POLICY] !== "keep") return undefined;
    return { props, opts: { ...opts, retainOnDelete: false } };
};

/**
 * CRDs the lab installs take over the ones already on the cluster (left by an earlier lab, by
 * `helm uninstall`, which keeps them, or by another Istio install), whichever field manager wrote
 * them: the base chart's provider creates over existing objects (`upsertExistingObjects`), and this
 * annotation forces the apply where another manager's values differ (another Istio version's schema).
 */
export const adoptExistingCrds: pulumi.ResourceTransform = (args) =>
    args.type === CRD_TYPE ? withMetadata(args, "annotations", { [PATCH_FORCE]: "true" }) : undefined;

/**
 * On a cluster the lab created (kind), its objects go with it: destroy deletes the cluster and skips
 * every object's own delete (the engine does not call Delete for a resource whose `deletedWith` is
 * deleted in the same run: pulumi/pulumi v3.248.0 pkg/resource/deploy/step.go `isDeletedWith`), so
 * `down` completes even when the cluster is already gone or stopped.
 */
export function deletedWithCluster(cluster: pulumi.Resource): pulumi.ResourceTransform {
    const deleteWithCluster: pulumi.ResourceTransform = ({ type, custom, props, opts }) => {
        if (!custom || !type.startsWith("kubernetes:")) return undefined;
        return { props, opts: { ...opts, deletedWith: cluster } };
    };
    return deleteWithCluster;
}

/**
 * A namespaced object goes with its namespace, where the lab owns it: destroy skips the object's own
 * delete (as for the kind cluster above) and the namespace's delete, which the provider awaits until
 * the namespace is gone, has the namespace controller delete everything in it at once. The engine
 * deletes in layers, each started only once the one before has finished (pulumi/pulumi v3.248.0
 * pkg/resource/deploy/deployment_executor.go: "each list must execute completes before the next list
 * can safely begin"), so a lab's dependency chain (routes, workloads, istiod, addons, CRDs) made
 * `down` wait for its slowest object at every link; only cluster-scoped objects keep theirs. An object
 * that already goes with something (the kind cluster) keeps that. The namespaces are looked up when
 * the engine runs the transform, after the Lab's constructor has made them.
 */
export function deletedWithNamespace(namespaces: () => ReadonlyMap<string, pulumi.Resource>): pulumi.ResourceTransform {
    const deleteWithNamespace: pulumi.ResourceTransform = ({ type, custom, props, opts }) => {
        if (!custom || !type.startsWith("kubernetes:") || opts.deletedWith) return undefined;
        const namespace = (props?.metadata as { namespace?: unknown } | undefined)?.namespace;
        const owner = typeof namespace === "string" ? namespaces().get(namespace) : undefined;
        return owner ? { props, opts: { ...opts, deletedWith: owner } } : undefined;
    };
    return deleteWithNamespace;
}

/** How every object of the lab leaves the cluster: with the kind cluster, else with its namespace. */
export function teardownTransforms(
    kindCluster: pulumi.Resource | undefined,
    namespaces: () => ReadonlyMap<string, pulumi.Resource>,
): pulumi.ResourceTransform[] {
    return [deleteKeptObjects, adoptExistingCrds, ...(kindCluster ? [deletedWithCluster(kindCluster)] : []), deletedWithNamespace(namespaces)];
}
