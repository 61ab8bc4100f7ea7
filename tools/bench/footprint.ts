/**
 * What a lab asks the scheduler for: CPU and memory requests of the workloads, their injected
 * sidecars, istiod and the gateways, read from the declared objects and chart values; in ambient, the
 * node agents (one cni and one ztunnel pod per node) and the waypoints istiod deploys for the lab's
 * waypoint Gateways.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment" with { "resolution-mode": "import" };
import { valueAt } from "../../config/object-path";
import { ChartInputs, Evaluation, KubeObject } from "../../mocks/evaluate";
import { NODE_AGENTS, WAYPOINT_CLASS, WAYPOINT_REQUESTS } from "../../catalog/ambient";

/** CPU in millicores from a Kubernetes quantity ("100m", "2", "0.5"). */
export function millicores(quantity: string | number | undefined): number {
    if (quantity === undefined) return 0;
    const text = String(quantity);
    return text.endsWith("m") ? Number(text.slice(0, -1)) : Math.round(Number(text) * 1000);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Memory in MiB from a Kubernetes quantity ("64Mi", "1Gi", "500M"). */
export function mebibytes(quantity: string | number | undefined): number {
    if (quantity === undefined) return 0;
    const match = /^([0-9.]+)([A-Za-z]*)$/.exec(String(quantity));
    if (!match) throw new Error(`not a memory quantity: ${quantity}`);
    const [, number, unit] = match;
    const factor = BINARY[unit] ?? DECIMAL[unit] ?? (unit === "" ? 1 : NaN);
    if (Number.isNaN(factor)) throw new Error(`unknown memory unit in ${quantity}`);
    return (Number(number) * factor) / 2 ** 20;
}

export interface Requests {
    cpu: number; // millicores
    memory: number; // MiB
}

export interface Footprint {
    /** The shop: Deployments in injected namespaces. */
    workloads: Requests;
    /** Prometheus, Grafana, Kiali and the tracer. */
    addons: Requests;
    sidecars: Requests;
    istiod: Requests;
    gateways: Requests;
    /** Waypoints istiod deploys for the lab's waypoint Gateways (ambient), and how many. */
    waypoints: Requests;
    waypointPods: number;
    /** The ambient node agents on one node: cni and ztunnel; the total counts them once per node. */
    nodeAgentsPerNode: Requests;
    /** The nodes the total counts node agents for. */
    nodes: number;
    total: Requests;
    /** Pods that get a sidecar. */
    injectedPods: number;
}

type ResourceRequirements = { requests?: { cpu?: string; memory?: string } } | undefined;

const requestsOf = (r: ResourceRequirements, times = 1): Requests => ({
    cpu: millicores(r?.requests?.cpu) * times,
    memory: mebibytes(r?.requests?.memory) * times,
});
const add = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const ZERO: Requests = { cpu: 0, memory: 0 };

/** Where each addon chart's values keep its containers' resources. */
const ADDON_CHART_RESOURCES: Readonly<Record<string, string[][]>> = {
    prometheus: [
        ["server", "resources"],
        ["configmapReload", "prometheus", "resources"],
    ],
    grafana: [["resources"]],
    "kiali-server": [["deployment", "resources"]],
};

/** What a gateway or istiod chart's values say of its pods' resources and replicas. */
interface PodValues {
    resources?: ResourceRequirements;
    replicaCount?: number;
}

/** `nodes`: the cluster's node count, on each of which ambient runs its node agents. */
export function footprint(evaluation: Evaluation, nodes = 1): Footprint {
    const objects = evaluation.resources.map((r) => r.inputs as KubeObject);
    const injected = new Set(
        objects.filter((o) => o.kind === "Namespace" && o.metadata?.labels?.["istio-injection"] === "enabled").map((o) => o.metadata?.name),
    );
    const charts = evaluation.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.inputs as ChartInputs);
    const istiodValues = charts.find((c) => c.chart.endsWith("istiod"))?.values ?? {};
    const sidecar = valueAt(istiodValues, ["global", "proxy", "resources"]) as ResourceRequirements;

    let workloads = ZERO;
    let addons = ZERO;
    let injectedPods = 0;
    for (const deployment of objects.filter((o): o is IDeployment => o.kind === "Deployment")) {
        const replicas = deployment.spec?.replicas ?? 1;
        const inMesh = injected.has(deployment.metadata?.namespace);
        // Init containers run before the app and one at a time: they add nothing to the pod's steady request.
        for (const container of deployment.spec?.template.spec?.containers ?? []) {
            const requests = requestsOf(container.resources, replicas);
            if (inMesh) workloads = add(workloads, requests);
            else addons = add(addons, requests);
        }
        if (inMesh) injectedPods += replicas;
    }
    // The addon charts keep their containers' requests in their values.
    for (const chart of charts) {
        const paths = ADDON_CHART_RESOURCES[chart.chart.split("/").pop() ?? ""] ?? [];
        for (const path of paths) addons = add(addons, requestsOf(valueAt(chart.values, path) as ResourceRequirements));
    }
    const sidecars = requestsOf(sidecar, injectedPods);
    const pilot = (istiodValues.pilot ?? istiodValues) as PodValues;
    const istiod = requestsOf(pilot.resources, pilot.replicaCount ?? 1);
    const gateways = charts
        .filter((c) => c.chart.endsWith("gateway"))
        .map((c) => (c.values ?? {}) as PodValues)
        .reduce<Requests>((sum, values) => add(sum, requestsOf(values.resources, values.replicaCount ?? 1)), ZERO);
    const nodeAgentsPerNode = charts
        .filter((c) => NODE_AGENTS.some((a) => c.chart.split("/").pop() === a.chart))
        .reduce<Requests>((sum, c) => add(sum, requestsOf((c.values as PodValues | undefined)?.resources)), ZERO);
    const waypointPods = objects.filter((o) => o.kind === "Gateway" && valueAt(o, ["spec", "gatewayClassName"]) === WAYPOINT_CLASS).length;
    const waypoints = requestsOf({ requests: WAYPOINT_REQUESTS }, waypointPods);
    const nodeAgents = { cpu: nodeAgentsPerNode.cpu * nodes, memory: nodeAgentsPerNode.memory * nodes };
    const total = [workloads, addons, sidecars, istiod, gateways, waypoints, nodeAgents].reduce(add, ZERO);
    return { workloads, addons, sidecars, istiod, gateways, waypoints, waypointPods, nodeAgentsPerNode, nodes, total, injectedPods };
}
