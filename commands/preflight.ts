/**
 * What `npm run lab` checks before the engine starts, each failure a PreflightError with a message that
 * says what to do: the Pulumi CLI and the provider plugins the config needs, the cluster, the kind
 * clusters' host ports, a target that moved since the last up, and namespaces another lab (or a
 * leftover) already holds. The checks take the tools they run as arguments; the specs stand in for them.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { STACK_LABEL } from "../components/labels";
import { ClusterScopedKind, KUBECTL_RESOURCE, labClusterObjects } from "../catalog/cluster-objects";
import { factsRelease } from "../catalog/releases";
import { holds } from "../catalog/versions";
import { kindClusterName, kubectlFlags } from "../components/cluster/cluster";
import { ISTIO_NAMESPACE } from "../components/mesh/charts";
import { expandHome, kubeTarget, kubeconfigFiles, mergeKubeconfigs, pinnedCluster } from "../components/cluster/kubeconfig";
import { LabConfig, configKey } from "../config/schema";
import { PROJECT_DIR } from "../config/project";

/** A check that failed before the engine started: a message, exit 1. */
export class PreflightError extends Error {}

/** Runs a tool and returns its stdout; throws when it cannot start or exits non-zero. */
export type RunTool = (file: string, args: string[]) => string;
export const runTool: RunTool = (file, args) => execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function firstLine(error: unknown): string {
    const stderr = (error as { stderr?: string }).stderr;
    return (stderr?.trim() || (error as Error).message).split("\n")[0];
}

/** The Pulumi CLI, which the Automation API drives. */
export function checkPulumiCli(run: RunTool = runTool): string {
    try {
        return run("pulumi", ["version"]).trim();
    } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        throw new PreflightError(
            missing
                ? "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh)"
                : `the Pulumi CLI does not run: ${(error as Error).message}`,
        );
    }
}

