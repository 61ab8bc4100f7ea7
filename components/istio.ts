/**
 * Istio from its Helm charts, as data: chart references and values for base, istiod and the
 * gateways, shaped for the configured Istio version. Pure functions; the Mesh component declares them.
 */
import { IngressService, LabConfig, compareVersions } from "../config/schema";
import { EXPOSED_BY_CONFIG } from "./annotations";
import { Mirrors, mirrorImage, mirrorRepository } from "./images";

export const ISTIO_NAMESPACE = "istio-system";

/** Requests fit for a lab, as Istio's demo profile sets them. */
const DEMO_PROXY_RESOURCES = { requests: { cpu: "10m", memory: "40Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } };
const DEMO_ISTIOD_RESOURCES = { requests: { cpu: "10m", memory: "100Mi" }, limits: { cpu: "1000m", memory: "1024Mi" } };

/** A Helm chart as the helm.v4.Chart resource takes it. */
export interface ChartRef {
    chart: string;
    version: string;
    repositoryOpts?: { repo: string };
}

/** `chart` from an http(s) repository, or the chart's path below an oci:// registry. */
export function chartRef(repository: string, chart: string, version: string): ChartRef {
    return repository.startsWith("oci://") ? { chart: `${repository}/${chart}`, version } : { chart, version, repositoryOpts: { repo: repository } };
}

type IstioConfig = LabConfig["istio"];

/** The hub Istio's images are pulled from, after the mirrors. */
export function istioHub(istio: IstioConfig, mirrors: Mirrors): string {
    return mirrorRepository(istio.hub, mirrors);
}

/** Istio's images: istiod, and the proxy every sidecar and gateway runs. */
export function istioImages(istio: IstioConfig, mirrors: Mirrors): string[] {
    return ["pilot", "proxyv2"].map((image) => mirrorImage(`${istio.hub}/${image}:${istio.version}`, mirrors));
}

/**
 * Versions whose charts honour `base.validationFailurePolicy`. With it the validating webhooks are
 * created as `Fail`, the value istiod itself sets once it serves them, so a later `pulumi up` finds
 * nothing to change and no field owned by istiod. Older charts render `Ignore` and istiod flips it.
 */
export function honoursValidationFailurePolicy(version: string): boolean {
    const [, minor] = version.split(".").map(Number);
    if (minor >= 30) return true;
    if (minor === 29) return compareVersions(version, "1.29.2") >= 0;
    if (minor === 28) return compareVersions(version, "1.28.6") >= 0;
    return false;
}

/** Fail closed from the start: nothing may create Istio config before istiod validates it. */
const validation = { base: { validationFailurePolicy: "Fail" } };

export function baseValues(): Record<string, unknown> {
    return { ...validation, defaultRevision: "default", global: { istioNamespace: ISTIO_NAMESPACE } };
}

/**
 * istiod values. Charts before 1.24 nest istiod's own settings under `pilot`; later ones are flat.
 * `meshConfig` adds to the demo profile's mesh config (tracing, from components/tracing.ts).
 */
export function istiodValues(istio: IstioConfig, mirrors: Mirrors, clusterDomain: string, meshConfig: Record<string, unknown> = {}): Record<string, unknown> {
    const pilot = {
        autoscaleEnabled: false,
        replicaCount: 1,
        traceSampling: istio.traceSampling,
        resources: DEMO_ISTIOD_RESOURCES,
    };
    const layout = compareVersions(istio.version, "1.24.0") >= 0 ? pilot : { pilot };
    return {
        ...layout,
        ...validation,
        global: {
            hub: istioHub(istio, mirrors),
            tag: istio.version,
            istioNamespace: ISTIO_NAMESPACE,
            proxy: { clusterDomain, resources: DEMO_PROXY_RESOURCES },
        },
        // Prometheus merge lets one scrape of the proxy's port return the app's metrics too.
        meshConfig: { accessLogFile: "/dev/stdout", enablePrometheusMerge: true, ...meshConfig },
    };
}

/** A gateway deployment of the `gateway` chart. */
export interface GatewaySpec {
    /** Helm release name, and so the name of its Deployment and Service. */
    release: string;
    /** Pod labels; `istio` is what a Gateway's selector matches. */
    labels: { app: string; istio: string };
}

export const INGRESS_GATEWAY: GatewaySpec = { release: "istio-ingressgateway", labels: { app: "istio-ingressgateway", istio: "ingressgateway" } };
export const EGRESS_GATEWAY: GatewaySpec = { release: "istio-egressgateway", labels: { app: "istio-egressgateway", istio: "egressgateway" } };

/** Port names tell Istio the protocol; numbers are the gateway chart's defaults. */
function gatewayPorts(httpNodePort?: number) {
    return [
        { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
        { name: "http2", port: 80, protocol: "TCP", targetPort: 80, ...(httpNodePort !== undefined ? { nodePort: httpNodePort } : {}) },
        { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
    ];
}

/** How the Service of a gateway is exposed. Egress gateways are only ever reached from inside. */
function gatewayService(exposure: IngressService): Record<string, unknown> {
    switch (exposure.type) {
        case "NodePort":
            return { type: "NodePort", ports: gatewayPorts(exposure.httpNodePort), annotations: EXPOSED_BY_CONFIG };
        case "LoadBalancer":
            // Pulumi otherwise waits for an external address that kind, minikube or kubeadm never assign.
            return {
                type: "LoadBalancer",
                ports: gatewayPorts(),
                annotations: { ...EXPOSED_BY_CONFIG, ...(exposure.awaitAddress ? {} : { "pulumi.com/skipAwait": "true" }) },
            };
        case "ClusterIP":
            return { type: "ClusterIP", ports: gatewayPorts() };
    }
}

export function gatewayValues(gateway: GatewaySpec, exposure: IngressService): Record<string, unknown> {
    return {
        name: gateway.release,
        labels: gateway.labels,
        replicaCount: 1,
        autoscaling: { enabled: false },
        resources: DEMO_PROXY_RESOURCES,
        service: gatewayService(exposure),
    };
}
