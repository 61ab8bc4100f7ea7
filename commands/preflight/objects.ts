/**
 * What is already on the cluster that an up would meet: namespaces, cluster-scoped objects and Istio
 * CRDs that another lab or a leftover holds, each with whose it is and what to do.
 */
import { STACK_LABEL } from "../../components/labels";
import { ClusterScopedKind, KUBECTL_RESOURCE, labClusterObjects } from "../../catalog/cluster-objects";
import { factsRelease } from "../../catalog/releases";
import { holds } from "../../catalog/versions";
import { kindClusterName, kubectlFlags } from "../../components/cluster/cluster";
import { ISTIO_NAMESPACE } from "../../components/mesh/charts";
import { expandHome, pinnedCluster } from "../../components/cluster/kubeconfig";
import { LabConfig } from "../../config/schema";
import { PreflightError, RunTool, firstLine, onPath, runTool } from "./tools";
import { StateResource, namespacesInState, objectsInState } from "./state";
import { labShops } from "../../components/shop/shops";

/** The kubectl flags that reach the stack's pinned target, for kubectl run without a shell. */
export function pinnedFlags(stack: string, config: LabConfig, env: NodeJS.ProcessEnv): string[] {
    return kubectlFlags(pinnedCluster(config.cluster, env), stack).map((file) => expandHome(file));
}

/** Reads objects with `kubectl get ... -o json`: a List's items, one object, or none (`--ignore-not-found`). */
function kubectlObjects<T>(run: RunTool, flags: string[], args: string[], what: string): T[] {
    let doc: { kind?: string; items?: T[] } | undefined;
    try {
        const text = run("kubectl", [...flags, "get", ...args, "-o", "json"]);
        doc = text.trim() ? (JSON.parse(text) as typeof doc) : undefined;
    } catch (error) {
        throw new PreflightError(`cannot read the cluster's ${what} (kubectl get ${args[0]}): ${firstLine(error)}`);
    }
    if (doc === undefined) return [];
    return doc.kind === "List" || doc.items !== undefined ? (doc.items ?? []) : [doc as T];
}

/** Whose an object a lab would create is, by the stack label its lab puts on it; `anotherLab` when a live lab holds it. */
function whose(labels: Record<string, string> | undefined, stack: string, otherInstall: string): { text: string; anotherLab: boolean } {
    const owner = labels?.[STACK_LABEL];
    if (owner !== undefined && owner !== stack) return { text: `belongs to the lab of stack ${owner}`, anotherLab: true };
    const text = owner === stack ? "was left by an earlier lab of this stack whose state is gone" : `is no lab's: ${otherInstall}, or a leftover`;
    return { text, anotherLab: false };
}

/**
 * Cluster-scoped objects this stack's charts would create (catalog/cluster-objects.ts) that already exist
 * and are not in its state: another lab's (the stack label its charts carry says which), or leftovers of
 * an install or of a lab whose state is gone, which deleting the namespaces does not remove. From
 * pulumi-kubernetes 4.29.0 a create of an existing object fails with AlreadyExists and is not retried
 * (provider/pkg/await/await.go), after a preview that could not see it: refused here, with the commands
 * that clear them. Without kubectl the check is skipped (returns a note).
 */
export function checkClusterLeftovers(
    stack: string,
    config: LabConfig,
    resources: StateResource[],
    run: RunTool = runTool,
    env: NodeJS.ProcessEnv = process.env,
    flags: string[] = pinnedFlags(stack, config, env),
): string | undefined {
    if (!onPath("kubectl", env)) return "kubectl is not on PATH: cannot check the cluster for objects another install left";
    const addons = { prometheus: config.addons.prometheus.enabled, kiali: config.addons.kiali.enabled };
    const wanted = labClusterObjects(factsRelease(config.istio.version), addons, undefined, config.istio.dataPlane === "ambient");
    const kinds = Object.values(KUBECTL_RESOURCE).filter((resource) => wanted.some((o) => KUBECTL_RESOURCE[o.kind] === resource));
    const items = kubectlObjects<{ kind: string; metadata: { name: string; labels?: Record<string, string> } }>(
        run,
        flags,
        [kinds.join(",")],
        "cluster-scoped objects",
    );
    const ours = objectsInState(resources);
    const names = new Set(wanted.map((o) => `${o.kind}/${o.name}`));
    const found = items.filter((o) => names.has(`${o.kind}/${o.metadata.name}`) && !ours.has(`${o.kind}/${o.metadata.name}`));
    if (found.length === 0) return undefined;
    const kubectl = ["kubectl", ...flags].join(" ");
    const lines = found.map(({ kind, metadata }) => `  ${kind} ${metadata.name} ${whose(metadata.labels, stack, "another Istio or addon install").text}`);
    const byKind = new Map<string, string[]>();
    for (const { kind, metadata } of found) byKind.set(kind, [...(byKind.get(kind) ?? []), metadata.name]);
    const commands = [...byKind].map(([kind, list]) => `  ${kubectl} delete ${KUBECTL_RESOURCE[kind as ClusterScopedKind]} ${list.join(" ")}`);
    throw new PreflightError(
        `stack ${stack} would create cluster-scoped objects that are already there, and its up would stop half-way on them\n${lines.join("\n")}\n` +
            `  if nothing else needs them (another lab's: take that lab down first), clear them with:\n${commands.join("\n")}`,
    );
}