export function onPath(tool: string, env: NodeJS.ProcessEnv = process.env): boolean {
    return (env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

// ---------------------------------------------------------------------------------------------------
// Provider plugins

/** A provider plugin the config needs, at the version package-lock.json pins its SDK to. */
export interface PluginNeed {
    name: "kubernetes" | "random" | "command";
    version: string;
    /** What in the config needs it. */
    why: string;
}

/** The version package-lock.json installs of an npm package. */
export function lockedVersion(pkg: string, lockFile = path.join(PROJECT_DIR, "package-lock.json")): string {
    const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages: Record<string, { version?: string }> };
    const version = lock.packages[`node_modules/${pkg}`]?.version;
    if (!version) throw new Error(`${lockFile} does not pin ${pkg}`);
    return version;
}

/** The versions package-lock.json installs of the provider SDKs (each SDK asks the engine for its own version). */
export function lockedVersions(lockFile = path.join(PROJECT_DIR, "package-lock.json")): Record<PluginNeed["name"], string> {
    const version = (name: PluginNeed["name"]) => lockedVersion(`@pulumi/${name}`, lockFile);
    return { kubernetes: version("kubernetes"), random: version("random"), command: version("command") };
}

/**
 * The plugins the program will ask for: kubernetes always; random only for a secret it generates
 * (components/addons/addons.ts: Grafana's admin password, Kiali's signing key); command only for a kind
 * cluster (components/cluster/cluster.ts) or image copies (components/images/mirroring.ts).
 */
export function requiredPlugins(config: LabConfig, versions = lockedVersions()): PluginNeed[] {
    const { grafana, kiali } = config.addons;
    const generated = [
        ...(grafana.enabled && grafana.adminPassword === undefined ? ["Grafana's admin password"] : []),
        ...(kiali.enabled && kiali.signingKey === undefined ? ["Kiali's signing key"] : []),
    ];
    const commands = [...(config.cluster.kind.enabled ? ["cluster.kind"] : []), ...(config.images.copy.enabled ? ["images.copy"] : [])];
    return [
        { name: "kubernetes", version: versions.kubernetes, why: "every object of the lab" },
        ...(generated.length > 0 ? [{ name: "random" as const, version: versions.random, why: `generating ${generated.join(" and ")}` }] : []),
        ...(commands.length > 0 ? [{ name: "command" as const, version: versions.command, why: commands.join(" and ") }] : []),
    ];
}

/** The union of several stacks' needs, each plugin once. */
export function mergeNeeds(needs: PluginNeed[][]): PluginNeed[] {
    const merged = new Map<string, PluginNeed>();
    for (const need of needs.flat()) {
        const seen = merged.get(need.name);
        merged.set(need.name, seen && !seen.why.includes(need.why) ? { ...seen, why: `${seen.why}; ${need.why}` } : (seen ?? need));
    }
    return [...merged.values()];
}

/**
 * Each plugin in Pulumi's plugin cache at its exact version (`pulumi plugin ls --json`, which lists the
 * cache: pulumi/pulumi v3.248.0 pkg/cmd/pulumi/plugin/plugin_list.go), or, as the engine also takes
 * it, a `pulumi-resource-<name>` on PATH unless PULUMI_IGNORE_AMBIENT_PLUGINS is set
 * (sdk/go/common/workspace/plugins.go getPluginInfoAndPath). A missing one is installed with
 * `pulumi plugin install`; when that fails the message says how to install it by hand. Returns a
 * line per plugin.
 */
export function checkPlugins(
    needs: PluginNeed[],
    run: RunTool = runTool,
    env: NodeJS.ProcessEnv = process.env,
    note: (text: string) => void = () => undefined,
): string[] {
    let installed: { name: string; kind: string; version: string }[];
    try {
        installed = (JSON.parse(run("pulumi", ["plugin", "ls", "--json"]) || "[]") as typeof installed | null) ?? [];
    } catch (error) {
        throw new PreflightError(`cannot list Pulumi's plugins (pulumi plugin ls --json): ${firstLine(error)}`);
    }
    const ambient = !["1", "true"].includes(String(env.PULUMI_IGNORE_AMBIENT_PLUGINS ?? "").toLowerCase());
    return needs.map(({ name, version, why }) => {
        if (installed.some((p) => p.kind === "resource" && p.name === name && p.version === version)) return `plugin ${name} ${version}`;
        if (ambient && onPath(`pulumi-resource-${name}`, env)) return `plugin ${name} from PATH (pulumi-resource-${name})`;
        const install = ["plugin", "install", "resource", name, version];
        // A download, the slowest step before the engine: said before it starts, with its time after.
        note(`installing plugin ${name} ${version} (for ${why}): pulumi ${install.join(" ")} downloads it`);
        const started = Date.now();
        try {
            run("pulumi", install);
        } catch (error) {
            throw new PreflightError(
                `the Pulumi plugin resource ${name} ${version} (for ${why}) is missing and could not be installed: ${firstLine(error)}\n` +
                    `  install it with: pulumi ${install.join(" ")}\n` +
                    `  or, offline, from a binary: pulumi ${install.join(" ")} --file <path to pulumi-resource-${name}>`,
            );
        }
        return `plugin ${name} ${version} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`;
    });
}

// ---------------------------------------------------------------------------------------------------
// The cluster

/** The API server of the kubeconfig context the lab targets, read from the kubeconfig files as kubectl and the program merge them. */
export function clusterServer(config: LabConfig, env: NodeJS.ProcessEnv = process.env): { server: string; context: string; kubeconfig: string } {
    const files = kubeconfigFiles(config.cluster, env);
    const merged = mergeKubeconfigs(files);
    const shown = files.join(path.delimiter);
    if (merged.files.length === 0)
        throw new PreflightError(`no kubeconfig at ${shown}: set boutique-mesh:cluster.kubeconfig, KUBECONFIG, or enable boutique-mesh:cluster.kind`);
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

/** The kind cluster the state holds (components/cluster/cluster.ts names it `<cluster component>-kind`). */
export function kindInState(resources: StateResource[]): { urn: string; name: string } | undefined {
    const kind = resources.find((r) => r.type === "command:local:Command" && urnName(r.urn) === "lab-cluster-kind");
    const name = (kind?.inputs?.environment as Record<string, unknown> | undefined)?.KIND_CLUSTER;
    return kind && typeof name === "string" ? { urn: kind.urn, name } : undefined;
}

/** The context the lab's provider was given at the last up (components/cluster/kubeconfig.ts pins it). */
export function recordedContext(resources: StateResource[]): string | undefined {
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes" && urnName(r.urn) === "lab-cluster-provider");
    const context = provider?.inputs?.context;
    return typeof context === "string" ? context : undefined;
}

/** Every Kubernetes object the state holds, as "Kind/name". */
function objectsInState(resources: StateResource[]): Set<string> {
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
    const wanted = labClusterObjects(factsRelease(config.istio.version), { prometheus: config.addons.prometheus.enabled, kiali: config.addons.kiali.enabled });
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
    target: string[] = pinnedFlags(stack, config, env),
): string | undefined {
    if (!onPath("kubectl", env)) return "kubectl is not on PATH: cannot check the cluster for another lab's namespaces";
    const cluster = config.cluster.kind.enabled ? { context: `kind-${kindClusterName(config.cluster, stack)}` } : pinnedCluster(config.cluster, env);
    const wanted = [ISTIO_NAMESPACE, config.boutique.namespace];
    const found = kubectlObjects<{ metadata: { name: string; labels?: Record<string, string> } }>(
        run,
        target,
        ["namespace", ...wanted, "--ignore-not-found"],
        "namespaces",
    );
    const ours = namespacesInState(resources);
    const conflicts = found.filter((ns) => !ours.has(ns.metadata.name));
    if (conflicts.length === 0) return undefined;
    const where = cluster.context ? `context ${cluster.context}` : "the cluster";
    const kubectl = ["kubectl", ...target].join(" ");
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
