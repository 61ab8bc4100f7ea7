import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { LabConfig } from "../config/schema";

/** "~/x" -> "$HOME/x"; the provider does not expand it. */
export function expandHome(file: string): string {
    return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/** The kind cluster's name: configured, or derived from the stack. */
export function kindClusterName(cluster: LabConfig["cluster"], stack: string): string {
    return (
        cluster.kind.name ??
        `boutique-mesh-${stack}`
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, "-")
            .slice(0, 63)
    );
}

/** kind's cluster config: one node, the ingress gateway's HTTP node port published on 127.0.0.1. */
export function kindConfig(cluster: LabConfig["cluster"], httpNodePort: number): string {
    return stringify({
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        nodes: [
            {
                role: "control-plane",
                ...(cluster.kind.nodeImage ? { image: cluster.kind.nodeImage } : {}),
                extraPortMappings: [{ containerPort: httpNodePort, hostPort: cluster.kind.hostPort, listenAddress: "127.0.0.1", protocol: "TCP" }],
            },
        ],
    });
}

/** Fails with a clear message when a tool the commands run is missing. */
const REQUIRE_TOOLS = [
    'command -v docker >/dev/null 2>&1 || { echo "docker is not installed (kind runs the cluster in docker): https://docs.docker.com/engine/install/" >&2; exit 1; }',
    'command -v kind >/dev/null 2>&1 || { echo "kind is not installed: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2; exit 1; }',
].join("\n");

/** Creates the cluster unless it exists (a rebuild after a failed up finds it), waiting for its control plane. */
export const KIND_CREATE = `${REQUIRE_TOOLS}
if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then echo "kind cluster $KIND_CLUSTER exists"; exit 0; fi
config=$(mktemp)
trap 'rm -f "$config"' EXIT
printf '%s' "$KIND_CONFIG" > "$config"
kind create cluster --name "$KIND_CLUSTER" --config "$config" --wait 180s`;

export const KIND_DELETE = `${REQUIRE_TOOLS}
kind delete cluster --name "$KIND_CLUSTER"`;

export interface ClusterArgs {
    cluster: LabConfig["cluster"];
    /** The ingress exposure, whose node port kind publishes. */
    ingress: LabConfig["istio"]["ingress"];
    stack: string;
}

/**
 * The cluster the lab runs on and the one Kubernetes provider every resource uses: a kind cluster of
 * the lab's own when configured, otherwise the configured or ambient kubeconfig, like kubectl.
 */
export class Cluster extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;
    /** The kind cluster's name, when the lab created one. */
    readonly kindName?: string;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Cluster", name, {}, opts);
        const { cluster } = args;
        if (cluster.kind.enabled) {
            if (args.ingress.type !== "NodePort") throw new Error("kind needs the ingress on a node port (validated in config)");
            this.kindName = kindClusterName(cluster, args.stack);
            const environment = { KIND_CLUSTER: this.kindName, KIND_CONFIG: kindConfig(cluster, args.ingress.httpNodePort) };
            const kind = new command.local.Command(
                `${name}-kind`,
                { create: KIND_CREATE, delete: KIND_DELETE, environment, interpreter: ["/bin/bash", "-c"] },
                { parent: this },
            );
            const kubeconfig = new command.local.Command(
                `${name}-kind-kubeconfig`,
                {
                    create: 'kind get kubeconfig --name "$KIND_CLUSTER"',
                    environment: { KIND_CLUSTER: this.kindName },
                    interpreter: ["/bin/bash", "-c"],
                    triggers: [kind.id],
                },
                { parent: this, dependsOn: [kind], additionalSecretOutputs: ["stdout"] },
            );
            this.provider = new k8s.Provider(`${name}-provider`, { kubeconfig: kubeconfig.stdout }, { parent: this });
        } else {
            this.provider = new k8s.Provider(
                `${name}-provider`,
                {
                    ...(cluster.kubeconfig !== undefined ? { kubeconfig: expandHome(cluster.kubeconfig) } : {}),
                    ...(cluster.context !== undefined ? { context: cluster.context } : {}),
                },
                { parent: this },
            );
        }
        this.registerOutputs({ kindName: this.kindName });
    }
}

/** `kubectl port-forward` to a Service, against the same cluster as the provider. */
export function portForward(cluster: LabConfig["cluster"], stack: string, namespace: string, service: string, localPort: number, port: number): string {
    return ["kubectl", kubectlTarget(cluster, stack), `-n ${namespace} port-forward svc/${service} ${localPort}:${port}`].filter(Boolean).join(" ");
}

/** The kubectl flags that reach the same cluster as the provider. */
export function kubectlTarget(cluster: LabConfig["cluster"], stack: string): string {
    if (cluster.kind.enabled) return `--context kind-${kindClusterName(cluster, stack)}`;
    return [
        ...(cluster.kubeconfig !== undefined ? [`--kubeconfig ${cluster.kubeconfig}`] : []),
        ...(cluster.context !== undefined ? [`--context ${cluster.context}`] : []),
    ].join(" ");
}