/**
 * Istio CRDs on the cluster that store a version the configured release's CRDs do not define: Istio
 * 1.22 and later store `v1` (networking from 1.27), which the CRDs of 1.14 to 1.21 lack, and the API
 * server refuses to replace a CRD that drops a stored version ("status.storedVersions[i]: Invalid value:
 * "v1": must appear in spec.versions"). The base chart adopts leftover CRDs, so such an up would fail in
 * the engine: refused here with what to do. Without kubectl the check is skipped (returns a note).
 */
export function checkStoredVersions(stack: string, config: LabConfig, run: RunTool = runTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (holds("networking-v1", factsRelease(config.istio.version))) return undefined;
    if (!onPath("kubectl", env)) return "kubectl is not on PATH: cannot check the cluster's Istio CRDs";
    const flags = pinnedFlags(stack, config, env);
    const crds = kubectlObjects<{ metadata: { name: string }; status?: { storedVersions?: string[] } }>(run, flags, ["customresourcedefinitions"], "CRDs");
    const blocking = crds.filter((c) => c.metadata.name.endsWith(".istio.io") && (c.status?.storedVersions ?? []).includes("v1"));
    if (blocking.length === 0) return undefined;
    const names = blocking.map((c) => c.metadata.name).sort();
    throw new PreflightError(
        `Istio ${config.istio.version} cannot take over the Istio CRDs on the cluster: ${names.join(", ")} store v1, which a newer Istio wrote and ` +
            `the CRDs of ${config.istio.version} do not define (the API server refuses them)\n` +
            `  install Istio 1.22 or newer (boutique-mesh:istio.version), or delete the CRDs, and with them every Istio object of those kinds on the cluster:\n` +
            `  ${["kubectl", ...flags, "delete", "customresourcedefinitions", ...names].join(" ")}`,
    );
}

/**
 * Namespaces this stack would create that already exist on the cluster and are not in its state:
 * another lab's (its stack label says which) or leftovers. Read with kubectl on the pinned target;
 * without kubectl the check is skipped (returns a note).
 */
export function checkNamespaces(
    stack: string,
    config: LabConfig,
    resources: StateResource[],
    run: RunTool = runTool,
    env: NodeJS.ProcessEnv = process.env,
    flags: string[] = pinnedFlags(stack, config, env),
): string | undefined {
    if (!onPath("kubectl", env)) return "kubectl is not on PATH: cannot check the cluster for another lab's namespaces";
    const cluster = config.cluster.kind.enabled ? { context: `kind-${kindClusterName(config.cluster, stack)}` } : pinnedCluster(config.cluster, env);
    const wanted = [ISTIO_NAMESPACE, ...labShops(config).map((shop) => shop.namespace)];
    const found = kubectlObjects<{ metadata: { name: string; labels?: Record<string, string> } }>(
        run,
        flags,
        ["namespace", ...wanted, "--ignore-not-found"],
        "namespaces",
    );
    const ours = namespacesInState(resources);
    const conflicts = found.filter((ns) => !ours.has(ns.metadata.name));
    if (conflicts.length === 0) return undefined;
    const where = cluster.context ? `context ${cluster.context}` : "the cluster";
    const kubectl = ["kubectl", ...flags].join(" ");
    const lines = conflicts.map(({ metadata }) => {
        const { text, anotherLab } = whose(metadata.labels, stack, "another install");
        const advice = anotherLab ? "" : `; if nothing else needs it: ${kubectl} delete namespace ${metadata.name}`;
        return `  namespace ${metadata.name} ${text}${advice}`;
    });
    throw new PreflightError(
        `stack ${stack} cannot go on ${where}: it would create namespaces that are already there\n${lines.join("\n")}\n` +
            `  one lab per cluster: point Pulumi.${stack}.yaml at another cluster (boutique-mesh:cluster.context, or cluster.kind), ` +
            `or take the other lab down first`,
    );
}
