/**
 * A cluster of the lab's own for a laptop that has none: when a stack names no cluster and no kubeconfig
 * exists at all, `up` turns on the `cluster.kind` path that exists already (components/cluster/cluster.ts),
 * if Docker and kind are there, and writes that choice into the stack file, so that later runs, plain
 * `pulumi up` and `down` (which deletes the cluster with the rest of the lab) all see it. A kubeconfig that
 * exists is never replaced: an unreachable one stays the error it is, naming its context.
 */
import * as fs from "fs";
import { parseDocument } from "yaml";
import { kubeconfigFiles } from "../../components/cluster/kubeconfig";
import { LabConfig } from "../../config/schema";
import { PreflightError, onPath } from "./tools";

/** What the preflight decides for a stack's cluster. */
export type ClusterChoice = { kind: "configured" } | { kind: "own-kind"; note: string };

/** The flag that keeps the lab from creating a cluster of its own. */
export const NO_KIND_FLAG = "--no-kind";

/**
 * Whether the stack gets the lab's own kind cluster: it names no cluster (no kind, no kubeconfig, no
 * context), KUBECONFIG names no file and the default kubeconfig does not exist. Then Docker and kind
 * must be on PATH; without them the message says what would have happened.
 */
export function chooseCluster(stack: string, config: LabConfig, env: NodeJS.ProcessEnv, optOut: boolean): ClusterChoice {
    const { cluster } = config;
    if (cluster.kind.enabled || cluster.kubeconfig !== undefined || cluster.context !== undefined) return { kind: "configured" };
    const files = kubeconfigFiles(cluster, env);
    if (files.some((file) => fs.existsSync(file))) return { kind: "configured" };
    const where = files.join(", ");
    if (optOut) {
        throw new PreflightError(
            `no kubeconfig at ${where}, and ${NO_KIND_FLAG} keeps the lab from creating its own cluster: set boutique-mesh:cluster.kubeconfig or KUBECONFIG`,
        );
    }
    const missing = ["docker", "kind"].filter((tool) => !onPath(tool, env));
    if (missing.length > 0) {
        throw new PreflightError(
            `no kubeconfig at ${where}: set boutique-mesh:cluster.kubeconfig or KUBECONFIG, or install ${missing.join(" and ")} ` +
                "(https://kind.sigs.k8s.io/docs/user/quick-start/) and the lab creates a kind cluster of its own",
        );
    }
    return {
        kind: "own-kind",
        note:
            `${stack}: no kubeconfig at ${where}: creating the lab's own kind cluster (boutique-mesh:cluster.kind.enabled: true, written to ` +
            `Pulumi.${stack}.yaml; down deletes the cluster). To use another cluster instead, stop now and set boutique-mesh:cluster.kubeconfig, or pass ${NO_KIND_FLAG}`,
    };
}

/** Writes `boutique-mesh:cluster.kind.enabled: true` into the stack file, keeping its comments and other keys. */
export function enableKindInStackFile(file: string): void {
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    if (!document.has("config")) document.set("config", {});
    document.setIn(["config", "boutique-mesh:cluster", "kind", "enabled"], true);
    fs.writeFileSync(file, document.toString());
}
