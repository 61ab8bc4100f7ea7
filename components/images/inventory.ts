/**
 * What a lab is made of, derived from its config and scenario: the workloads' settings, every image it
 * pulls, and how to reach the shop. Pure functions, for the Lab component and the tools alike.
 */
import { LabConfig } from "../../config/schema";
import { Scenario } from "../../stacks";
import { addonRelease } from "../../catalog/addons";
import { portForward } from "../cluster/cluster";
import { Mirrors, mirrorImage } from "./references";
import { INGRESS_GATEWAY, ISTIO_NAMESPACE, istioImages } from "../mesh/charts";
import { routedVersions } from "../routing/objects";
import { WorkloadSettings, boutiqueImages, frontendVersions } from "../shop/workloads";

/** Local port the shop is forwarded to when the ingress has no address of its own. */
const LOCAL_PORT = 8080;

/** How to open the shop, given the ingress exposure and, for a LoadBalancer, its address if known. */
export function shopAccess(config: LabConfig, stack: string, loadBalancerAddress?: string): { url: string; portForward: string; note: string } {
    const command = portForward(config.cluster, stack, ISTIO_NAMESPACE, INGRESS_GATEWAY.release, LOCAL_PORT, 80);
    const forwarded = `http://localhost:${LOCAL_PORT}/`;
    const ingress = config.istio.ingress;
    if (config.cluster.kind.enabled) {
        return {
            url: `http://localhost:${config.cluster.kind.hostPort}/`,
            portForward: command,
            note: "kind publishes the ingress gateway's node port on 127.0.0.1",
        };
    }
    if (ingress.type === "LoadBalancer" && loadBalancerAddress) {
        return { url: `http://${loadBalancerAddress}/`, portForward: command, note: "served by the ingress gateway's load balancer" };
    }
    if (ingress.type === "NodePort") {
        return {
            url: forwarded,
            portForward: command,
            note: `also at http://<any node address>:${ingress.httpNodePort}/ (NodePort); ${forwarded} after the port-forward`,
        };
    }
    return { url: forwarded, portForward: command, note: `run the port-forward, then open ${forwarded}` };
}

/** How a shop's workloads are built for this config and the shop's scenario, in the shop's namespace. */
export function workloadSettings(config: LabConfig, scenario: Scenario, namespace = config.boutique.namespace): WorkloadSettings {
    const latency = Object.fromEntries(
        Object.entries(scenario.services).flatMap(([service, policy]) => (policy?.extraLatency !== undefined ? [[service, policy.extraLatency]] : [])),
    );
    return {
        namespace,
        release: config.boutique.release,
        mirrors: config.images.mirrors,
        frontends: frontendVersions(config.boutique.frontendV1),
        loadGenerator: config.boutique.loadGenerator,
        latency,
        dataPlane: config.istio.dataPlane,
    };
}

/**
 * Every image the lab pulls, after the mirrors, without repeats: Istio's, the shops', frontend versions their
 * scenarios route to, the addons'.
 */
export function labImages(config: LabConfig, scenarios: Scenario[]): string[] {
    const mirrors = config.images.mirrors;
    const shops = scenarios.flatMap((scenario) =>
        boutiqueImages(
            workloadSettings(config, scenario),
            routedVersions(scenario).map(({ version }) => version),
        ),
    );
    return [...new Set([...istioImages(config.istio, mirrors), ...shops, ...addonImages(config, mirrors)])];
}

/** The same images as upstream names them, before the mirrors: what a copy reads. */
export function upstreamImages(config: LabConfig, scenarios: Scenario[]): string[] {
    return labImages({ ...config, images: { ...config.images, mirrors: {} } }, scenarios);
}

/** Every image the enabled addons pull, after the mirrors. */
export function addonImages(config: LabConfig, mirrors: Mirrors): string[] {
    const { release } = addonRelease(config.istio.version);
    const { prometheus, grafana, kiali, tracer } = config.addons;
    const images = [
        ...(prometheus.enabled ? [release.prometheus.image, release.prometheus.reloader] : []),
        ...(grafana.enabled ? [release.grafana.image] : []),
        ...(kiali.enabled ? [release.kiali.image] : []),
        ...(tracer.kind === "zipkin" ? [release.zipkin] : tracer.kind === "jaeger" ? [release.jaeger] : []),
    ];
    return images.map((image) => mirrorImage(image, mirrors));
}
