import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Scenario } from "../stacks";
import { MeshPlace, frontendRouting } from "./istio-objects";

export interface TrafficArgs {
    scenario: Scenario;
    place: MeshPlace;
    /** Routes wait for what they name: the Gateway, the workloads behind their subsets, and istiod's validation. */
    dependsOn: pulumi.Resource[];
    provider: k8s.Provider;
}

/** The scenario's traffic policy: the frontend's subsets and how requests split between them. */
export class Traffic extends pulumi.ComponentResource {
    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Traffic", name, {}, opts);
        const child = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        const routing = frontendRouting(args.scenario, args.place);
        new k8s.apiextensions.CustomResource(`${name}-frontend-destinationrule`, routing.destinationRule, child);
        new k8s.apiextensions.CustomResource(`${name}-frontend-ingress`, routing.ingress, child);
        new k8s.apiextensions.CustomResource(`${name}-frontend-virtualservice`, routing.mesh, child);

        this.registerOutputs({});
    }
}
