/**
 * The route configuration istiod would send for the lab's VirtualServices and DestinationRules: the
 * outbound routes every sidecar of the shop gets, and the ingress gateway's routes. This is the project's
 * own reading of istiod; what Envoy then does with it is what e2e/envoy.spec.ts proves on a real Envoy.
 *
 * Read at istio/istio 1.31.0-rc.0 (the tags 1.31.0 and 1.31.1 are not in the mirror read; route.go and
 * retry.go are the same at the release-1.31 branch head a8d70121), paths under pilot/pkg/:
 *   R  networking/core/route/route.go
 *   RR networking/core/route/retry/retry.go
 *   C  networking/core/cluster_traffic_policy.go
 *   F  xds/filters/filters.go
 * Only what the lab's objects use is translated; anything else (a match, a rewrite, a mirror, a delay
 * other than fixed) is refused, so a new kind of route cannot pass untranslated.
 */
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule" with { "resolution-mode": "import" };
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService" with { "resolution-mode": "import" };
import { durationMs } from "../../config/duration";

type HttpRoute = NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number];
type Destination = NonNullable<HttpRoute["route"]>[number];

/** A Service port of the shop, and the protocol Istio gives it from the port's name ("grpc", "http"). */
export interface ServicePort {
    host: string;
    port: number;
    protocol: "grpc" | "http";
}

export interface FractionalPercent {
    numerator: number;
    denominator: "HUNDRED" | "MILLION";
}

export interface RetryPolicy {
    retry_on: string;
    num_retries: number;
    per_try_timeout?: string;
    retriable_status_codes?: number[];
    retry_host_predicate?: { name: string; typed_config: { "@type": string } }[];
    host_selection_retry_max_attempts: number;
}

export interface HeaderOption {
    header: { key: string; value: string };
    append_action: "OVERWRITE_IF_EXISTS_OR_ADD" | "APPEND_IF_EXISTS_OR_ADD";
}

export interface HttpFault {
    "@type": typeof FAULT_TYPE;
    delay?: { fixed_delay: string; percentage: FractionalPercent };
    abort?: { http_status: number; percentage?: FractionalPercent };
}

export interface Route {
    match: { prefix: string };
    route: {
        cluster?: string;
        weighted_clusters?: { clusters: { name: string; weight: number; response_headers_to_add?: HeaderOption[] }[] };
        timeout: string;
        max_grpc_timeout: string;
        retry_policy?: RetryPolicy;
    };
    response_headers_to_add?: HeaderOption[];
    typed_per_filter_config?: { [FAULT_FILTER]: HttpFault };
}

export interface VirtualHost {
    name: string;
    domains: string[];
    routes: Route[];
}

/** An outbound cluster: its name as istiod builds it, and the Service port (and subset) it stands for. */
export interface OutboundCluster {
    name: string;
    host: string;
    port: number;
    subset: string;
    http2: boolean;
}

export interface Translation {
    /** The outbound routes of every sidecar in the shop (the VirtualServices bound to the mesh). */
    sidecar: VirtualHost[];
    /** The ingress gateway's routes (the VirtualServices bound to the shop's Gateway). */
    ingress: VirtualHost[];
    clusters: OutboundCluster[];
}

/** The per-route key of the fault filter (pkg/wellknown/wellknown.go: wellknown.Fault), R 559-564. */
export const FAULT_FILTER = "envoy.filters.http.fault";
export const FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

/** R 71 Notimeout: a route without a VirtualService timeout has none (Envoy: 0 disables it). */
const NO_TIMEOUT = "0s";

/** F 93-98: the previous-hosts predicate every default policy carries. */
const PREVIOUS_HOSTS = {
    name: "envoy.retry_host_predicates.previous_hosts",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" },
};

/** RR 36-50: the policy of a route whose VirtualService sets no retries (the mesh config sets no default, R 680-684). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
    retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
    num_retries: 2,
    retry_host_predicate: [PREVIOUS_HOSTS],
    host_selection_retry_max_attempts: 5,
};

/** R 1370-1375: a VirtualService percentage becomes parts per million, truncated. */
function perMillion(value: number): FractionalPercent {
    return { numerator: Math.trunc(value * 10000), denominator: "MILLION" };
}

