/**
 * An Envoy bootstrap that serves a translation (e2e/envoy/istiod.ts) on loopback: one listener as the
 * shop's sidecars (their outbound routes), one as the ingress gateway, every outbound cluster pointing at
 * the stand-in that plays its Service (or subset). Static: no xDS server, the routes are given whole.
 */
import { FAULT_FILTER, FAULT_TYPE, OutboundCluster, Translation, VirtualHost } from "./istiod";

/** The listeners, on ports the kernel picks (Envoy reports them on its admin endpoint). */
export const LISTENERS = ["sidecar", "ingress"] as const;

const LOOPBACK = "127.0.0.1";
const address = (port: number) => ({ socket_address: { address: LOOPBACK, port_value: port } });
const MAX = 4294967295;

/**
 * The HTTP connection manager of a listener: the fault filter before the router, as istiod installs it
 * (pilot/pkg/networking/core/listener_builder.go 511-512 and 546-547; pilot/pkg/xds/filters/filters.go
 * 111-114: an empty HTTPFault, which the routes' per-filter config then drives).
 */
function listener(name: string, port: number, virtualHosts: VirtualHost[]) {
    return {
        name,
        address: address(port),
        filter_chains: [
            {
                filters: [
                    {
                        name: "envoy.filters.network.http_connection_manager",
                        typed_config: {
                            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                            stat_prefix: name,
                            codec_type: "AUTO",
                            route_config: { name, virtual_hosts: virtualHosts },
                            http_filters: [
                                { name: FAULT_FILTER, typed_config: { "@type": FAULT_TYPE } },
                                {
                                    name: "envoy.filters.http.router",
                                    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                                },
                            ],
                        },
                    },
                ],
            },
        ],
    };
}

/**
 * An outbound cluster with istiod's circuit breakers (pilot/pkg/networking/core/cluster_traffic_policy.go
 * 470-481: every threshold at the maximum, where Envoy's own default allows 3 retries at once) and HTTP/2
 * towards a gRPC port.
 */
function cluster(c: OutboundCluster, port: number) {
    return {
        name: c.name,
        type: "STATIC",
        connect_timeout: "10s",
        load_assignment: { cluster_name: c.name, endpoints: [{ lb_endpoints: [{ endpoint: { address: address(port) } }] }] },
        circuit_breakers: { thresholds: [{ max_retries: MAX, max_requests: MAX, max_connections: MAX, max_pending_requests: MAX }] },
        ...(c.http2
            ? {
                  typed_extension_protocol_options: {
                      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                          explicit_http_config: { http2_protocol_options: {} },
                      },
                  },
              }
            : {}),
    };
}

/** The bootstrap; `endpoints` gives the port of each outbound cluster's stand-in. */
export function bootstrap(translation: Translation, endpoints: Record<string, number>): Record<string, unknown> {
    const missing = translation.clusters.filter((c) => endpoints[c.name] === undefined).map((c) => c.name);
    if (missing.length > 0) throw new Error(`no stand-in for ${missing.join(", ")}`);
    return {
        admin: { address: address(0) },
        static_resources: {
            listeners: LISTENERS.map((name) => listener(name, 0, translation[name])),
            clusters: translation.clusters.map((c) => cluster(c, endpoints[c.name])),
        },
    };
}
