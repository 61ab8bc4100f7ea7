/**
 * How the mesh sends spans to the lab's tracer. Until Istio 1.22 the proxies traced to a Zipkin
 * address in the mesh config; since then no tracer is configured by default, and it takes an
 * extension provider plus a Telemetry resource that selects it and sets the sampling rate.
 */
import type { ITelemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry" with { "resolution-mode": "import" };
import { compareVersions } from "../config/schema";
import { ISTIO_NAMESPACE } from "./istio";

export type TracerKind = "zipkin" | "jaeger" | "none";

/** Both tracers take spans in Zipkin's format on the Service `zipkin`, as Istio's addons define it. */
export const ZIPKIN_SERVICE = "zipkin";
export const ZIPKIN_PORT = 9411;

const TELEMETRY_SINCE = "1.22.0";
export const usesTelemetryApi = (istioVersion: string) => compareVersions(istioVersion, TELEMETRY_SINCE) >= 0;

/** The mesh config that points the proxies at the tracer, or turns tracing off when there is none. */
export function tracingMeshConfig(istioVersion: string, tracer: TracerKind, sampling: number, clusterDomain: string): Record<string, unknown> {
    if (tracer === "none") return { enableTracing: false };
    if (usesTelemetryApi(istioVersion)) {
        return {
            enableTracing: true,
            // Helm replaces lists: this is the mesh's only provider, the demo profile's are not kept.
            extensionProviders: [{ name: tracer, zipkin: { service: `${ZIPKIN_SERVICE}.${ISTIO_NAMESPACE}.svc.${clusterDomain}`, port: ZIPKIN_PORT } }],
        };
    }
    return {
        enableTracing: true,
        defaultConfig: { tracing: { sampling, zipkin: { address: `${ZIPKIN_SERVICE}.${ISTIO_NAMESPACE}:${ZIPKIN_PORT}` } } },
    };
}

/** The mesh-wide Telemetry resource selecting the tracer (Istio 1.22 and later), or none. */
export function tracingTelemetry(istioVersion: string, tracer: TracerKind, sampling: number): ITelemetry | undefined {
    if (tracer === "none" || !usesTelemetryApi(istioVersion)) return undefined;
    return {
        apiVersion: "telemetry.istio.io/v1",
        kind: "Telemetry",
        // In the root namespace, it applies to the whole mesh.
        metadata: { name: "mesh-default", namespace: ISTIO_NAMESPACE },
        spec: { tracing: [{ providers: [{ name: tracer }], randomSamplingPercentage: sampling }] },
    };
}
