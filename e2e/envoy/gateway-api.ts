/**
 * The VirtualServices istiod makes of the lab's HTTPRoutes before it builds Envoy's routes from them, field
 * by field as istio/istio 1.31.0-rc.0 pilot/pkg/config/kube/gateway/conversion.go does (C below), for what the
 * lab writes: a rule's timeouts and its backends' weights, ports and response headers. Whatever else an
 * HTTPRoute holds is refused, as in istiod.ts. The result goes through the same translation as the lab's own
 * VirtualServices, so a gateway-api stack is judged by verify on the same Envoy.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute" with { "resolution-mode": "import" };
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService" with { "resolution-mode": "import" };

type HttpRoute = NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number];
type Rule = NonNullable<IHTTPRoute["spec"]["rules"]>[number];

const refuse = (what: string): never => {
    throw new Error(`${what} is not translated by the Envoy harness`);
};

/** C 1134-1158 (buildDestination): a Service backend is `<name>.<namespace>.svc.<domain>` at its port. */
const backendHost = (name: string, namespace: string) => `${name}.${namespace}.svc.cluster.local`;

/** C 977-1052: backends of weight 0 dropped, a lone backend unweighted, each backend's response headers on it. */
function destinations(rule: Rule, namespace: string): NonNullable<HttpRoute["route"]> {
    const kept = (rule.backendRefs ?? []).filter((b) => (b.weight ?? 1) !== 0);
    return kept.map((b) => {
        if ((b.kind ?? "Service") !== "Service" || (b.group ?? "") !== "") refuse(`backend kind ${b.kind}`);
        const response: Record<string, string> = {};
        for (const f of b.filters ?? []) {
            if (f.type !== "ResponseHeaderModifier" || f.responseHeaderModifier?.add || f.responseHeaderModifier?.remove) refuse(`backend filter ${f.type}`);
            for (const { name, value } of f.responseHeaderModifier?.set ?? []) response[name] = value;
        }
        return {
            destination: { host: backendHost(b.name, b.namespace ?? namespace), ...(b.port !== undefined ? { port: { number: b.port } } : {}) },
            weight: kept.length === 1 ? 0 : (b.weight ?? 1),
            ...(Object.keys(response).length > 0 ? { headers: { response: { set: response } } } : {}),
        };
    });
}

/** C 211-228: `timeouts.request` is the route's timeout (0 is none). */
function rule(r: Rule, namespace: string): HttpRoute {
    const untranslated = Object.keys(r).filter((k) => !["backendRefs", "timeouts", "name"].includes(k));
    if (untranslated.length > 0) refuse(`rule.${untranslated[0]}`);
    if (r.timeouts?.backendRequest !== undefined) refuse("timeouts.backendRequest");
    const request = r.timeouts?.request;
    return { ...(request !== undefined && !/^0+(h|m|s|ms)$/.test(request) ? { timeout: request } : {}), route: destinations(r, namespace) };
}

/**
 * One VirtualService per parent of each route: a Gateway's routes are bound to that gateway (the ingress
 * listener's, named `gateway`), a Service's to the mesh with the Service's host (C 545-550, 792-797).
 * An HTTPRoute without hostnames matches any host ("*").
 */
export function virtualServicesOf(routes: IHTTPRoute[], gateway: string): IVirtualService[] {
    return routes.flatMap((route) => {
        const namespace = route.metadata?.namespace ?? "default";
        if ((route.spec.hostnames ?? []).length > 0) refuse("hostnames");
        const http = (route.spec.rules ?? []).map((r) => rule(r, namespace));
        return (route.spec.parentRefs ?? []).map((parent): IVirtualService => {
            const meta = { name: `${route.metadata?.name}-${parent.kind}-${parent.name}`, namespace };
            if (parent.kind === "Service" && parent.group === "")
                return {
                    apiVersion: "networking.istio.io/v1",
                    kind: "VirtualService",
                    metadata: meta,
                    spec: { hosts: [backendHost(parent.name, parent.namespace ?? namespace)], http },
                };
            if ((parent.kind ?? "Gateway") === "Gateway" && parent.name === gateway)
                return { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: meta, spec: { hosts: ["*"], gateways: [gateway], http } };
            return refuse(`parent ${parent.kind} ${parent.name}`);
        });
    });
}
