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
import { parse as parseYaml } from "yaml";
import { LabConfig } from "../config/schema";

type ClusterConfig = LabConfig["cluster"];

/** The kubeconfig files kubectl would read, in its order: the configured one, KUBECONFIG's, or ~/.kube/config. */
export function kubeconfigFiles(cluster: ClusterConfig, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string[] {
    const expand = (file: string) => (file === "~" || file.startsWith("~/") ? path.join(home, file.slice(1)) : file);
    if (cluster.kubeconfig !== undefined) return [expand(cluster.kubeconfig)];
    const fromEnv = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
    return fromEnv.length > 0 ? fromEnv : [path.join(home, ".kube", "config")];
}

/** The current context of a set of kubeconfig files: the first file that sets one wins, as kubectl merges them. */
export function currentContext(files: string[], read: (file: string) => string | undefined = readIfPresent): string | undefined {
    for (const file of files) {
        const text = read(file);
        if (text === undefined) continue;
        const context = (parseYaml(text) as { "current-context"?: unknown } | null)?.["current-context"];
        if (typeof context === "string" && context !== "") return context;
    }
    return undefined;
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
