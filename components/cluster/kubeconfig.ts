/**
 * Which cluster a stack without `cluster.context` (and without kind) targets: the kubeconfig context
 * current when the program runs, written into the provider's inputs. Pulumi keeps those inputs in the
 * stack's state and `destroy` and `refresh` use them without running the program, so a later
 * `kubectl config use-context` cannot redirect `down` to another cluster; an `up` after such a switch
 * shows the provider, and so every object, replaced (and `npm run lab` refuses it first).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { parse as parseYaml, stringify } from "yaml";
import { LabConfig } from "../../config/schema";

type ClusterConfig = LabConfig["cluster"];

/** "~/x" -> "$HOME/x", as a shell would; the provider and kubectl's --kubeconfig do not expand it. */
export function expandHome(file: string, home = os.homedir()): string {
    return file === "~" || file.startsWith("~/") ? path.join(home, file.slice(1)) : file;
}

/** The kubeconfig files kubectl would read, in its order: the configured one, KUBECONFIG's, or ~/.kube/config. */
export function kubeconfigFiles(cluster: ClusterConfig, env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? os.homedir()): string[] {
    if (cluster.kubeconfig !== undefined) return [expandHome(cluster.kubeconfig, home)];
    const fromEnv = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
    return fromEnv.length > 0 ? fromEnv : [path.join(home, ".kube", "config")];
}

/** The current context of a set of kubeconfig files: the first file that sets one wins, as kubectl merges them. */
export function currentContext(files: string[], read: (file: string) => string | undefined = readIfPresent): string | undefined {
    return mergeKubeconfigs(files, read).currentContext;
}

function readIfPresent(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

/**
 * The cluster settings with the target pinned: the configured context, or else the current one. A
 * kind cluster needs no pin (its provider has the cluster's own kubeconfig), and without any
 * kubeconfig (in a pod, say) there is nothing to pin.
 */
export function pinnedCluster(cluster: ClusterConfig, env: NodeJS.ProcessEnv = process.env, read?: (file: string) => string | undefined): ClusterConfig {
    if (cluster.kind.enabled || cluster.context !== undefined) return cluster;
    const context = currentContext(kubeconfigFiles(cluster, env), read);
    return context === undefined ? cluster : { ...cluster, context };
}

/** A kubeconfig entry as kubectl reads it: a name and its body. */
interface Named<T> {
    name: string;
    [key: string]: unknown;
    body: T;
}

interface ClusterEntry {
    server?: string;
    "certificate-authority"?: string;
    "certificate-authority-data"?: string;
    [key: string]: unknown;
}

/** The kubeconfig files merged as kubectl merges them: the first file that names an entry wins it. */
export interface MergedKubeconfig {
    files: string[];
    currentContext?: string;
    contexts: Map<string, { cluster: string; user?: string; namespace?: string }>;
    clusters: Map<string, { entry: ClusterEntry; file: string }>;
    users: Map<string, { entry: Record<string, unknown>; file: string }>;
}

function entries<T>(list: unknown, key: string): Named<T>[] {
    if (!Array.isArray(list)) return [];
    return list
        .filter((e): e is Record<string, unknown> => e !== null && typeof e === "object" && typeof (e as { name?: unknown }).name === "string")
        .map((e) => ({ name: e.name as string, body: (e[key] ?? {}) as T }));
}

/**
 * Reads and merges kubeconfig files in kubectl's order (k8s.io/client-go v0.34.4 tools/clientcmd/loader.go,
 * ClientConfigLoadingRules.Load: "The first file to set a particular map key wins", current-context
 * included; missing files are ignored; relative paths are resolved against their file's folder).
 */
export function mergeKubeconfigs(files: string[], read: (file: string) => string | undefined = readIfPresent): MergedKubeconfig {
    const merged: MergedKubeconfig = { files: [], contexts: new Map(), clusters: new Map(), users: new Map() };
    for (const file of files) {
        const text = read(file);
        if (text === undefined) continue;
        merged.files.push(file);
        const doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
        const current = doc["current-context"];
        if (merged.currentContext === undefined && typeof current === "string" && current !== "") merged.currentContext = current;
        for (const c of entries<{ cluster: string; user?: string; namespace?: string }>(doc.contexts, "context"))
            if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c.body);
        for (const c of entries<ClusterEntry>(doc.clusters, "cluster")) if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, { entry: c.body, file });
        for (const u of entries<Record<string, unknown>>(doc.users, "user")) if (!merged.users.has(u.name)) merged.users.set(u.name, { entry: u.body, file });
    }
    return merged;
}

