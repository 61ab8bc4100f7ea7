/**
 * The scenario's routing through the Gateway API (`istio.routingApi: gateway-api`), as typed data: the
 * same split, version header and timeouts the Istio API gives (components/routing/objects.ts), written
 * as a Gateway, HTTPRoutes and a Service per frontend version. Pure functions.
 *
 * What Istio does with them was read in istio/istio 1.31.0-rc.0 (and checked back to 1.22.0):
 *  - a Gateway whose one address is a Hostname is not deployed by istiod but programs the pods behind
 *    that Service, in the Gateway's own namespace (pilot/pkg/config/kube/gatewaycommon/gateway_utils.go
 *    IsManaged, L64-78; pilot/pkg/model/push_context.go L2431-2474): so the lab's Gateway lives in
 *    istio-system and drives the ingress gateway the gateway chart installs, with its node port and URL;
 *  - HTTPRoute backendRef weights become weighted destinations, a backendRef's ResponseHeaderModifier
 *    that destination's response headers, `timeouts.request` the route timeout
 *    (pilot/pkg/config/kube/gateway/conversion.go buildHTTPDestination L977-1052, L211-228);
 *  - a parentRef to a Service (group "", GAMMA) routes the mesh's calls to it, sidecars included
 *    (conversion.go L545-550, L792-797).
 */
import type { types } from "@pulumi/kubernetes";
import type { IGateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway" with { "resolution-mode": "import" };
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute" with { "resolution-mode": "import" };
import { FRONTEND, boutiqueService } from "../../catalog/boutique";
import { durationMs } from "../../config/duration";
import { FrontendVersion, Scenario, ServicePolicy } from "../../stacks";
import type { FrontendVersions } from "../shop/workloads";
import { FRONTEND_GATEWAY, FRONTEND_INGRESS, MeshPlace, VERSION_HEADER, routedVersions } from "./objects";

export type { IGateway as IGatewayApiGateway, IHTTPRoute };

const GATEWAY_API = "gateway.networking.k8s.io/v1" as const;

/** Where the Gateway lives: beside the ingress gateway's Service it drives. */
export interface IngressPlace {
    /** The ingress gateway's namespace. */
    namespace: string;
    /** The ingress gateway's Service. */
    service: string;
}

/** "frontend-original", "frontend-v1": the Service that selects one frontend version, as a backendRef names it. */
export function versionServiceName(version: string): string {
    return `${FRONTEND}-${version}`;
}

/**
 * The Gateway API Gateway `frontend-gateway`, class istio, on plain HTTP port 80 like the Istio Gateway,
 * bound by its address to the ingress gateway's Service (the gateway chart's port 80), and open to routes
 * of the shop's namespace only.
 */
export function gatewayApiGateway(place: MeshPlace, ingress: IngressPlace): IGateway {
    return {
        apiVersion: GATEWAY_API,
        kind: "Gateway",
        metadata: { name: FRONTEND_GATEWAY, namespace: ingress.namespace },
        spec: {
            gatewayClassName: "istio",
            addresses: [{ type: "Hostname", value: `${ingress.service}.${ingress.namespace}.svc.${place.clusterDomain}` }],
            listeners: [
                {
                    name: "http",
                    port: 80,
                    protocol: "HTTP",
                    allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": place.namespace } } } },
                },
            ],
        },
    };
}

/** The Service that selects one frontend version's pods by their `version` label, ported as `frontend`. */
export function versionService(version: FrontendVersion, place: MeshPlace, frontends: FrontendVersions): types.input.core.v1.Service {
    const frontend = boutiqueService(FRONTEND);
    const labels = { app: FRONTEND, version: frontends[version].label };
    return {
        metadata: { name: versionServiceName(version), namespace: place.namespace, labels },
        spec: {
            type: "ClusterIP",
            selector: labels,
            ports: [{ name: frontend.service!.portName, port: frontend.service!.port, targetPort: frontend.containerPort!.port }],
        },
    };
}

/** A Go duration as Gateway API writes one: whole milliseconds, "2s" or "1500ms" (GEP-2257). */
export function gatewayDuration(text: string): string {
    const ms = durationMs(text);
    if (ms === undefined) throw new Error(`not a duration: ${text}`);
    const whole = Math.max(1, Math.round(ms));
    return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

type Rule = NonNullable<IHTTPRoute["spec"]["rules"]>[number];

/** The rule fields of a policy; the config refuses what HTTPRoute cannot say (config/schema.ts). */
function rulePolicy(service: string, policy: ServicePolicy | undefined): Omit<Rule, "backendRefs"> {
    if (policy === undefined) return {};
    for (const field of ["delay", "abort", "retries"] as const)
        if (policy[field] !== undefined) throw new Error(`${service}: HTTPRoute cannot express ${field} (the config should have refused it)`);
    return policy.timeout !== undefined ? { timeouts: { request: gatewayDuration(policy.timeout) } } : {};
}

/** A parentRef to a Service of the shop: the mesh's calls to it (GAMMA). */
const meshParent = (service: string) => ({ group: "", kind: "Service", name: service });

/**
 * The frontend's two HTTPRoutes, one on the Gateway and one on the frontend Service for in-mesh callers,
 * with the same split: each version's Service, its weight, and the header naming the version that answered.
 */
export function frontendHttpRoutes(scenario: Scenario, place: MeshPlace, ingress: IngressPlace): { ingress: IHTTPRoute; mesh: IHTTPRoute } {
    const port = boutiqueService(FRONTEND).service!.port;
    const rule: Rule = {
        ...rulePolicy(FRONTEND, scenario.services[FRONTEND]),
        backendRefs: routedVersions(scenario).map(({ version, weight }) => ({
            name: versionServiceName(version),
            port,
            weight,
            filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: VERSION_HEADER, value: version }] } }],
        })),
    };
    const route = (name: string, parentRefs: NonNullable<IHTTPRoute["spec"]["parentRefs"]>): IHTTPRoute => ({
        apiVersion: GATEWAY_API,
        kind: "HTTPRoute",
        metadata: { name, namespace: place.namespace },
        spec: { parentRefs, rules: [rule] },
    });
    return {
        ingress: route(FRONTEND_INGRESS, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: FRONTEND_GATEWAY, namespace: ingress.namespace }]),
        mesh: route(FRONTEND, [meshParent(FRONTEND)]),
    };
}

/** The mesh HTTPRoute of a service other than the frontend: its policy on the calls to it. */
export function serviceHttpRoute(name: string, policy: ServicePolicy, place: MeshPlace): IHTTPRoute {
    const port = boutiqueService(name).service!.port;
    return {
        apiVersion: GATEWAY_API,
        kind: "HTTPRoute",
        metadata: { name, namespace: place.namespace },
        spec: { parentRefs: [meshParent(name)], rules: [{ ...rulePolicy(name, policy), backendRefs: [{ name, port }] }] },
    };
}
