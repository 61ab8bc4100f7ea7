/**
 * How the mesh sends spans to the lab's tracer. Until Istio 1.22 the proxies traced to a Zipkin
 * address in the mesh config; since then no tracer is configured by default, and it takes an
 * extension provider plus a Telemetry resource that selects it and sets the sampling rate.
 */
import type { ITelemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry" with { "resolution-mode": "import" };
import { holds } from "../../catalog/versions";
import { ISTIO_NAMESPACE, MeshTracing } from "./charts";

export type TracerKind = "zipkin" | "jaeger" | "none";

/** Both tracers take spans in Zipkin's format on the Service `zipkin`, as Istio's addons define it. */
export const ZIPKIN_SERVICE = "zipkin";
export const ZIPKIN_PORT = 9411;

/** Istio 1.22 and later trace through the Telemetry API (catalog/versions.ts, no-tracer-by-default). */
export const usesTelemetryApi = (istioVersion: string) => holds("no-tracer-by-default", istioVersion);

/**
 * How the proxies reach the tracer, or that they do not trace. Before the Telemetry API a sampling of
 * 0 would read as unset (1%), and an unset tracer as the chart's Zipkin default (catalog/versions.ts,
 * trace-sampling-zero-dropped): there, "no spans" is tracing turned off and the proxy tracer "none".
 */
export function meshTracing(istioVersion: string, tracer: TracerKind, sampling: number, clusterDomain: string): MeshTracing {
    const telemetry = usesTelemetryApi(istioVersion);
    if (tracer === "none") return { meshConfig: { enableTracing: false }, proxyTracer: "none" };
    if (telemetry) {
        return {
            meshConfig: {
                enableTracing: true,
                // Helm replaces lists: this is the mesh's only provider, the demo profile's are not kept.
                extensionProviders: [{ name: tracer, zipkin: { service: `${ZIPKIN_SERVICE}.${ISTIO_NAMESPACE}.svc.${clusterDomain}`, port: ZIPKIN_PORT } }],
            },
        };
    }
    if (sampling === 0) return { meshConfig: { enableTracing: false } };
    return {
        meshConfig: {
            enableTracing: true,
            defaultConfig: { tracing: { sampling, zipkin: { address: `${ZIPKIN_SERVICE}.${ISTIO_NAMESPACE}:${ZIPKIN_PORT}` } } },
        },
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
