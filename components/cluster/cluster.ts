import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { LabConfig } from "../../config/schema";
import { providerTarget } from "./kubeconfig";

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

/**
 * The kubeconfig file kind writes for the lab's cluster: its own file, so that neither the user's
 * ~/.kube/config nor its current context changes (kind merges into the file `--kubeconfig` names and
 * sets that file's current context: kubernetes-sigs/kind v0.32.0 pkg/cmd/kind/create/cluster and
 * pkg/cluster/internal/kubeconfig/internal/kubeconfig/merge.go).
 */
export function kindKubeconfigFile(kindName: string): string {
    return `~/.kube/kind-${kindName}.yaml`;
}

/** The same file in the scripts, for the shell: "$HOME/.kube/kind-$KIND_CLUSTER.yaml". */
const KUBECONFIG_FILE = `"${kindKubeconfigFile("$KIND_CLUSTER").replace(/^~/, "$HOME")}"`;

/** Creates the cluster unless it exists (a rebuild after a failed up finds it), waiting for its control plane. */
export const KIND_CREATE = `${REQUIRE_TOOLS}
if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
  echo "kind cluster $KIND_CLUSTER exists"
  kind export kubeconfig --name "$KIND_CLUSTER" --kubeconfig ${KUBECONFIG_FILE}
  exit 0
fi
config=$(mktemp)
trap 'rm -f "$config"' EXIT
printf '%s' "$KIND_CONFIG" > "$config"
kind create cluster --name "$KIND_CLUSTER" --config "$config" --kubeconfig ${KUBECONFIG_FILE} --wait 180s`;

/** Deletes the cluster and its kubeconfig file; a cluster already gone is no error (kind deletes the nodes it finds). */
export const KIND_DELETE = `${REQUIRE_TOOLS}
kind delete cluster --name "$KIND_CLUSTER" --kubeconfig ${KUBECONFIG_FILE}
rm -f ${KUBECONFIG_FILE}`;

/**
 * Prints the cluster's kubeconfig, client key included, and nothing unless it has all of it: a failed
 * command's error message carries its output (pulumi-command v1.2.1 provider/pkg/provider/local/
 * commandOutputs.go `run`), so only a complete read reaches stdout, at the end.
 */
export const KIND_KUBECONFIG = `kubeconfig=$(kind get kubeconfig --name "$KIND_CLUSTER") || exit 1
printf '%s\n' "$kubeconfig"`;

/** The names of a Cluster's children, derived from its own: the preflight finds them in a stack's state. */
export function clusterChildren(name: string) {
    return { kind: `${name}-kind`, kindKubeconfig: `${name}-kind-kubeconfig`, provider: `${name}-provider`, adoptingProvider: `${name}-adopting-provider` };
}

export interface ClusterArgs {
    cluster: LabConfig["cluster"];
    /** The ingress exposure, whose node port kind publishes. */
    ingress: LabConfig["istio"]["ingress"];
    stack: string;
}

/**
 * The cluster the lab runs on and its two Kubernetes providers: a kind cluster of the lab's own when
 * configured, otherwise the configured cluster, or the ambient one pinned to the context current when
 * the program runs (components/cluster/kubeconfig.ts).
 */
