import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../config/schema";
import { istioReleaseWarnings, todayIso } from "../../catalog/releases";
import { holds } from "../../catalog/versions";
import { awaitCaBundle, awaitWebhookServer, failClosedValidation, labelClusterScoped, validationOwnedByIstiod } from "../chart-transforms";
import { Mirrors } from "../images/references";
import { fetchText } from "../addons/downloads";
import { gatewayApiCrdsUrl } from "../../catalog/gateway-api";
import { allOf } from "../transforms";
import { NODE_AGENTS } from "../../catalog/ambient";
import {
    EGRESS_GATEWAY,
    GatewaySpec,
    INGRESS_GATEWAY,
    ISTIO_NAMESPACE,
    MeshTracing,
    baseValues,
    chartRef,
    gatewayValues,
    istiodValues,
    nodeAgentValues,
} from "./charts";

export interface MeshArgs {
    istio: LabConfig["istio"];
    mirrors: Mirrors;
    clusterDomain: string;
    /** Beyond the demo profile: how the proxies trace. */
    tracing: MeshTracing;
    /** What must finish before anything pulls an image: the copies into the mirrors. */
    imagesReady: pulumi.Resource[];
    provider: k8s.Provider;
    /** The same cluster, creating over existing objects: the base chart's CRDs outlive other installs. */
    crdProvider: k8s.Provider;
    /** Labels of the istio-system Namespace (the stack that owns it). */
    namespaceLabels: Record<string, string>;
}

/** How long the download of the Gateway API CRDs may take. */
const CRDS_DOWNLOAD_MS = 60_000;

/**
 * Istio from its Helm charts, in the order the webhooks need: CRDs (base), then istiod, which must
 * serve its validation and injection webhooks before anything uses them, then the gateways, whose
 * pods are injected by istiod. In ambient, also the node agents, as Istio's Helm guide orders them:
 * cni after base, ztunnel after istiod, whose certificates it asks for.
 */
export class Mesh extends pulumi.ComponentResource {
    /** istiod, ready: Istio config and injected workloads wait for it. */
    readonly istiod: k8s.helm.v4.Chart;
    readonly ingressGateway: k8s.helm.v4.Chart;
    /** The labels a Gateway selects the ingress gateway pods by. */
    readonly ingressGatewaySpec: GatewaySpec = INGRESS_GATEWAY;
    readonly namespace = ISTIO_NAMESPACE;
    /** The istio-system Namespace, which the addons share. */
    readonly namespaceResource: k8s.core.v1.Namespace;
    /** The Gateway API CRDs, where the lab routes with the Gateway API or runs ambient (its waypoint is a Gateway). */
    readonly gatewayApiCrds?: k8s.yaml.v2.ConfigGroup;
    /** In ambient, the node agents (cni, ztunnel): the shop's pods start once they run, so ztunnel carries their traffic. */
    readonly dataPlane: pulumi.Resource[] = [];

    constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Mesh", name, {}, opts);
        const { istio, mirrors, provider } = args;
        const child = { parent: this, provider };
        const chart = (chartName: string) => chartRef(istio.chartRepository, chartName, istio.version);
        // Fail-closed from the start, unless istiod's own chart creates Istio config before istiod can answer.
        const validation = holds("istiod-chart-renders-envoyfilters", istio.version) ? validationOwnedByIstiod : failClosedValidation;
        const owned = labelClusterScoped(args.namespaceLabels);
        // Shown by every preview and up: a release the lab has not read, out of support, or behind a security patch.
        for (const warning of istioReleaseWarnings(istio, todayIso())) void pulumi.log.warn(warning, this);

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ISTIO_NAMESPACE, labels: args.namespaceLabels } }, child);
        this.namespaceResource = namespace;
        // Istio's CRDs outlive their installs (Helm keeps them): the base chart takes over existing ones.
        // The validating webhooks are applied as Fail, the value istiod keeps, so a refresh finds no
        // drift and a later up no field of istiod's to conflict with (whatever the chart renders).
        const base = new k8s.helm.v4.Chart(
            `${name}-base`,
            { ...chart("base"), name: "istio-base", namespace: ISTIO_NAMESPACE, values: baseValues(istio.version) },
            { ...child, provider: args.crdProvider, dependsOn: [namespace], transforms: [allOf([validation, owned])] },
        );
        // The Gateway API CRDs of the release's Gateway API version, before istiod, which serves them once they exist.
        // Adopted and deleted like Istio's own (components/teardown.ts), with the same provider. Ambient
        // requires them (istio.io docs/ambient/install/helm), whatever the routing API.
        if (istio.routingApi === "gateway-api" || istio.dataPlane === "ambient") {
            const url = gatewayApiCrdsUrl(istio.gatewayApiCrdsUrl, istio.version);
            const bundle = fetchText(url, CRDS_DOWNLOAD_MS).catch((e: Error) => {
                throw new Error(`the Gateway API CRDs could not be downloaded from ${url} (boutique-mesh:istio.gatewayApiCrdsUrl): ${e.message}`);
            });
            this.gatewayApiCrds = new k8s.yaml.v2.ConfigGroup(
                `${name}-gateway-api-crds`,
                { yaml: bundle },
                { ...child, provider: args.crdProvider, transforms: [owned] },
            );
        }
        // istiod counts as ready only once its webhooks carry the CA bundle it writes and its webhook
        // server listens, so nothing that waits for it meets a webhook the API server cannot call. The
        // base chart's default validator cannot wait so: istiod, which writes its bundle, comes after it.
        const webhookServer = holds("istiod-ready-before-webhook-server", istio.version) ? [awaitWebhookServer] : [];
        this.istiod = new k8s.helm.v4.Chart(
            `${name}-istiod`,
            { ...chart("istiod"), name: "istiod", namespace: ISTIO_NAMESPACE, values: istiodValues(istio, mirrors, args.clusterDomain, args.tracing) },
            {
                ...child,
                dependsOn: [base, ...(this.gatewayApiCrds ? [this.gatewayApiCrds] : []), ...args.imagesReady],
                transforms: [allOf([validation, awaitCaBundle, ...webhookServer, owned])],
            },
        );
        if (istio.dataPlane === "ambient") {
            for (const agent of NODE_AGENTS) {
                const after = agent.chart === "cni" ? [base, ...args.imagesReady] : [this.istiod];
                const chartArgs = { ...chart(agent.chart), name: agent.release, namespace: ISTIO_NAMESPACE, values: nodeAgentValues(agent, istio, mirrors) };
                this.dataPlane.push(new k8s.helm.v4.Chart(`${name}-${agent.chart}`, chartArgs, { ...child, dependsOn: after, transforms: [owned] }));
            }
        }
        const gateway = (suffix: string, spec: GatewaySpec, values: Record<string, unknown>) =>
            new k8s.helm.v4.Chart(
                `${name}-${suffix}`,
                { ...chart("gateway"), name: spec.release, namespace: ISTIO_NAMESPACE, values },
                { ...child, dependsOn: [this.istiod] },
            );
        this.ingressGateway = gateway("ingress-gateway", INGRESS_GATEWAY, gatewayValues(INGRESS_GATEWAY, istio.ingress));
        if (istio.egressGateway) gateway("egress-gateway", EGRESS_GATEWAY, gatewayValues(EGRESS_GATEWAY, { type: "ClusterIP" }));

        this.registerOutputs({ namespace: this.namespace, version: istio.version });
    }
}
