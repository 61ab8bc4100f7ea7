import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FRONTEND, boutiqueService } from "../../catalog/boutique";
import { Scenario, scenarioWarnings } from "../../stacks";
import { MeshPlace, frontendRouting, routedVersions, routesPolicy, serviceVirtualService } from "./objects";
import { WorkloadSettings, deploymentFor } from "../shop/workloads";

export interface TrafficArgs {
    scenario: Scenario;
    place: MeshPlace;
    settings: WorkloadSettings;
    /** What extra frontend versions need before their pods start: the namespace, istiod's injector, the frontend's account. */
    podPrerequisites: pulumi.Resource[];
    /** What every route waits for: istiod's validation webhook and the Gateway. */
    routePrerequisites: pulumi.Resource[];
    /** The shop's Deployment and Service per catalog name: a route waits for those it names. */
    workloads: { deployments: Record<string, pulumi.Resource>; services: Record<string, pulumi.Resource> };
    provider: k8s.Provider;
}

/**
 * The scenario's objects: frontend versions beyond the original, the frontend's subsets and split,
 * and one VirtualService per other service with faults or resilience. Switching scenario adds,
 * changes or removes only these, never a base object.
 */
export class Traffic extends pulumi.ComponentResource {
    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Traffic", name, {}, opts);
        const { scenario, place, provider } = args;
        for (const warning of scenarioWarnings(scenario)) void pulumi.log.warn(warning, this);

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

        // A route waits until what it names runs, so it never points at nothing.
        const routesTo = (service: string, extra: pulumi.Resource[] = []) => ({
            parent: this,
            provider,
            dependsOn: [...args.routePrerequisites, args.workloads.deployments[service], args.workloads.services[service], ...extra],
        });
        const routing = frontendRouting(scenario, place, args.settings.frontends);
        const frontend = routesTo(FRONTEND, versions);
        new k8s.apiextensions.CustomResource(`${name}-frontend-destinationrule`, routing.destinationRule, frontend);
        new k8s.apiextensions.CustomResource(`${name}-frontend-ingress`, routing.ingress, frontend);
        new k8s.apiextensions.CustomResource(`${name}-frontend-virtualservice`, routing.mesh, frontend);

        for (const [service, policy] of Object.entries(scenario.services)) {
            if (service === FRONTEND || !routesPolicy(policy)) continue;
            new k8s.apiextensions.CustomResource(`${name}-${service}-virtualservice`, serviceVirtualService(service, policy!, place), routesTo(service));
        }

        this.registerOutputs({});
    }
}
