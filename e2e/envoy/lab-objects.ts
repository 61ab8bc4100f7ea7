/**
 * What the Envoy proof takes from one evaluation of the lab: the shop's VirtualServices (and its HTTPRoutes, as
 * the VirtualServices istiod makes of them: gateway-api.ts), DestinationRules and Service ports (for the
 * translation), each Service's own latency (from its Deployment's environment), and the frontend code each
 * subset runs (as verify reads it).
 */
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule" with { "resolution-mode": "import" };
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService" with { "resolution-mode": "import" };
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute" with { "resolution-mode": "import" };
import { BOUTIQUE_SERVICES } from "../../catalog/boutique";
import { durationMs } from "../../config/duration";
import { DeclaredResource } from "../../mocks/evaluate";
import { ServicePort } from "./istiod";
import { virtualServicesOf } from "./gateway-api";
import { FRONTEND_GATEWAY } from "../../components/routing/objects";

export interface LabObjects {
    virtualServices: IVirtualService[];
    destinationRules: IDestinationRule[];
    ports: ServicePort[];
    latencyMs: Record<string, number>;
}

/** The shop's objects of the evaluation, in the shop's namespace. */
export function labObjects(resources: DeclaredResource[], namespace: string): LabObjects {
    const ofKind = (kind: string) => resources.filter((r) => r.inputs.kind === kind && r.inputs.metadata?.namespace === namespace).map((r) => r.inputs);
    // Istio's protocol from the port's name prefix; a TCP port (redis-cart's tcp-redis) gets no HTTP routes.
    const protocol = (name = "") => (["grpc", "http"] as const).find((p) => name === p || name.startsWith(`${p}-`));
    const ports = ofKind("Service").flatMap((s) =>
        ((s.spec?.ports ?? []) as { name?: string; port: number }[]).flatMap((p): ServicePort[] => {
            const proto = protocol(p.name);
            return proto ? [{ host: `${s.metadata.name}.${namespace}.svc.cluster.local`, port: p.port, protocol: proto }] : [];
        }),
    );
    const latencyMs: Record<string, number> = {};
    for (const service of BOUTIQUE_SERVICES.filter((s) => s.latencyVariable)) {
        const deployment = ofKind("Deployment").find((d) => d.metadata.name === service.name);
        const env = (deployment?.spec?.template?.spec?.containers?.[0]?.env ?? []) as { name: string; value?: string }[];
        const value = env.find((e) => e.name === service.latencyVariable)?.value;
        if (value !== undefined) latencyMs[service.name] = durationMs(value) ?? 0;
    }
    return {
        virtualServices: [...(ofKind("VirtualService") as IVirtualService[]), ...virtualServicesOf(ofKind("HTTPRoute") as IHTTPRoute[], FRONTEND_GATEWAY)],
        destinationRules: ofKind("DestinationRule") as IDestinationRule[],
        ports,
        latencyMs,
    };
}