/** The cluster a context names, with the API server and the certificate authority it is reached with. */
export interface KubeTarget {
    context: string;
    cluster: string;
    server: string;
    /**
     * What tells this cluster from another behind the same name: its server and a digest of its CA. The
     * provider replaces itself, and every object, when and only when this changes (pulumi-kubernetes
     * provider/pkg/provider/provider.go, DiffConfig: clusterIdentifier), so a context switch under a plain
     * `pulumi up` moves the lab visibly instead of orphaning it; a renamed context of the same cluster is
     * an update.
     */
    identifier: string;
}

/** The target of a context in merged kubeconfigs; undefined when the context or its cluster's server is missing. */
export function kubeTarget(
    merged: MergedKubeconfig,
    context: string | undefined,
    read: (file: string) => string | undefined = readIfPresent,
): KubeTarget | undefined {
    const name = context ?? merged.currentContext;
    if (name === undefined) return undefined;
    const ctx = merged.contexts.get(name);
    const cluster = ctx && merged.clusters.get(ctx.cluster);
    const server = cluster?.entry.server;
    if (ctx === undefined || cluster === undefined || typeof server !== "string") return undefined;
    const caFile = cluster.entry["certificate-authority"];
    const ca =
        cluster.entry["certificate-authority-data"] ?? (typeof caFile === "string" ? read(path.resolve(path.dirname(cluster.file), caFile)) : undefined) ?? "";
    const digest = createHash("sha256").update(String(ca)).digest("hex").slice(0, 16);
    return { context: name, cluster: ctx.cluster, server, identifier: `${server} ca:${digest}` };
}

/**
 * One kubeconfig holding just what a context needs, for a provider that reads one file or one string
 * (pulumi-kubernetes provider/pkg/provider/util.go, parseKubeconfigString: a path, or else the contents):
 * KUBECONFIG with several files reaches it otherwise as a single path that does not exist. Relative
 * file references are made absolute, as kubectl resolves them against their own file.
 */
export function singleKubeconfig(merged: MergedKubeconfig, context: string): string {
    const ctx = merged.contexts.get(context);
    if (ctx === undefined) throw new Error(`no context ${context} in ${merged.files.join(", ")}`);
    const absolute = (entry: Record<string, unknown>, file: string) =>
        Object.fromEntries(
            Object.entries(entry).map(([key, value]) =>
                ["certificate-authority", "client-certificate", "client-key", "tokenFile"].includes(key) && typeof value === "string"
                    ? [key, path.resolve(path.dirname(file), value)]
                    : [key, value],
            ),
        );
    const cluster = merged.clusters.get(ctx.cluster);
    const user = ctx.user !== undefined ? merged.users.get(ctx.user) : undefined;
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": context,
        contexts: [{ name: context, context: ctx }],
        clusters: cluster ? [{ name: ctx.cluster, cluster: absolute(cluster.entry, cluster.file) }] : [],
        users: user && ctx.user !== undefined ? [{ name: ctx.user, user: absolute(user.entry, user.file) }] : [],
    });
}

/** What the provider is given to reach the target: the kubeconfig (a path, or contents for several files) and the cluster's identity. */
export interface ProviderTarget {
    kubeconfig?: { path: string } | { contents: string };
    context?: string;
    clusterIdentifier?: string;
}

/**
 * The provider settings for a cluster that is not a kind cluster of the lab's own, read the same way as
 * kubectl and the preflight read it: one kubeconfig file is given as its path (or left to the provider's
 * own KUBECONFIG), several as one merged kubeconfig.
 */
export function providerTarget(
    cluster: ClusterConfig,
    env: NodeJS.ProcessEnv = process.env,
    read: (file: string) => string | undefined = readIfPresent,
): ProviderTarget {
    const files = kubeconfigFiles(cluster, env);
    const merged = mergeKubeconfigs(files, read);
    const target = kubeTarget(merged, cluster.context, read);
    const kubeconfig =
        cluster.kubeconfig !== undefined
            ? { path: files[0] }
            : files.length > 1 && target !== undefined
              ? { contents: singleKubeconfig(merged, target.context) }
              : undefined;
    return {
        ...(kubeconfig !== undefined ? { kubeconfig } : {}),
        ...(cluster.context !== undefined ? { context: cluster.context } : {}),
        ...(target !== undefined ? { clusterIdentifier: target.identifier } : {}),
    };
}
