/**
 * Istio configuration objects as typed data: the ingress Gateway, the egress ServiceEntries, and the
 * routing a scenario asks for. Pure functions; every host is derived from the shop's namespace and the
 * cluster domain, never hard-coded. Written as networking.istio.io/v1, served from Istio 1.22; older
 * releases get the same objects as v1beta1, whose schema is the same.
 */
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule" with { "resolution-mode": "import" };
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway" with { "resolution-mode": "import" };
import type { IServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry" with { "resolution-mode": "import" };
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService" with { "resolution-mode": "import" };
import { FRONTEND, boutiqueService } from "../../catalog/boutique";
import { istioDuration } from "../../config/duration";
import { holds } from "../../catalog/versions";
import { FRONTEND_VERSIONS, FrontendVersion, Scenario, ServicePolicy } from "../../stacks";
import type { FrontendVersions } from "../shop/workloads";
import { SHOP_LABEL } from "../labels";

export type { IDestinationRule, IGateway, IServiceEntry, IVirtualService };
/** Any Istio object this module builds. */
export type IstioObject = IDestinationRule | IGateway | IServiceEntry | IVirtualService;

const NETWORKING = "networking.istio.io/v1" as const;

/** The networking API version an Istio release serves (catalog/versions.ts, networking-v1). */
export function networkingApi(istioVersion: string): string {
    return holds("networking-v1", istioVersion) ? NETWORKING : "networking.istio.io/v1beta1";
}

export const FRONTEND_GATEWAY = "frontend-gateway";
export const FRONTEND_INGRESS = "frontend-ingress";
/** Response header naming the frontend version that answered. */
export const VERSION_HEADER = "x-boutique-version";

/** Where the shop lives: names resolve to hosts through these, objects use the API the mesh serves. */
export interface MeshPlace {
    namespace: string;
    clusterDomain: string;
    /** networking.istio.io API version, from networkingApi(). */
    networkingApi: string;
    /** A classroom's shop (components/shop/shops.ts); absent for the lab's single shop. */
    shop?: ClassroomShop;
}

/**
 * What sets a classroom's shop apart on the shared ingress and mesh: the one host the ingress serves it under,
 * and the ingress gateway's namespace, the only other one its objects are exported to.
 */
export interface ClassroomShop {
    name: string;
    host: string;
    ingressNamespace: string;
}

/**
 * The object as the mesh's API version (v1beta1 and v1 share their schema); in a classroom, labelled with its
 * shop and exported to the shop's namespace alone, or also to the ingress gateway's where `toIngress`: the
 * gateway must see the ingress route and the subsets it sends to. Istio's default, exported everywhere, would
 * let one shop's route reach every namespace's callers.
 */
function served<T extends IstioObject>(object: T, place: MeshPlace, toIngress = false): T {
    const { shop, networkingApi: apiVersion } = place;
    if (shop === undefined) return { ...object, apiVersion };
    const labelled = { ...object, apiVersion, metadata: { ...object.metadata, labels: { ...object.metadata?.labels, [SHOP_LABEL]: shop.name } } };
    // A Gateway has no exportTo: the ingress gateway reads it wherever it is.
    if (object.kind === "Gateway") return labelled;
    return { ...labelled, spec: { ...object.spec, exportTo: toIngress ? [".", shop.ingressNamespace] : ["."] } };
}

/**
 * Where an object of a shop in `namespace` is exported beyond the shop and the ingress gateway's namespace (what
 * served() allows it); without exportTo Istio exports it everywhere ("*").
 */
export function exportedBeyond(exportTo: string[] | undefined, namespace: string | undefined, ingressNamespace: string): string[] {
    return (exportTo ?? ["*"]).filter((to) => to !== "." && to !== namespace && to !== ingressNamespace);
}

/** "frontend.online-boutique.svc.cluster.local". */
export function serviceHost(service: string, place: MeshPlace): string {
    return `${service}.${place.namespace}.svc.${place.clusterDomain}`;
}

/**
 * The hosts the ingress serves the shop under: any for the single shop, the shop's own in a classroom. A browser
 * sends the port with the host (`alice.localhost:8080`): the ingress gateway's routes ignore it from Istio 1.15
 * (istio/istio 1.15.0 pilot/pkg/networking/core/v1alpha3/gateway.go L475-477, IgnorePortInHostMatching; 1.31.0-rc.0
 * pilot/pkg/networking/core/gateway.go L581) and 1.14 adds `<host>:*` (1.14.0 gateway.go L979-995).
 */
export function ingressHosts(place: MeshPlace): string[] {
    return [place.shop?.host ?? "*"];
}

/** The Gateway the ingress gateway pods serve the shop through, on plain HTTP for its hosts. */
export function frontendGateway(place: MeshPlace, gatewayLabels: Record<string, string>): IGateway {
    return served(
        {
            apiVersion: NETWORKING,
            kind: "Gateway",
            metadata: { name: FRONTEND_GATEWAY, namespace: place.namespace },
            spec: {
                selector: { istio: gatewayLabels.istio },
                servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ingressHosts(place) }],
            },
        },
        place,
    );
}