/** Envoy's JSON duration for a VirtualService duration ("6s", "500ms"). */
function seconds(duration: string): string {
    const ms = durationMs(duration);
    if (ms === undefined) throw new Error(`not a duration: ${duration}`);
    return `${ms / 1000}s`;
}

/** RR 152-174: retryOn split into conditions and the numbers that are HTTP status codes. */
function parseRetryOn(retryOn: string): { conditions: string; codes: number[] } {
    const parts = retryOn
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "");
    const isCode = (p: string) => /^\d+$/.test(p) && Number(p) >= 100 && Number(p) <= 599;
    return { conditions: parts.filter((p) => !isCode(p)).join(","), codes: parts.filter(isCode).map(Number) };
}

/** RR 97-150: the VirtualService's retries; none at all for attempts 0. */
export function retryPolicy(retries: HttpRoute["retries"]): RetryPolicy | undefined {
    if (!retries) return DEFAULT_RETRY_POLICY;
    if ((retries.attempts ?? 0) <= 0) return undefined;
    const out: RetryPolicy = { ...DEFAULT_RETRY_POLICY, num_retries: retries.attempts! };
    if (retries.retryOn) {
        const { conditions, codes } = parseRetryOn(retries.retryOn);
        out.retry_on = codes.length > 0 && !conditions.includes("retriable-status-codes") ? `${conditions},retriable-status-codes` : conditions;
        if (codes.length > 0) out.retriable_status_codes = codes;
    }
    if (retries.perTryTimeout) out.per_try_timeout = seconds(retries.perTryTimeout);
    const unsupported = Object.keys(retries).filter((k) => !["attempts", "retryOn", "perTryTimeout"].includes(k));
    if (unsupported.length > 0) throw new Error(`retries.${unsupported[0]} is not translated by the Envoy harness`);
    return out;
}

/** R 1386-1434: the fault filter's per-route config; undefined when neither a delay nor an abort remains. */
export function httpFault(fault: HttpRoute["fault"]): HttpFault | undefined {
    if (!fault) return undefined;
    const out: HttpFault = { "@type": FAULT_TYPE };
    if (fault.delay) {
        if (!fault.delay.fixedDelay) throw new Error("only a fixed delay is translated (R 1403-1407: Istio drops others)");
        out.delay = {
            fixed_delay: seconds(fault.delay.fixedDelay),
            // R 1396-1400: the integer percent (deprecated) counts in hundredths, 0 when unset.
            percentage: fault.delay.percentage
                ? perMillion(fault.delay.percentage.value ?? 0)
                : { numerator: fault.delay.percent ?? 0, denominator: "HUNDRED" },
        };
    }
    if (fault.abort) {
        if (fault.abort.httpStatus === undefined) throw new Error("only an HTTP status abort is translated");
        // R 1413-1415: no percentage, no FractionalPercent (Envoy then aborts none).
        out.abort = { http_status: fault.abort.httpStatus, ...(fault.abort.percentage ? { percentage: perMillion(fault.abort.percentage.value ?? 0) } : {}) };
    }
    return out.delay || out.abort ? out : undefined;
}

/** R 970-996: `set` overwrites, `add` appends; sorted by name. */
function responseHeaders(headers: Destination["headers"]): HeaderOption[] | undefined {
    const response = headers?.response;
    if (!response) return undefined;
    const option =
        (append: boolean) =>
        ([key, value]: [string, string]): HeaderOption => ({
            header: { key, value },
            append_action: append ? "APPEND_IF_EXISTS_OR_ADD" : "OVERWRITE_IF_EXISTS_OR_ADD",
        });
    const options = [...Object.entries(response.set ?? {}).map(option(false)), ...Object.entries(response.add ?? {}).map(option(true))];
    return options.sort((a, b) => (a.header.key < b.header.key ? -1 : a.header.key > b.header.key ? 1 : 0));
}

/** pilot/pkg/model/service.go 1860-1862 BuildSubsetKey: `outbound|PORT|SUBSET|HOST`. */
export const clusterName = (host: string, port: number, subset = "") => `outbound|${port}|${subset}|${host}`;

/** R 363-368: the destination's port, else the Service's only port. */
function destinationCluster(destination: Destination["destination"], ports: ServicePort[]): string {
    const host = destination.host;
    const port = destination.port?.number ?? ports.filter((p) => p.host === host).map((p) => p.port)[0];
    if (port === undefined) throw new Error(`no Service port for ${host}`);
    return clusterName(host, port, destination.subset);
}