export class Cluster extends pulumi.ComponentResource {
    /** The provider every object of the lab uses. */
    readonly provider: k8s.Provider;
    /**
     * The same cluster, creating over objects that already exist: for Istio's base chart, whose CRDs a
     * cluster keeps from an earlier lab or another install (components/teardown.ts).
     */
    readonly adoptingProvider: k8s.Provider;
    /** The kind cluster's name, when the lab created one. */
    readonly kindName?: string;
    /** The kind cluster the lab created: everything on it is deleted with it. */
    readonly kindCluster?: command.local.Command;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Cluster", name, {}, opts);
        const { cluster } = args;
        const children = clusterChildren(name);
        let settings: k8s.ProviderArgs;
        if (cluster.kind.enabled) {
            if (args.ingress.type !== "NodePort") throw new Error("kind needs the ingress on a node port (validated in config)");
            this.kindName = kindClusterName(cluster, args.stack);
            const kindConfigText = kindConfig(cluster, args.ingress.httpNodePort);
            // Another name, port or node image is another cluster: pulumi-command replaces a Command only when
            // its triggers change and otherwise re-runs `create` (v1.2.1 provider/pkg/provider/common/inputs.go,
            // local/commandController.go). The old cluster goes first: the new one may need its name and port.
            const kind = new command.local.Command(
                children.kind,
                {
                    create: KIND_CREATE,
                    delete: KIND_DELETE,
                    environment: { KIND_CLUSTER: this.kindName, KIND_CONFIG: kindConfigText },
                    interpreter: ["/bin/bash", "-c"],
                    triggers: [this.kindName, kindConfigText],
                },
                { parent: this, deleteBeforeReplace: true },
            );
            this.kindCluster = kind;
            // The kubeconfig holds the client key: never logged (pulumi-command logs stdout unless `logging`
            // says otherwise; additionalSecretOutputs only protects the state), never handed to later runs.
            const kubeconfig = new command.local.Command(
                children.kindKubeconfig,
                {
                    create: KIND_KUBECONFIG,
                    environment: { KIND_CLUSTER: this.kindName },
                    interpreter: ["/bin/bash", "-c"],
                    logging: "none",
                    addPreviousOutputInEnv: false,
                    triggers: [kind.id],
                },
                { parent: this, dependsOn: [kind], additionalSecretOutputs: ["stdout"] },
            );
            settings = {
                kubeconfig: pulumi.secret(kubeconfig.stdout),
                // The provider, and so every object, is replaced when, and only when, the cluster is.
                clusterIdentifier: pulumi.interpolate`kind-${this.kindName}-${kind.id}`,
                // A cluster deleted or stopped outside Pulumi must not block refresh or down: its objects
                // are gone with it (pulumi-kubernetes provider.go Read and Delete, `deleteUnreachable`).
                deleteUnreachable: true,
            };
        } else {
            const { kubeconfig, context, clusterIdentifier } = providerTarget(cluster);
            settings = {
                // Merged contents hold credentials: a secret in the state, as the kind cluster's kubeconfig is.
                ...(kubeconfig !== undefined ? { kubeconfig: "path" in kubeconfig ? kubeconfig.path : pulumi.secret(kubeconfig.contents) } : {}),
                ...(context !== undefined ? { context } : {}),
                ...(clusterIdentifier !== undefined ? { clusterIdentifier } : {}),
            };
        }
        // A ConfigMap whose data changes (Kiali's config on an upgrade, Istio's dashboards) is updated in place,
        // not deleted and created again, as the provider otherwise does (pulumi-kubernetes v4.32.0
        // provider/pkg/provider/diff.go: ConfigMaps force a replacement unless enableConfigMapMutable).
        settings = { ...settings, enableConfigMapMutable: true };
        this.provider = new k8s.Provider(children.provider, settings, { parent: this });
        this.adoptingProvider = new k8s.Provider(children.adoptingProvider, { ...settings, upsertExistingObjects: true }, { parent: this });
        this.registerOutputs({ kindName: this.kindName });
    }
}

/** `kubectl port-forward` to a Service, against the same cluster as the provider. */
export function portForward(cluster: LabConfig["cluster"], stack: string, namespace: string, service: string, localPort: number, port: number): string {
    return ["kubectl", ...kubectlFlags(cluster, stack), `-n ${namespace} port-forward svc/${service} ${localPort}:${port}`].join(" ");
}

/**
 * The kubectl flags that reach the same cluster as the provider, with paths as the config writes them
 * (`~` as a shell expands it; a command run without a shell expands them first: expandHome).
 */
export function kubectlFlags(cluster: LabConfig["cluster"], stack: string): string[] {
    if (cluster.kind.enabled) return ["--kubeconfig", kindKubeconfigFile(kindClusterName(cluster, stack))];
    return [
        ...(cluster.kubeconfig !== undefined ? ["--kubeconfig", cluster.kubeconfig] : []),
        ...(cluster.context !== undefined ? ["--context", cluster.context] : []),
    ];
}
