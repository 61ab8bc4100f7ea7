/**
 * Istio from its Helm charts, as data: chart references and values for base, istiod and the
 * gateways, shaped for the configured Istio version. Pure functions; the Mesh component declares them.
 */
import { holds } from "../../catalog/versions";
import { IngressService, LabConfig } from "../../config/schema";
import { EXPOSED_BY_CONFIG, SKIP_AWAIT } from "../labels";
import { Mirrors, mirrorImage, mirrorRepository } from "../images/references";
import { AMBIENT_PROFILE_VARIANT, NODE_AGENTS, NodeAgent } from "../../catalog/ambient";

export const ISTIO_NAMESPACE = "istio-system";

/**
 * Requests as Istio's demo profile sets them (catalog/versions.ts, demo-profile-resources). The demo
 * profile sets no limits: proxies and gateways keep the charts' own (2000m / 1024Mi), while istiod's
 * chart has none, so its limits are the lab's choice, made because the policy pack requires limits on
 * every container.
 */
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

/** The ambient profile, as the Helm guide gives it to istiod and cni; nothing for sidecars. */
function profile(istio: IstioConfig, agent?: NodeAgent): Record<string, unknown> {
    return istio.dataPlane === "ambient" && (agent?.ambientProfile ?? true) ? { profile: "ambient" } : {};
}

/** An image of Istio's hub at the lab's release, with the variant the ambient profile gives it. */
function istioImage(istio: IstioConfig, mirrors: Mirrors, image: string, profiled: boolean): string {
    const variant = istio.dataPlane === "ambient" && profiled ? `-${AMBIENT_PROFILE_VARIANT}` : "";
    return mirrorImage(`${istio.hub}/${image}:${istio.version}${variant}`, mirrors);
}

/** Istio's images: istiod, the proxy every sidecar, gateway and waypoint runs, and in ambient the node agents'. */
export function istioImages(istio: IstioConfig, mirrors: Mirrors): string[] {
    const agents = istio.dataPlane === "ambient" ? NODE_AGENTS.map((a) => istioImage(istio, mirrors, a.image, a.ambientProfile)) : [];
    return [...["pilot", "proxyv2"].map((image) => istioImage(istio, mirrors, image, true)), ...agents];
}

/**
 * Fail closed from the start, the value istiod converges to, where the chart reads it; for the other
 * releases the Mesh's transform (components/chart-transforms.ts, failClosedValidation) does the same.
 */
function validation(version: string): Record<string, unknown> {
    return holds("validation-failure-policy-honoured", version) ? { base: { validationFailurePolicy: "Fail" } } : {};
}

export function baseValues(version: string): Record<string, unknown> {
    return { ...validation(version), defaultRevision: "default", global: { istioNamespace: ISTIO_NAMESPACE } };
}

/** How the proxies trace: the mesh config to merge, and the chart's proxy tracer when it must be set. */
export interface MeshTracing {
    meshConfig: Record<string, unknown>;
    /** `global.proxy.tracer`; "none" keeps older charts from writing their default Zipkin address. */
    proxyTracer?: string;
}

/**
 * istiod values. Charts before 1.24 nest istiod's own settings under `pilot`; later ones are flat.
 * `tracing.meshConfig` adds to the demo profile's mesh config (from components/mesh/tracing.ts).
 */
export function istiodValues(istio: IstioConfig, mirrors: Mirrors, clusterDomain: string, tracing: MeshTracing = { meshConfig: {} }): Record<string, unknown> {
    const pilot = {
        autoscaleEnabled: false,
        replicaCount: 1,
        traceSampling: istio.traceSampling,
        resources: DEMO_ISTIOD_RESOURCES,
    };
    const layout = holds("istiod-flat-values", istio.version) ? pilot : { pilot };
    return {
        ...profile(istio),
        ...layout,
        ...validation(istio.version),
        global: {
            hub: istioHub(istio, mirrors),
            tag: istio.version,
            istioNamespace: ISTIO_NAMESPACE,
            // istiod's own validating webhook, which charts before 1.22 leave out by default: istiod writes its
            // CA bundle in the same pass as the base chart's validator's, so waiting for it waits for both.
            configValidation: true,
            // One istiod and a minAvailable of 1 would block draining its node.
            ...(holds("istiod-pdb-whatever-the-replicas", istio.version) ? { defaultPodDisruptionBudget: { enabled: false } } : {}),
            proxy: { clusterDomain, resources: DEMO_PROXY_RESOURCES, ...(tracing.proxyTracer !== undefined ? { tracer: tracing.proxyTracer } : {}) },
        },
        // Prometheus merge lets one scrape of the proxy's port return the app's metrics too.
        meshConfig: { accessLogFile: "/dev/stdout", enablePrometheusMerge: true, ...tracing.meshConfig },
    };
}

/**
 * Requests as the cni and ztunnel charts set them (manifests/charts/{istio-cni,ztunnel}/values.yaml at 1.24.0
 * and 1.31.0-rc.0), and limits the charts leave out: the proxies' own, because the policy pack requires
 * limits on every container.
 */
const NODE_AGENT_RESOURCES: Record<NodeAgent["chart"], Record<string, unknown>> = {
    cni: { requests: { cpu: "100m", memory: "100Mi" }, limits: DEMO_PROXY_RESOURCES.limits },
    ztunnel: { requests: { cpu: "200m", memory: "512Mi" }, limits: DEMO_PROXY_RESOURCES.limits },
};

/**
 * Values of an ambient node agent's chart: the profile where the guide gives it, Istio's hub and tag
 * (cni reads them under `global`; ztunnel at the top, where it also flattens `global`), and resources.
 */
export function nodeAgentValues(agent: NodeAgent, istio: IstioConfig, mirrors: Mirrors): Record<string, unknown> {
    const image = { hub: istioHub(istio, mirrors), tag: istio.version };
    const where = agent.chart === "cni" ? { global: image } : image;
    return { ...profile(istio, agent), ...where, resources: NODE_AGENT_RESOURCES[agent.chart] };
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
                annotations: { ...EXPOSED_BY_CONFIG, ...(exposure.awaitAddress ? {} : SKIP_AWAIT) },
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
