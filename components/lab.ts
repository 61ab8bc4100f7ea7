import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../config/schema";
import { AddonAccess, Addons } from "./addons/addons";
import { STACK_LABEL } from "./labels";
import { Shop, ShopArgs, shopParts } from "./shop/shop";
import { ClassroomAccess, classroomAccess, labShops, shopComponentName } from "./shop/shops";
import { Cluster, portForward } from "./cluster/cluster";
import { FRONTEND, boutiqueService } from "../catalog/boutique";
import { labImages, shopAccess, upstreamImages, workloadSettings } from "./images/inventory";
import { INGRESS_GATEWAY } from "./mesh/charts";
import { networkingApi } from "./routing/objects";
import { Mesh } from "./mesh/mesh";
import { Mirroring } from "./images/mirroring";
import { pinnedCluster } from "./cluster/kubeconfig";
import { teardownTransforms } from "./teardown";
import { skipServiceAwait } from "./awaits";
import { allOf } from "./transforms";
import { meshTracing } from "./mesh/tracing";

/** The Lab's name in the program (index.ts): the first part of every resource name under it. */
export const LAB_NAME = "lab";

/** The name of the Lab's Cluster component, derived from the Lab's. */
export function labCluster(name: string): string {
    return `${name}-cluster`;
}

export interface LabArgs {
    config: LabConfig;
}

/** The external address of the ingress gateway's Service, once a load balancer has assigned one. */
function loadBalancerAddress(gateway: k8s.helm.v4.Chart): pulumi.Output<string | undefined> {
    return pulumi.output(gateway.resources).apply((resources) => {
        const services = (resources ?? []).filter((r): r is k8s.core.v1.Service => k8s.core.v1.Service.isInstance(r));
        return pulumi.all(services.map((s) => pulumi.all([s.metadata.name, s.status]))).apply((found) => {
            const ingress = found.find(([svcName]) => svcName === INGRESS_GATEWAY.release)?.[1]?.loadBalancer?.ingress?.[0];
            return ingress?.hostname || ingress?.ip || undefined;
        });
    });
}

/** The whole lab: cluster provider, Istio, the shop, its edge and the scenario's traffic policy. */
export class Lab extends pulumi.ComponentResource {
    readonly shopUrl: pulumi.Output<string>;
    readonly shopPortForward: string;
    readonly shopAccess: pulumi.Output<string>;
    /** The single shop's namespace; a classroom's are in `shops`. */
    readonly namespace?: string;
    /** A classroom's shops: each one's namespace, scenario, host and URL. */
    readonly shops?: pulumi.Output<ClassroomAccess[]>;
    readonly istioVersion: string;
    readonly scenario: string;
    readonly images: string[];
    /** Per addon: local URL, port-forward command, node port. */
    readonly dashboards: Record<string, AddonAccess>;
    readonly grafanaAdminPassword?: pulumi.Output<string>;

    constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Lab", name, {}, opts);
        const config: LabConfig = { ...args.config, cluster: pinnedCluster(args.config.cluster) };
        const stack = pulumi.getStack();
        const cluster = new Cluster(labCluster(name), { cluster: config.cluster, ingress: config.istio.ingress, stack }, { parent: this });
        const { provider } = cluster;
        // How every object leaves the cluster (components/teardown.ts) and which of the provider's waits
        // it skips (components/awaits.ts); the charts' objects included. One transform: one call each.
        // The namespaces the lab owns, filled below once made; the engine runs the transform later.
        const namespaces = new Map<string, pulumi.Resource>();
        const inLab = { parent: this, transforms: [allOf([...teardownTransforms(cluster.kindCluster, () => namespaces), skipServiceAwait])] };
        const namespaceLabels = { [STACK_LABEL]: stack };
        const mirrors = config.images.mirrors;
        const shops = labShops(config);
        const scenarios = shops.map((shop) => shop.scenario);
        const api = networkingApi(config.istio.version);

        // Copies happen before anything pulls: every pod-starting resource waits for them.
        const copy = config.images.copy;
        const imagesReady = copy.enabled
            ? [
                  new Mirroring(
                      `${name}-mirroring`,
                      { images: upstreamImages(config, scenarios), mirrors, tlsVerify: copy.tlsVerify, credentials: copy.credentials },
                      { parent: this },
                  ),
              ]
            : [];
        const tracing = meshTracing(config.istio.version, config.addons.tracer.kind, config.istio.traceSampling, config.cluster.domain);
        const mesh = new Mesh(
            `${name}-mesh`,
            {
                istio: config.istio,
                mirrors,
                clusterDomain: config.cluster.domain,
                tracing,
                imagesReady,
                provider,
                crdProvider: cluster.adoptingProvider,
                namespaceLabels,
            },
            inLab,
        );
        const addons = new Addons(
            `${name}-addons`,
            { config, stack, mirrors, namespace: mesh.namespaceResource, istiod: mesh.istiod, imagesReady, provider },
            inLab,
        );
        namespaces.set(mesh.namespace, mesh.namespaceResource);
        const shared = {
            istio: config.istio,
            frontendExternal: config.boutique.frontendExternal,
            ingress: { namespace: mesh.namespace, service: mesh.ingressGatewaySpec.release },
            gatewayLabels: mesh.ingressGatewaySpec.labels,
            dataPlaneReady: [mesh.istiod, ...mesh.dataPlane],
            istiod: mesh.istiod,
            gatewayApiCrds: mesh.gatewayApiCrds ? [mesh.gatewayApiCrds] : [],
            imagesReady,
            namespaceLabels,
            provider,
        };
        for (const shop of shops) {
            const args: ShopArgs = {
                ...shared,
                shop,
                settings: workloadSettings(config, shop.scenario, shop.namespace),
                place: { namespace: shop.namespace, clusterDomain: config.cluster.domain, networkingApi: api, shop: shop.classroom },
            };
            const shopName = shopComponentName(name, shop);
            // The single shop's parts stay where every lab since the first has them: under the Lab, named from it.
            const { boutique } = shop.classroom ? new Shop(shopName, args, inLab) : shopParts(shopName, args, inLab);
            namespaces.set(shop.namespace, boutique.namespace);
        }

        const access = loadBalancerAddress(mesh.ingressGateway).apply((address) => shopAccess(config, stack, address));
        this.shopUrl = access.url;
        this.shopAccess = access.note;
        this.shopPortForward = shopAccess(config, stack).portForward;
        this.namespace = config.shops === undefined ? config.boutique.namespace : undefined;
        const frontendPort = boutiqueService(FRONTEND).service!.port;
        this.shops =
            config.shops === undefined
                ? undefined
                : this.shopUrl.apply((url) =>
                      classroomAccess(shops, url, this.shopPortForward, (namespace, localPort) =>
                          portForward(config.cluster, stack, namespace, FRONTEND, localPort, frontendPort),
                      ),
                  );
        this.istioVersion = config.istio.version;
        this.scenario = config.scenario;
        this.images = labImages(config, scenarios);
        this.dashboards = addons.access;
        this.grafanaAdminPassword = addons.grafanaAdminPassword;

        this.registerOutputs({
            shopUrl: this.shopUrl,
            shopAccess: this.shopAccess,
            shopPortForward: this.shopPortForward,
            namespace: this.namespace,
            shops: this.shops,
            istioVersion: this.istioVersion,
            scenario: this.scenario,
            images: this.images,
            dashboards: this.dashboards,
        });
    }
}
