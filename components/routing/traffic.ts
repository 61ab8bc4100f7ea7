import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FRONTEND, boutiqueService } from "../../catalog/boutique";
import { LabConfig } from "../../config/schema";
import { Scenario, scenarioWarnings } from "../../stacks";
import { IngressPlace, frontendHttpRoutes, serviceHttpRoute, versionService } from "./gateway-api";
import { MeshPlace, frontendRouting, routedVersions, routesPolicy, serviceVirtualService } from "./objects";
import { WorkloadSettings, deploymentFor } from "../shop/workloads";
import { needsWaypoint, waypointGateway } from "../mesh/ambient";
import { VIRTUAL_SERVICE_AT_WAYPOINT } from "../../catalog/ambient";

export interface TrafficArgs {
    scenario: Scenario;
    place: MeshPlace;
    routingApi: LabConfig["istio"]["routingApi"];
    /** In ambient, the in-mesh routes go through a waypoint where the scenario has some (components/mesh/ambient.ts). */
    dataPlane: LabConfig["istio"]["dataPlane"];
    /** The ingress gateway's Service, whose Gateway API Gateway the ingress HTTPRoute attaches to. */
    ingress: IngressPlace;
    settings: WorkloadSettings;
    /** What extra frontend versions need before their pods start: the namespace, the data plane, the frontend's account. */
    podPrerequisites: pulumi.Resource[];
    /** What every route waits for: istiod's validation webhook and the Gateway (and the Gateway API CRDs where used). */
    routePrerequisites: pulumi.Resource[];
    /** The shop's Deployment and Service per catalog name: a route waits for those it names. */
    workloads: { deployments: Record<string, pulumi.Resource>; services: Record<string, pulumi.Resource> };
    provider: k8s.Provider;
}

/**
 * The scenario's objects: frontend versions beyond the original, the frontend's split, and one route per
 * other service with faults or resilience, in the routing API the stack chose: with Istio's, subsets, two
 * VirtualServices and one per service; with the Gateway API, a Service per version and HTTPRoutes. In
 * ambient, the waypoint that applies the in-mesh routes, where the scenario has some; without one, ztunnel
 * would apply no in-mesh route, so the frontend has its ingress route alone.
 * Switching scenario adds, changes or removes only these and the shop namespace's waypoint label.
 */
export class Traffic extends pulumi.ComponentResource {
    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Traffic", name, {}, opts);
        const { scenario, place, provider } = args;
        for (const warning of scenarioWarnings(scenario)) void pulumi.log.warn(warning, this);
        const hasWaypoint = needsWaypoint(args.dataPlane, scenario);
        if (hasWaypoint && args.routingApi === "istio") void pulumi.log.warn(VIRTUAL_SERVICE_AT_WAYPOINT, this);

        // The original frontend is a base workload; other versions exist while the scenario routes to them.
        const versions = routedVersions(scenario)
            .map(({ version }) => version)
            .filter((version) => version !== "original")
            .map(
                (version) =>
                    new k8s.apps.v1.Deployment(`${name}-frontend-${version}`, deploymentFor(boutiqueService(FRONTEND), args.settings, version), {
                        parent: this,
                        provider,
                        dependsOn: args.podPrerequisites,
                    }),
            );

        // istiod deploys the waypoint once its Gateway exists; the routes it carries come after it.
        const waypoint = hasWaypoint
            ? [
                  new k8s.apiextensions.CustomResource(`${name}-waypoint`, waypointGateway(place.namespace), {
                      parent: this,
                      provider,
                      dependsOn: args.routePrerequisites,
                  }),
              ]
            : [];
        // A route waits until what it names runs, so it never points at nothing.
        const routesTo = (service: string, extra: pulumi.Resource[] = []) => ({
            parent: this,
            provider,
            dependsOn: [...args.routePrerequisites, ...waypoint, args.workloads.deployments[service], args.workloads.services[service], ...extra],
        });
        const frontend = routesTo(FRONTEND, versions);
        // Sidecars apply in-mesh routes themselves; in ambient only a waypoint does.
        const inMesh = args.dataPlane === "sidecar" || hasWaypoint;
        const routed = Object.entries(scenario.services).filter(([service, policy]) => service !== FRONTEND && routesPolicy(policy));
        if (args.routingApi === "gateway-api") {
            const backends = routedVersions(scenario).map(
                ({ version }) =>
                    new k8s.core.v1.Service(`${name}-frontend-${version}-service`, versionService(version, place, args.settings.frontends), {
                        parent: this,
                        provider,
                        dependsOn: args.podPrerequisites,
                    }),
            );
            const routes = frontendHttpRoutes(scenario, place, args.ingress);
            const toFrontend = { ...frontend, dependsOn: [...frontend.dependsOn, ...backends] };
            new k8s.apiextensions.CustomResource(`${name}-frontend-ingress-httproute`, routes.ingress, toFrontend);
            if (inMesh) new k8s.apiextensions.CustomResource(`${name}-frontend-httproute`, routes.mesh, toFrontend);
            for (const [service, policy] of routed)
                new k8s.apiextensions.CustomResource(`${name}-${service}-httproute`, serviceHttpRoute(service, policy!, place), routesTo(service));
        } else {
            const routing = frontendRouting(scenario, place, args.settings.frontends);
            new k8s.apiextensions.CustomResource(`${name}-frontend-destinationrule`, routing.destinationRule, frontend);
            new k8s.apiextensions.CustomResource(`${name}-frontend-ingress`, routing.ingress, frontend);
            if (inMesh) new k8s.apiextensions.CustomResource(`${name}-frontend-virtualservice`, routing.mesh, frontend);
            for (const [service, policy] of routed)
                new k8s.apiextensions.CustomResource(`${name}-${service}-virtualservice`, serviceVirtualService(service, policy!, place), routesTo(service));
        }

        this.registerOutputs({});
    }
}