/** R 1335-1355: the VirtualService's timeout, or none; max_grpc_timeout follows it. */
function timeouts(timeout: string | undefined) {
    const t = timeout ? seconds(timeout) : NO_TIMEOUT;
    return { timeout: t, max_grpc_timeout: t };
}

/** R 472-625 and 669-710: one HTTP route of a VirtualService. */
export function translateRoute(http: HttpRoute, ports: ServicePort[]): Route {
    const untranslated = Object.keys(http).filter((k) => !["route", "timeout", "retries", "fault", "name"].includes(k));
    if (untranslated.length > 0) throw new Error(`http.${untranslated[0]} is not translated by the Envoy harness`);
    const destinations = (http.route ?? []).filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
    if (destinations.length === 0) throw new Error("a route without a destination is not translated");
    const action: Route["route"] = { ...timeouts(http.timeout) };
    const out: Route = { match: { prefix: "/" }, route: action };
    if (destinations.length === 1) {
        // R 714-724: one destination, the cluster itself, its headers on the route.
        action.cluster = destinationCluster(destinations[0].destination, ports);
        const headers = responseHeaders(destinations[0].headers);
        if (headers) out.response_headers_to_add = headers;
    } else {
        // R 690-705, 747-763: weighted clusters, zero weights left out, each destination's headers on its cluster.
        action.weighted_clusters = {
            clusters: destinations.map((d) => {
                const headers = responseHeaders(d.headers);
                return { name: destinationCluster(d.destination, ports), weight: d.weight ?? 0, ...(headers ? { response_headers_to_add: headers } : {}) };
            }),
        };
    }
    const retries = retryPolicy(http.retries);
    if (retries) action.retry_policy = retries;
    const fault = httpFault(http.fault);
    if (fault) out.typed_per_filter_config = { [FAULT_FILTER]: fault };
    return out;
}

/** R 1359-1366: the route of a Service no VirtualService names. */
function defaultRoute(cluster: string): Route {
    return { match: { prefix: "/" }, route: { cluster, ...timeouts(undefined), retry_policy: DEFAULT_RETRY_POLICY } };
}

const domainsOf = (host: string, port: number) => [host, `${host}:${port}`];

/**
 * Every route istiod would send for the shop's objects. The virtual hosts' domains are the harness's own
 * (the stand-in shop calls each Service by its full name, with and without the port); istiod adds the
 * short names too.
 */
export function translate(
    objects: { virtualServices: IVirtualService[]; destinationRules: IDestinationRule[]; ports: ServicePort[] },
    gateway: string,
): Translation {
    const { virtualServices, destinationRules, ports } = objects;
    const meshBound = (vs: IVirtualService) => (vs.spec?.gateways ?? ["mesh"]).includes("mesh");
    const sidecar = ports.map(({ host, port }): VirtualHost => {
        const vs = virtualServices.find((v) => meshBound(v) && (v.spec?.hosts ?? []).includes(host));
        const routes = vs ? (vs.spec?.http ?? []).map((h) => translateRoute(h, ports)) : [defaultRoute(clusterName(host, port))];
        return { name: `${host}:${port}`, domains: domainsOf(host, port), routes };
    });
    const ingress = virtualServices
        .filter((vs) => (vs.spec?.gateways ?? []).includes(gateway))
        .map((vs): VirtualHost => {
            const hosts = vs.spec?.hosts ?? [];
            return { name: `${vs.metadata?.name}:${hosts.join(",")}`, domains: hosts, routes: (vs.spec?.http ?? []).map((h) => translateRoute(h, ports)) };
        });
    const http2 = (host: string, port: number) => ports.find((p) => p.host === host && p.port === port)?.protocol === "grpc";
    const plain = ports.map(({ host, port }) => ({ name: clusterName(host, port), host, port, subset: "", http2: http2(host, port) }));
    const subsets = destinationRules.flatMap((dr) => {
        const host = dr.spec!.host;
        return ports
            .filter((p) => p.host === host)
            .flatMap(({ port }) =>
                (dr.spec?.subsets ?? []).map((s) => ({ name: clusterName(host, port, s.name), host, port, subset: s.name, http2: http2(host, port) })),
            );
    });
    return { sidecar, ingress, clusters: [...plain, ...subsets] };
}
