/**
 * Gateway API, as the lab installs it for `istio.routingApi: gateway-api`: the CRD bundle of the version
 * each Istio minor is built against (its go.mod), and what HTTPRoute cannot say. Istio releases before the
 * first entry are not offered the Gateway API: the lab has not read their translation of it.
 */
import { Source, compareVersions } from "./versions";

/** The release asset Gateway API publishes for each version: the standard channel's CRDs (and its upgrade guard). */
export const GATEWAY_API_CRDS_URL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/standard-install.yaml";

const goMod = (tag: string): Source => ({ repository: "istio/istio", tag, path: "go.mod" });

/** Per Istio minor: the `sigs.k8s.io/gateway-api` version its x.y.0 go.mod requires. */
export const GATEWAY_API_BY_ISTIO: readonly { minor: string; version: string; source: Source }[] = [
    { minor: "1.22", version: "v1.1.0", source: goMod("1.22.0") },
    { minor: "1.23", version: "v1.1.0", source: goMod("1.23.0") },
    { minor: "1.24", version: "v1.2.0", source: goMod("1.24.0") },
    { minor: "1.25", version: "v1.2.1", source: goMod("1.25.0") },
    // 1.26.0 requires a pre-release of v1.3.0 (v1.3.0-rc.1.0.20250404104637-92efbedcc2b4): the lab installs v1.3.0.
    { minor: "1.26", version: "v1.3.0", source: goMod("1.26.0") },
    { minor: "1.27", version: "v1.3.0", source: goMod("1.27.0") },
    { minor: "1.28", version: "v1.4.0", source: goMod("1.28.0") },
    { minor: "1.29", version: "v1.4.0", source: goMod("1.29.0") },
    { minor: "1.30", version: "v1.5.1", source: goMod("1.30.0") },
    { minor: "1.31", version: "v1.6.0", source: goMod("1.31.0-rc.0") },
];

/** The oldest Istio release the lab routes with the Gateway API. */
export const MIN_GATEWAY_API_ISTIO = `${GATEWAY_API_BY_ISTIO[0].minor}.0`;

/** The Gateway API version for an Istio release: its minor's, or the newest read for a newer minor. */
export function gatewayApiVersion(istioVersion: string): string | undefined {
    if (compareVersions(istioVersion, MIN_GATEWAY_API_ISTIO) < 0) return undefined;
    const minor = istioVersion.split(".").slice(0, 2).join(".");
    return (GATEWAY_API_BY_ISTIO.find((e) => e.minor === minor) ?? GATEWAY_API_BY_ISTIO[GATEWAY_API_BY_ISTIO.length - 1]).version;
}

/** Where the Gateway API CRDs of an Istio release are downloaded from, `{version}` filled in. */
export function gatewayApiCrdsUrl(template: string, istioVersion: string): string {
    const version = gatewayApiVersion(istioVersion);
    if (version === undefined) throw new Error(`Istio ${istioVersion} has no Gateway API version in the catalog (${MIN_GATEWAY_API_ISTIO} or newer)`);
    return template.replaceAll("{version}", version);
}

/**
 * What a scenario may ask that an HTTPRoute cannot express, and why. Read in sigs.k8s.io/gateway-api v1.6.1
 * config/crd/standard/gateway.networking.k8s.io_httproutes.yaml (a rule has only backendRefs, filters,
 * matches, name and timeouts; retry is experimental-channel only) and istio/istio 1.31.0-rc.0
 * pilot/pkg/config/kube/gateway/conversion.go (no fault filter; the retryOn it writes has no 5xx,
 * gateway-error or reset, so a per-try timeout is never retried).
 */
export const HTTPROUTE_CANNOT = {
    delay: "HTTPRoute has no fault injection: no delay filter in Gateway API's standard channel, and Istio's translation writes no fault",
    abort: "HTTPRoute has no fault injection: no abort filter in Gateway API's standard channel, and Istio's translation writes no fault",
    retries:
        "HTTPRoute retries exist only in Gateway API's experimental channel, and the retryOn Istio writes for them has none of 5xx, gateway-error, reset, so a per-try timeout is never retried",
} as const;
