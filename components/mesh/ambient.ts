/**
 * What the data plane changes in the shop, as data: its namespace's labels, and in ambient the waypoint that
 * carries the scenario's routes inside the mesh. Pure functions; facts from catalog/ambient.ts.
 *
 * In ambient, ztunnel carries the pods' traffic at layer 4 only: a route inside the mesh (the frontend's split
 * for in-mesh callers, a service's faults, timeout or retries) takes effect only through a waypoint the traffic
 * is sent to (istio/istio.io content/en/docs/ambient/usage/waypoint/index.md). The ingress gateway is a full
 * proxy and applies its own routes, so a scenario that routes only at the edge needs no waypoint.
 */
import type { IGateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway" with { "resolution-mode": "import" };
import { DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL, WAYPOINT_CLASS, WAYPOINT_FOR_LABEL, WAYPOINT_LISTENER, WAYPOINT_NAME } from "../../catalog/ambient";
import { LabConfig } from "../../config/schema";
import { Scenario } from "../../stacks";
import { routedVersions, routesPolicy } from "../routing/objects";

export type DataPlane = LabConfig["istio"]["dataPlane"];

/** True when the scenario routes inside the mesh beyond what every lab has: a split, or a service's policy. */
export function routesInMesh(scenario: Scenario): boolean {
    return routedVersions(scenario).length > 1 || Object.values(scenario.services).some((policy) => routesPolicy(policy));
}

/** The shop's waypoint, where the data plane is ambient and the scenario routes inside the mesh. */
export function needsWaypoint(dataPlane: DataPlane, scenario: Scenario): boolean {
    return dataPlane === "ambient" && routesInMesh(scenario);
}

/** The shop namespace's data-plane labels: injection for sidecars; ambient, and its waypoint where there is one. */
export function shopNamespaceLabels(dataPlane: DataPlane, waypoint: boolean): Record<string, string> {
    if (dataPlane === "sidecar") return { "istio-injection": "enabled" };
    return { [DATAPLANE_MODE_LABEL]: "ambient", ...(waypoint ? { [USE_WAYPOINT_LABEL]: WAYPOINT_NAME } : {}) };
}

/**
 * The waypoint as `istioctl waypoint apply` writes it: a Gateway of class istio-waypoint with one HBONE listener,
 * for the traffic addressed to the namespace's Services. istiod deploys its Deployment and Service.
 */
export function waypointGateway(namespace: string): IGateway {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: WAYPOINT_NAME, namespace, labels: { [WAYPOINT_FOR_LABEL]: "service" } },
        spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ ...WAYPOINT_LISTENER }] },
    };
}
