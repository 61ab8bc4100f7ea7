import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { addonRelease } from "../../catalog/addons";
import { holds } from "../../catalog/versions";
import { LabConfig } from "../../config/schema";
import { STACK_LABEL } from "../labels";
import { envFromSecret, labelClusterScoped, serviceNodePort } from "../chart-transforms";
import { allOf } from "../transforms";
import { portForward } from "../cluster/cluster";
import { dashboardData } from "./dashboards";
import { Mirrors } from "../images/references";
import { ISTIO_NAMESPACE, chartRef } from "../mesh/charts";
import {
    ADDON_SERVICES,
    DASHBOARDS_CONFIGMAP,
    GRAFANA_ADMIN_SECRET,
    KIALI_GRAFANA_PASSWORD,
    KIALI_SIGNING_KEY,
    dashboardSources,
    grafanaValues,
    kialiCredentials,
    kialiValues,
    prometheusValues,
    tracerObjects,
} from "./values";
import { tracingTelemetry } from "../mesh/tracing";

export interface AddonsArgs {
    config: LabConfig;
    /** The stack, which names a kind cluster's kubectl context. */
    stack: string;
    mirrors: Mirrors;
    /** istio-system, where the addons live. */
    namespace: pulumi.Resource;
    /** istiod: the Telemetry resource needs its CRDs and validation. */
    istiod: pulumi.Resource;
    /** What must finish before anything pulls an image: the copies into the mirrors. */
    imagesReady: pulumi.Resource[];
    provider: k8s.Provider;
}

/** How to open one addon from a workstation. */
export interface AddonAccess {
    url: string;
    portForward: string;
    nodePort?: number;
}

/**
 * Prometheus, Grafana, Kiali and one tracer in istio-system, with the versions Istio's own addons use
 * for the configured Istio release. They wait for the namespace (and the Telemetry for istiod) only,
 * so they install in parallel with the shop.
 */
export class Addons extends pulumi.ComponentResource {
    /** Per addon, how to reach it. */
    readonly access: Record<string, AddonAccess> = {};
    /** Grafana's admin password (a secret), when Grafana is on. */
    readonly grafanaAdminPassword?: pulumi.Output<string>;

    constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Addons", name, {}, opts);
        const { config, mirrors, provider } = args;
        const addons = config.addons;
        const istioVersion = config.istio.version;
        const { release } = addonRelease(istioVersion);
        const child = { parent: this, provider, dependsOn: [args.namespace] };
        // Whatever starts pods also waits for their images to be in the mirrors.
        const pulling = { ...child, dependsOn: [args.namespace, ...args.imagesReady] };
        const repos = addons.chartRepositories;
        const expose = (key: keyof typeof ADDON_SERVICES, nodePort?: number) => {
            const { service, port, localPort, path } = ADDON_SERVICES[key];
            this.access[key] = {
                url: `http://localhost:${localPort}${path}`,
                portForward: portForward(config.cluster, args.stack, ISTIO_NAMESPACE, service, localPort, port),
                ...(nodePort !== undefined ? { nodePort } : {}),
            };
        };

        // The release is named after the addon, which names its Service as ADDON_SERVICES expects.
        const owned = labelClusterScoped({ [STACK_LABEL]: args.stack });
        const chart = (
            addon: "prometheus" | "grafana" | "kiali",
            chartName: string,
            values: Record<string, unknown>,
            waitFor: pulumi.Resource[] = [],
            transforms: pulumi.ResourceTransform[] = [],
        ) =>
            new k8s.helm.v4.Chart(
                `${name}-${addon}`,
                { ...chartRef(repos[addon], chartName, release[addon].chart), name: addon, namespace: ISTIO_NAMESPACE, values },
                { ...pulling, dependsOn: [...pulling.dependsOn, ...waitFor], transforms: [allOf([...transforms, owned])] },
            );

        if (addons.prometheus.enabled) {
            chart("prometheus", "prometheus", prometheusValues(release, addons, mirrors));
            expose("prometheus", addons.prometheus.nodePort);
        }

