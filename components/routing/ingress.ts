import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshPlace, egressServiceEntries, frontendGateway } from "./objects";

export interface IngressArgs {
    place: MeshPlace;
    /** Pod labels of the ingress gateway deployment the Gateway must select. */
    gatewayLabels: Record<string, string>;
    /** The shop's namespace, and istiod: Istio config is rejected until it serves its validation webhook. */
    dependsOn: pulumi.Resource[];
    provider: k8s.Provider;
}

/** The shop's edge: the Gateway `frontend-gateway` and the egress ServiceEntries. */
export class Ingress extends pulumi.ComponentResource {
    readonly gateway: k8s.apiextensions.CustomResource;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Ingress", name, {}, opts);
        const child = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, frontendGateway(args.place, args.gatewayLabels), child);
        for (const entry of egressServiceEntries(args.place)) {
            new k8s.apiextensions.CustomResource(`${name}-${entry.metadata!.name}`, entry, child);
        }

        this.registerOutputs({});
    }
}
