import * as k8s from "@pulumi/kubernetes";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../config/schema";

/** "~/x" -> "$HOME/x"; the provider does not expand it. */
export function expandHome(file: string): string {
    return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/**
 * The one Kubernetes provider every resource of the lab uses. With neither kubeconfig nor context
 * configured it behaves like kubectl: KUBECONFIG or ~/.kube/config, current context.
 */
export function clusterProvider(name: string, cluster: LabConfig["cluster"], opts: pulumi.CustomResourceOptions): k8s.Provider {
    return new k8s.Provider(
        name,
        {
            ...(cluster.kubeconfig !== undefined ? { kubeconfig: expandHome(cluster.kubeconfig) } : {}),
            ...(cluster.context !== undefined ? { context: cluster.context } : {}),
        },
        opts,
    );
}

/** The kubectl flags that reach the same cluster as the provider. */
export function kubectlTarget(cluster: LabConfig["cluster"]): string {
    return [
        ...(cluster.kubeconfig !== undefined ? [`--kubeconfig ${cluster.kubeconfig}`] : []),
        ...(cluster.context !== undefined ? [`--context ${cluster.context}`] : []),
    ].join(" ");
}