/** Upstream's egress allowances: Google APIs (tokens, profiler) and the GCE metadata server. */
export function egressServiceEntries(place: MeshPlace): IServiceEntry[] {
    const webPorts = [
        { number: 80, name: "http", protocol: "HTTP" },
        { number: 443, name: "https", protocol: "HTTPS" },
    ];
    const entry = (name: string, spec: NonNullable<IServiceEntry["spec"]>): IServiceEntry =>
        served(
            {
                apiVersion: NETWORKING,
                kind: "ServiceEntry",
                metadata: { name, namespace: place.namespace },
                spec: { location: "MESH_EXTERNAL", resolution: "NONE", ...spec },
            },
            place,
        );
    return [
        entry("allow-egress-googleapis", { hosts: ["accounts.google.com", "*.googleapis.com"], ports: webPorts }),
        entry("allow-egress-google-metadata", { hosts: ["metadata.google.internal"], addresses: ["169.254.169.254"], ports: webPorts }),
    ];
}

/** Versions a scenario sends traffic to, in catalog order, with their share. */
export function routedVersions(scenario: Scenario): { version: FrontendVersion; weight: number }[] {
    return (Object.keys(FRONTEND_VERSIONS) as FrontendVersion[])
        .map((version) => ({ version, weight: scenario.frontend[version] ?? 0 }))
        .filter(({ weight }) => weight > 0);
}

type HttpRoute = NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number];

/** The fault, timeout and retries of a policy, as fields of an Istio HTTP route. */
export function routePolicy(policy: ServicePolicy | undefined): Omit<HttpRoute, "route"> {
    if (policy === undefined) return {};
    const { delay, abort, timeout, retries } = policy;
    const fault = {
        ...(delay ? { delay: { percentage: { value: delay.percentage }, fixedDelay: istioDuration(delay.fixedDelay) } } : {}),
        ...(abort ? { abort: { percentage: { value: abort.percentage }, httpStatus: abort.httpStatus } } : {}),
    };
    return {
        ...(delay || abort ? { fault } : {}),
        ...(timeout ? { timeout: istioDuration(timeout) } : {}),
        ...(retries
            ? {
                  retries: {
                      attempts: retries.attempts,
                      ...(retries.perTryTimeout ? { perTryTimeout: istioDuration(retries.perTryTimeout) } : {}),
                      ...(retries.retryOn ? { retryOn: retries.retryOn } : {}),
                  },
              }
            : {}),
    };
}

/** True when a policy asks something of the mesh's routing (latency alone is the service's own). */
export function routesPolicy(policy: ServicePolicy | undefined): boolean {
    return Object.keys(routePolicy(policy)).length > 0;
}

/**
 * The mesh VirtualService of a service other than the frontend: its whole policy in one object,
 * since two VirtualServices for one host conflict in Istio.
 */
export function serviceVirtualService(name: string, policy: ServicePolicy, place: MeshPlace): IVirtualService {
    const host = serviceHost(name, place);
    const port = boutiqueService(name).service!.port;
    return served(
        {
            apiVersion: NETWORKING,
            kind: "VirtualService",
            metadata: { name, namespace: place.namespace },
            spec: { hosts: [host], http: [{ ...routePolicy(policy), route: [{ destination: { host, port: { number: port } } }] }] },
        },
        place,
    );
}

/**
 * The frontend's DestinationRule and its two VirtualServices: one bound to the Gateway, one for the mesh.
 * Each subset selects the `version` label its Deployment carries.
 */
export function frontendRouting(
    scenario: Scenario,
    place: MeshPlace,
    frontends: FrontendVersions,
): { destinationRule: IDestinationRule; ingress: IVirtualService; mesh: IVirtualService } {
    const host = serviceHost(FRONTEND, place);
    const port = boutiqueService(FRONTEND).service!.port;
    const versions = routedVersions(scenario);
    // Both VirtualServices carry the same split, so Kiali shows in-mesh traffic (the load
    // generator calls frontend:80 directly) split like ingress traffic.
    const route = versions.map(({ version, weight }) => ({
        destination: { host, port: { number: port }, subset: version },
        weight,
        headers: { response: { set: { [VERSION_HEADER]: version } } },
    }));
    const meta = (name: string) => ({ name, namespace: place.namespace });
    // A frontend fault or timeout holds for ingress and in-mesh callers alike.
    const http = [{ ...routePolicy(scenario.services[FRONTEND]), route }];
    return {
        destinationRule: served(
            {
                apiVersion: NETWORKING,
                kind: "DestinationRule",
                metadata: meta(FRONTEND),
                spec: {
                    host,
                    subsets: versions.map(({ version }) => ({ name: version, labels: { version: frontends[version].label } })),
                },
            },
            place,
            true,
        ),
        ingress: served(
            {
                apiVersion: NETWORKING,
                kind: "VirtualService",
                metadata: meta(FRONTEND_INGRESS),
                spec: { hosts: ingressHosts(place), gateways: [FRONTEND_GATEWAY], http },
            },
            place,
            true,
        ),
        mesh: served(
            {
                apiVersion: NETWORKING,
                kind: "VirtualService",
                metadata: meta(FRONTEND),
                spec: { hosts: [host], http },
            },
            place,
        ),
    };
}
