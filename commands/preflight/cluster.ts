/**
 * Before the engine starts: the cluster answers, kind clusters and their host ports do not collide,
 * no two stacks share a cluster by accident.
 */
import * as net from "net";
import * as path from "path";
import { kindClusterName } from "../../components/cluster/cluster";
import { kubeTarget, kubeconfigFiles, mergeKubeconfigs, pinnedCluster } from "../../components/cluster/kubeconfig";
import { LabConfig, configKey } from "../../config/schema";
import { PreflightError, RunTool, onPath, runTool } from "./tools";

/** The API server of the kubeconfig context the lab targets, read from the kubeconfig files as kubectl and the program merge them. */
export function clusterServer(config: LabConfig, env: NodeJS.ProcessEnv = process.env): { server: string; context: string; kubeconfig: string } {
    const files = kubeconfigFiles(config.cluster, env);
    const merged = mergeKubeconfigs(files);
    const shown = files.join(path.delimiter);
    if (merged.files.length === 0)
        throw new PreflightError(
            `no kubeconfig at ${shown}: set boutique-mesh:cluster.kubeconfig, KUBECONFIG, or enable boutique-mesh:cluster.kind ` +
                "(npm run lab -- up does that itself for a stack that names no cluster, when Docker and kind are installed)",
        );
    const context = config.cluster.context ?? merged.currentContext;
    const entry = context !== undefined ? merged.contexts.get(context) : undefined;
    if (context === undefined || entry === undefined) {
        throw new PreflightError(`${shown} has no context ${context ?? "(no current context)"}; contexts: ${[...merged.contexts.keys()].join(", ") || "none"}`);
    }
    const target = kubeTarget(merged, context);
    if (target === undefined) throw new PreflightError(`${shown}: context ${context} names cluster ${entry.cluster}, which has no server`);
    return { server: target.server, context, kubeconfig: shown };
}

/** Opens a TCP connection to the API server: enough to tell "no cluster" from "a cluster". */
export async function checkCluster(config: LabConfig, timeoutMs = 5000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
    if (config.cluster.kind.enabled) {
        const missing = ["docker", "kind"].filter((tool) => !onPath(tool, env));
        if (missing.length > 0)
            throw new PreflightError(`boutique-mesh:cluster.kind needs ${missing.join(" and ")} on PATH: https://kind.sigs.k8s.io/docs/user/quick-start/`);
        return "a kind cluster the lab creates";
    }
    const { server, context } = clusterServer(config, env);
    const url = new URL(server);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port, timeout: timeoutMs });
        socket.once("connect", () => (socket.destroy(), resolve()));
        socket.once("timeout", () => (socket.destroy(), reject(new Error(`no answer within ${timeoutMs}ms`))));
        socket.once("error", reject);
    }).catch((error: Error) => {
        throw new PreflightError(`no cluster reachable at ${server} (context ${context}): ${error.message}`);
    });
    return `${server} (context ${context})`;
}

// ---------------------------------------------------------------------------------------------------
// kind clusters

/**
 * kind stacks of one run that would collide: the same host port on 127.0.0.1 (every kind stack defaults
 * to 8080) or the same cluster name. The message names the stack to change and the key.
 */
export function checkKindCollisions(stacks: { stack: string; config: LabConfig }[]): void {
    const problems: string[] = [];
    for (const [what, value, key] of [
        ["host port", (c: LabConfig) => String(c.cluster.kind.hostPort), ["cluster", "kind", "hostPort"]],
        ["cluster name", (c: LabConfig, stack: string) => kindClusterName(c.cluster, stack), ["cluster", "kind", "name"]],
    ] as const) {
        const first = new Map<string, string>();
        for (const { stack, config } of stacks.filter((s) => s.config.cluster.kind.enabled)) {
            const v = value(config, stack);
            const holder = first.get(v);
            if (holder === undefined) first.set(v, stack);
            else
                problems.push(
                    `stacks ${holder} and ${stack} both give their kind cluster the ${what} ${v}: set ${configKey([...key])} in Pulumi.${stack}.yaml`,
                );
        }
    }
    if (problems.length > 0) throw new PreflightError(problems.join("\n"));
}

/**
 * Stacks of one run that target the same cluster (the same server and CA, however their contexts are
 * named): one lab per cluster, and the second would stop half-way in its engine on the first one's
 * namespaces. Refused before the first engine starts, naming the stacks and the key that moves one.
 */
export function checkSharedClusters(stacks: { stack: string; config: LabConfig }[], env: NodeJS.ProcessEnv = process.env): void {
    const first = new Map<string, string>();
    const problems: string[] = [];
    for (const { stack, config } of stacks.filter((s) => !s.config.cluster.kind.enabled)) {
        const cluster = pinnedCluster(config.cluster, env);
        const target = kubeTarget(mergeKubeconfigs(kubeconfigFiles(cluster, env)), cluster.context);
        if (target === undefined) continue;
        const holder = first.get(target.identifier);
        if (holder === undefined) first.set(target.identifier, stack);
        else
            problems.push(
                `stacks ${holder} and ${stack} both target the cluster at ${target.server} (context ${target.context}): one lab per cluster; ` +
                    `point Pulumi.${stack}.yaml at another one (boutique-mesh:cluster.context, or cluster.kind), or bring the stacks up one at a time, taking the other down first`,
            );
    }
    if (problems.length > 0) throw new PreflightError(problems.join("\n"));
}

/** The state of a kind cluster's node containers, as kind itself lists them (docker label io.x-k8s.kind.cluster). */
export type KindState = "absent" | "running" | "stopped";

/**
 * Asks docker for the cluster's nodes the way kind does (kubernetes-sigs/kind v0.32.0
 * pkg/cluster/internal/providers/docker/provider.go ListNodes: `docker ps -a` filtered on the label).
 */
export function kindState(name: string, run: RunTool = runTool): KindState {
    const lines = run("docker", ["ps", "-a", "--filter", `label=io.x-k8s.kind.cluster=${name}`, "--format", "{{.Names}} {{.State}}"])
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
    if (lines.length === 0) return "absent";
    return lines.every((l) => l.endsWith(" running")) ? "running" : "stopped";
}

/** Whether a TCP port on 127.0.0.1 can be listened on. */
export function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

// ---------------------------------------------------------------------------------------------------
// What the stack's state says