        // Kiali logs in to Grafana with the admin password, read from a Secret.
        let grafanaAdmin: pulumi.Resource | undefined;
        if (addons.grafana.enabled) {
            const password =
                addons.grafana.adminPassword !== undefined
                    ? pulumi.secret(addons.grafana.adminPassword)
                    : new random.RandomPassword(`${name}-grafana-admin-password`, { length: 24, special: false }, { parent: this }).result;
            this.grafanaAdminPassword = pulumi.secret(password);
            const secret = new k8s.core.v1.Secret(
                `${name}-grafana-admin`,
                {
                    metadata: { name: GRAFANA_ADMIN_SECRET.name, namespace: ISTIO_NAMESPACE },
                    stringData: { [GRAFANA_ADMIN_SECRET.userKey]: GRAFANA_ADMIN_SECRET.user, [GRAFANA_ADMIN_SECRET.passwordKey]: this.grafanaAdminPassword },
                },
                child,
            );
            const dashboards = new k8s.core.v1.ConfigMap(
                `${name}-grafana-dashboards`,
                {
                    metadata: { name: DASHBOARDS_CONFIGMAP, namespace: ISTIO_NAMESPACE, labels: { app: "grafana" } },
                    data: dashboardData(dashboardSources(istioVersion, addons.grafana.dashboardsUrl), {
                        preview: pulumi.runtime.isDryRun(),
                        warn: (message) => void pulumi.log.warn(message, this),
                    }),
                },
                child,
            );
            chart("grafana", "grafana", grafanaValues(release, addons, mirrors), [secret, dashboards]);
            grafanaAdmin = secret;
            expose("grafana", addons.grafana.nodePort);
        }

        if (addons.kiali.enabled) {
            const signingKey =
                addons.kiali.signingKey !== undefined
                    ? pulumi.secret(addons.kiali.signingKey)
                    : new random.RandomPassword(`${name}-kiali-signing-key`, { length: 32, special: false }, { parent: this }).result;
            const kiali = ADDON_SERVICES.kiali.service;
            const how = kialiCredentials(release.kiali.chart);
            const keySecret = new k8s.core.v1.Secret(
                `${name}-kiali-signing-key-secret`,
                { metadata: { name: KIALI_SIGNING_KEY.name, namespace: ISTIO_NAMESPACE }, stringData: { [KIALI_SIGNING_KEY.key]: signingKey } },
                child,
            );
            const waitFor: pulumi.Resource[] = [keySecret];
            const transforms: pulumi.ResourceTransform[] = [];
            if (how === "environment") {
                transforms.push(envFromSecret(kiali, kiali, KIALI_SIGNING_KEY.variable, { name: KIALI_SIGNING_KEY.name, key: KIALI_SIGNING_KEY.key }));
            }
            if (grafanaAdmin && this.grafanaAdminPassword) {
                waitFor.push(grafanaAdmin);
                if (how === "override-file") {
                    const password = new k8s.core.v1.Secret(
                        `${name}-kiali-grafana-password`,
                        {
                            metadata: { name: KIALI_GRAFANA_PASSWORD.name, namespace: ISTIO_NAMESPACE },
                            stringData: { [KIALI_GRAFANA_PASSWORD.key]: this.grafanaAdminPassword },
                        },
                        child,
                    );
                    waitFor.push(password);
                }
                if (how === "environment") {
                    const secret = { name: GRAFANA_ADMIN_SECRET.name, key: GRAFANA_ADMIN_SECRET.passwordKey };
                    transforms.push(envFromSecret(kiali, kiali, "GRAFANA_PASSWORD", secret));
                }
            }
            if (addons.kiali.nodePort !== undefined && !holds("kiali-node-port", release.kiali.chart)) {
                transforms.push(serviceNodePort(kiali, ADDON_SERVICES.kiali.port, addons.kiali.nodePort));
            }
            chart("kiali", "kiali-server", kialiValues(release, addons, mirrors), waitFor, transforms);
            expose("kiali", addons.kiali.nodePort);
        }

        const tracer = addons.tracer.kind;
        if (tracer !== "none") {
            const objects = tracerObjects(tracer, release, mirrors, addons.tracer.nodePort);
            new k8s.apps.v1.Deployment(`${name}-${tracer}`, objects.deployment, pulling);
            for (const [serviceName, service] of Object.entries(objects.services)) new k8s.core.v1.Service(`${name}-${serviceName}-service`, service, child);
            expose(tracer, addons.tracer.nodePort);
        }
        const telemetry = tracingTelemetry(istioVersion, tracer, config.istio.traceSampling);
        if (telemetry) new k8s.apiextensions.CustomResource(`${name}-tracing-telemetry`, telemetry, { ...child, dependsOn: [args.istiod] });

        this.registerOutputs({ access: this.access });
    }
}
