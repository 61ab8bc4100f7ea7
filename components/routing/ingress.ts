import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../config/schema";
import { IngressPlace, gatewayApiGateway } from "./gateway-api";
import { MeshPlace, egressServiceEntries, frontendGateway } from "./objects";

export interface IngressArgs {
    place: MeshPlace;
    routingApi: LabConfig["istio"]["routingApi"];
    /** The ingress gateway's Service, which a Gateway API Gateway binds to by its address. */
    ingress: IngressPlace;
    /** Pod labels of the ingress gateway deployment the Istio Gateway must select. */
    gatewayLabels: Record<string, string>;
    /** The shop's namespace, and istiod: Istio config is rejected until it serves its validation webhook. */
    dependsOn: pulumi.Resource[];
    provider: k8s.Provider;
}

/**
 * The shop's edge: the Gateway `frontend-gateway` (Istio's, in the shop's namespace, or the Gateway API's,
 * beside the ingress gateway it drives) and the egress ServiceEntries.
 */
export class Ingress extends pulumi.ComponentResource {
    readonly gateway: k8s.apiextensions.CustomResource;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Ingress", name, {}, opts);
        const child = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        this.gateway =
            args.routingApi === "gateway-api"
                ? new k8s.apiextensions.CustomResource(`${name}-gateway-api-gateway`, gatewayApiGateway(args.place, args.ingress), child)
                : new k8s.apiextensions.CustomResource(`${name}-gateway`, frontendGateway(args.place, args.gatewayLabels), child);
        for (const entry of egressServiceEntries(args.place)) {
            new k8s.apiextensions.CustomResource(`${name}-${entry.metadata!.name}`, entry, child);
        }

        this.registerOutputs({});
    }
}
