import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FRONTEND } from "../../catalog/boutique";
import { LabConfig } from "../../config/schema";
import { SHOP_LABEL } from "../labels";
import { needsWaypoint, shopNamespaceLabels } from "../mesh/ambient";
import { Ingress } from "../routing/ingress";
import { IngressPlace } from "../routing/gateway-api";
import { MeshPlace } from "../routing/objects";
import { Traffic } from "../routing/traffic";
import { Boutique } from "./boutique";
import { ShopSpec } from "./shops";
import { WorkloadSettings } from "./workloads";

/** What every shop of a lab shares: the mesh it runs on, its ingress, the images and the provider. */
export interface ShopArgs {
    shop: ShopSpec;
    settings: WorkloadSettings;
    place: MeshPlace;
    istio: Pick<LabConfig["istio"], "routingApi" | "dataPlane">;
    frontendExternal: boolean;
    /** The ingress gateway's Service and the labels of its pods. */
    ingress: IngressPlace;
    gatewayLabels: Record<string, string>;
    /** istiod, and in ambient the node agents: a shop's pods start after them. */
    dataPlaneReady: pulumi.Resource[];
    /** istiod's webhook, and the Gateway API CRDs where used: Istio config waits for them. */
    istiod: pulumi.Resource;
    gatewayApiCrds: pulumi.Resource[];
    imagesReady: pulumi.Resource[];
    namespaceLabels: Record<string, string>;
    provider: k8s.Provider;
}

/**
 * One shop's parts, named from `name`: its Boutique (namespace and workloads), its Ingress (Gateway, egress) and
 * its Traffic (the scenario). The single shop's parts sit under the Lab with the names they always had; a
 * classroom's under a Shop each.
 */
export function shopParts(name: string, args: ShopArgs, opts: pulumi.ComponentResourceOptions): { boutique: Boutique } {
    const { shop, place, provider } = args;
    const dataPlane = args.istio.dataPlane;
    const boutique = new Boutique(
        `${name}-boutique`,
        {
            settings: args.settings,
            frontendExternal: args.frontendExternal,
            dataPlaneReady: args.dataPlaneReady,
            dataPlaneLabels: shopNamespaceLabels(dataPlane, needsWaypoint(dataPlane, shop.scenario)),
            imagesReady: args.imagesReady,
            provider,
            namespaceLabels: { ...args.namespaceLabels, ...(shop.classroom ? { [SHOP_LABEL]: shop.classroom.name } : {}) },
        },
        opts,
    );
    const ingress = new Ingress(
        `${name}-ingress`,
        {
            place,
            routingApi: args.istio.routingApi,
            ingress: args.ingress,
            gatewayLabels: args.gatewayLabels,
            dependsOn: [boutique.namespace, args.istiod, ...args.gatewayApiCrds],
            provider,
        },
        opts,
    );
    new Traffic(
        `${name}-traffic`,
        {
            scenario: shop.scenario,
            place,
            routingApi: args.istio.routingApi,
            dataPlane,
            ingress: args.ingress,
            settings: args.settings,
            podPrerequisites: [boutique.namespace, ...args.dataPlaneReady, boutique.accounts[FRONTEND], ...args.imagesReady],
            routePrerequisites: [args.istiod, ingress.gateway, ...args.gatewayApiCrds],
            workloads: boutique,
            provider,
        },
        opts,
    );
    return { boutique };
}

/** A classroom's shop: one attendee's Boutique, Ingress and Traffic, in the namespace of its name. */
export class Shop extends pulumi.ComponentResource {
    readonly boutique: Boutique;

    constructor(name: string, args: ShopArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Shop", name, {}, opts);
        this.boutique = shopParts(name, args, { parent: this }).boutique;
        this.registerOutputs({ namespace: args.shop.namespace, scenario: args.shop.scenarioName, host: args.shop.classroom?.host });
    }
}
