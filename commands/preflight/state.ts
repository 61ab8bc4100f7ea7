/**
 * What a stack's state says (its kind cluster, the context of its last up, its objects), and a target
 * that moved since the last up.
 */
import { clusterChildren } from "../../components/cluster/cluster";
import { pinnedCluster } from "../../components/cluster/kubeconfig";
import { LAB_NAME, labCluster } from "../../components/lab";
import { LabConfig } from "../../config/schema";
import { PreflightError } from "./tools";

/** A resource of a stack's exported state (`pulumi stack export`, deployment v3). */
export interface StateResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export function stateResources(exported: { deployment?: unknown }): StateResource[] {
    return ((exported.deployment as { resources?: StateResource[] } | undefined)?.resources ?? []).filter((r) => typeof r.urn === "string");
}

/** The resource's name: the last part of its URN. */
function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** The program's Cluster children, by the names they have in every stack's state. */
const CLUSTER = clusterChildren(labCluster(LAB_NAME));

/** The kind cluster the state holds. */
export function kindInState(resources: StateResource[]): { urn: string; name: string } | undefined {
    const kind = resources.find((r) => r.type === "command:local:Command" && urnName(r.urn) === CLUSTER.kind);
    const name = (kind?.inputs?.environment as Record<string, unknown> | undefined)?.KIND_CLUSTER;
    return kind && typeof name === "string" ? { urn: kind.urn, name } : undefined;
}

/** The context the lab's provider was given at the last up (components/cluster/kubeconfig.ts pins it). */
export function recordedContext(resources: StateResource[]): string | undefined {
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes" && urnName(r.urn) === CLUSTER.provider);
    const context = provider?.inputs?.context;
    return typeof context === "string" ? context : undefined;
}

/** Every Kubernetes object the state holds, as "Kind/name". */
export function objectsInState(resources: StateResource[]): Set<string> {
    return new Set(
        resources.flatMap((r) => {
            const kind = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(r.type)?.[1];
            const name = ((r.outputs?.metadata ?? r.inputs?.metadata) as { name?: string } | undefined)?.name;
            return kind && typeof name === "string" ? [`${kind}/${name}`] : [];
        }),
    );
}

/** Names of the Namespaces the state holds. */
export function namespacesInState(resources: StateResource[]): Set<string> {
    return new Set([...objectsInState(resources)].filter((o) => o.startsWith("Namespace/")).map((o) => o.slice("Namespace/".length)));
}

/**
 * An `up` after the kubeconfig's current context changed would move the lab (components/cluster/kubeconfig.ts):
 * refused unless the stack names its context, with what to do.
 */
export function checkTarget(stack: string, config: LabConfig, resources: StateResource[], env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (config.cluster.kind.enabled) return undefined;
    const recorded = recordedContext(resources);
    const current = pinnedCluster(config.cluster, env).context;
    if (recorded === undefined || current === undefined || recorded === current) return current;
    if (config.cluster.context !== undefined) return current;
    throw new PreflightError(
        `stack ${stack} was brought up on context ${recorded}, and the current context is now ${current}: an up would move the lab.\n` +
            `  stay: kubectl config use-context ${recorded}   (or pin it: pulumi config set --stack ${stack} --path boutique-mesh:cluster.context ${recorded})\n` +
            `  move: npm run lab -- down ${stack}, then up again on ${current}`,
    );
}
