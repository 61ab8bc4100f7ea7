/**
 * The observability addons as data: Helm values for Prometheus, Grafana and Kiali, and the tracer's
 * Kubernetes objects, for the addon release that matches the Istio version. Pure functions; the
 * Addons component declares them.
 */
import type { types } from "@pulumi/kubernetes";
import { AddonRelease, istioDashboards } from "../catalog/addons";
import { LabConfig, compareVersions } from "../config/schema";
import { EXPOSED_BY_CONFIG } from "./annotations";
import { Mirrors, mirrorImage, parseImage } from "./images";
import { ISTIO_NAMESPACE } from "./istio";
import { TracerKind, ZIPKIN_PORT, ZIPKIN_SERVICE } from "./tracing";

type Addons = LabConfig["addons"];
type Deployment = types.input.apps.v1.Deployment;
type Service = types.input.core.v1.Service;

/** Names the addons are reached by, inside the cluster and through a port-forward. */
export const ADDON_SERVICES = {
    prometheus: { service: "prometheus", port: 9090, localPort: 9090, path: "/" },
    grafana: { service: "grafana", port: 3000, localPort: 3000, path: "/" },
    kiali: { service: "kiali", port: 20001, localPort: 20001, path: "/kiali" },
    zipkin: { service: "tracing", port: 80, localPort: 9411, path: "/zipkin/" },
    jaeger: { service: "tracing", port: 80, localPort: 16686, path: "/jaeger" },
} as const;

/** The Secret holding Grafana's admin account, which Kiali also reads. */
export const GRAFANA_ADMIN_SECRET = { name: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password", user: "admin" } as const;
export const DASHBOARDS_CONFIGMAP = "istio-grafana-dashboards";

const inCluster = (service: string, port: number) => `http://${service}.${ISTIO_NAMESPACE}:${port}`;
/** Addons are not part of the mesh: no sidecar, as Istio's own addons. */
const NO_SIDECAR = { "sidecar.istio.io/inject": "false" };
const HARDENED = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
const nonRoot = (uid: number) => ({ runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid });

/** "docker.io/prom/prometheus:v3.10.0" -> repository and tag, after the mirrors. */
function repositoryAndTag(image: string, mirrors: Mirrors): { repository: string; tag: string } {
    const mirrored = mirrorImage(image, mirrors);
    const { tag } = parseImage(mirrored);
    return { repository: mirrored.slice(0, mirrored.length - (tag ? tag.length + 1 : 0)), tag: tag ?? "" };
}

/** How a chart's Service is exposed: ClusterIP, or NodePort on the configured port. */
function exposure(nodePort: number | undefined) {
    return nodePort === undefined ? { type: "ClusterIP" } : { type: "NodePort", nodePort, annotations: EXPOSED_BY_CONFIG };
}

/** Istio's Prometheus setup: the server alone, scraping with the chart's standard Kubernetes jobs. */
export function prometheusValues(release: AddonRelease, addons: Addons, mirrors: Mirrors): Record<string, unknown> {
    const off = { enabled: false };
    return {
        alertmanager: off,
        // Sub-chart keys changed in chart 19; both spellings, so every release Istio used is covered.
        "prometheus-pushgateway": off,
        pushgateway: off,
        "kube-state-metrics": off,
        kubeStateMetrics: off,
        "prometheus-node-exporter": off,
        nodeExporter: off,
        server: {
            fullnameOverride: ADDON_SERVICES.prometheus.service,
            podLabels: NO_SIDECAR,
            persistentVolume: { enabled: false },
            global: { scrape_interval: "15s" },
            image: repositoryAndTag(release.prometheus.image, mirrors),
            securityContext: nonRoot(65534),
            containerSecurityContext: HARDENED,
            resources: { requests: { cpu: "50m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1024Mi" } },
            service: { servicePort: ADDON_SERVICES.prometheus.port, ...exposure(addons.prometheus.nodePort) },
        },
        configmapReload: {
            prometheus: {
                image: repositoryAndTag(release.prometheus.reloader, mirrors),
                containerSecurityContext: HARDENED,
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "50m", memory: "64Mi" } },
            },
        },
    };
}

/** Grafana chart 6.61 split the image into registry and repository; older ones take one path. */
function grafanaImage(release: AddonRelease, mirrors: Mirrors) {
    const { repository, tag } = repositoryAndTag(release.grafana.image, mirrors);
    if (compareVersions(release.grafana.chart, "6.61.0") < 0) return { repository, tag };
    const slash = repository.indexOf("/");
    return { registry: repository.slice(0, slash), repository: repository.slice(slash + 1), tag };
}

/** Grafana with Prometheus as its data source and Istio's dashboards; the admin account comes from a Secret. */
export function grafanaValues(release: AddonRelease, addons: Addons, mirrors: Mirrors): Record<string, unknown> {
    return {
        rbac: { create: false, pspEnabled: false },
        testFramework: { enabled: false },
        podLabels: NO_SIDECAR,
        image: grafanaImage(release, mirrors),
        admin: { existingSecret: GRAFANA_ADMIN_SECRET.name, userKey: GRAFANA_ADMIN_SECRET.userKey, passwordKey: GRAFANA_ADMIN_SECRET.passwordKey },
        "grafana.ini": {
            // Anonymous visitors, when allowed, only look: Istio's sample makes them Admin.
            "auth.anonymous": { enabled: addons.grafana.anonymousViewer, org_role: "Viewer" },
            users: { allow_sign_up: false },
        },
        securityContext: nonRoot(472),
        containerSecurityContext: { ...HARDENED, seccompProfile: { type: "RuntimeDefault" } },
        extraEmptyDirMounts: [{ name: "tmp", mountPath: "/tmp" }],
        resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
        service: { port: ADDON_SERVICES.grafana.port, ...exposure(addons.grafana.nodePort) },
        datasources: {
            "datasources.yaml": {
                apiVersion: 1,
                datasources: [
                    {
                        name: "Prometheus",
                        type: "prometheus",
                        orgId: 1,
                        url: `http://${ADDON_SERVICES.prometheus.service}:${ADDON_SERVICES.prometheus.port}`,
                        access: "proxy",
                        isDefault: true,
                        jsonData: { timeInterval: "15s" },
                        editable: false,
                    },
                ],
            },
        },
        dashboardProviders: {
            "dashboardproviders.yaml": {
                apiVersion: 1,
                providers: [
                    { name: "istio", orgId: 1, folder: "Istio", type: "file", disableDeletion: true, options: { path: "/var/lib/grafana/dashboards/istio" } },
                ],
            },
        },
        dashboardsConfigMaps: { istio: DASHBOARDS_CONFIGMAP },
    };
}

/** Kiali 2 renamed in_cluster_url/url to internal_url/external_url. */
function kialiUrls(release: AddonRelease, internal: string, external: string) {
    return compareVersions(release.kiali.chart, "2.0.0") >= 0
        ? { internal_url: internal, external_url: external }
        : { in_cluster_url: internal, url: external };
}

/**
 * Kiali reading Prometheus, linking to Grafana, and querying the tracer when it can: Kiali reads
 * Jaeger's (and Tempo's) query API, not Zipkin's, so with Zipkin its trace views stay off.
 */
export function kialiValues(release: AddonRelease, addons: Addons, mirrors: Mirrors, signingKey: unknown): Record<string, unknown> {
    const { repository, tag } = repositoryAndTag(release.kiali.image, mirrors);
    const anonymous = addons.kiali.auth === "anonymous";
    const grafana = ADDON_SERVICES.grafana;
    const jaeger = ADDON_SERVICES.jaeger;
    return {
        auth: { strategy: addons.kiali.auth },
        // The token strategy signs sessions; a stable key keeps logins (and the rendered chart) steady.
        login_token: { signing_key: signingKey },
        deployment: {
            image_name: repository,
            image_version: tag,
            pod_labels: NO_SIDECAR,
            ingress_enabled: false,
            ingress: { enabled: false },
            network_policy: { enabled: false },
            // Anyone who reaches an anonymous Kiali acts as Kiali: let them look, not change the mesh.
            view_only_mode: anonymous,
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
            ...(addons.kiali.nodePort !== undefined ? { service_type: "NodePort", service_annotations: EXPOSED_BY_CONFIG } : {}),
        },
        server: { port: ADDON_SERVICES.kiali.port, ...(addons.kiali.nodePort !== undefined ? { node_port: addons.kiali.nodePort } : {}) },
        external_services: {
            prometheus: { url: inCluster(ADDON_SERVICES.prometheus.service, ADDON_SERVICES.prometheus.port) },
            grafana: addons.grafana.enabled
                ? {
                      enabled: true,
                      ...kialiUrls(release, inCluster(grafana.service, grafana.port), `http://localhost:${grafana.port}`),
                      auth: {
                          type: "basic",
                          username: GRAFANA_ADMIN_SECRET.user,
                          password: `secret:${GRAFANA_ADMIN_SECRET.name}:${GRAFANA_ADMIN_SECRET.passwordKey}`,
                      },
                  }
                : { enabled: false },
            tracing:
                addons.tracer.kind === "jaeger"
                    ? {
                          enabled: true,
                          provider: "jaeger",
                          use_grpc: true,
                          ...kialiUrls(release, `${inCluster("tracing", 16685)}/jaeger`, `http://localhost:${jaeger.localPort}${jaeger.path}`),
                      }
                    : { enabled: false },
        },
    };
}

/** Istio's dashboards: where each is downloaded from for this Istio version. */
export function dashboardSources(istioVersion: string, urlTemplate: string): { key: string; title: string; url: string }[] {
    const base = urlTemplate.replace("{version}", istioVersion);
    return istioDashboards(istioVersion).map(({ key, title, file }) => ({ key: `${key}.json`, title, url: `${base}/${file}` }));
}

/** The tracer's Deployment and Services: `tracing` for its UI and `zipkin` where the proxies send spans. */
export function tracerObjects(
    kind: Exclude<TracerKind, "none">,
    release: AddonRelease,
    mirrors: Mirrors,
    nodePort?: number,
): { deployment: Deployment; services: Record<string, Service> } {
    const labels = { app: kind };
    const zipkin = kind === "zipkin";
    const uid = zipkin ? 1000 : 10001;
    const ports = zipkin
        ? [{ name: "http-query", containerPort: ZIPKIN_PORT }]
        : [
              { name: "http-query", containerPort: 16686 },
              { name: "grpc-query", containerPort: 16685 },
              { name: "http-zipkin", containerPort: ZIPKIN_PORT },
              { name: "grpc-otlp", containerPort: 4317 },
              { name: "http-otlp", containerPort: 4318 },
              { name: "http-admin", containerPort: 14269 },
          ];
    const env = zipkin
        ? [{ name: "STORAGE_METHOD", value: "mem" }]
        : [
              { name: "COLLECTOR_ZIPKIN_HOST_PORT", value: `:${ZIPKIN_PORT}` },
              { name: "MEMORY_MAX_TRACES", value: "50000" },
              { name: "QUERY_BASE_PATH", value: "/jaeger" },
          ];
    const deployment: Deployment = {
        metadata: { name: kind, namespace: ISTIO_NAMESPACE, labels },
        spec: {
            selector: { matchLabels: labels },
            template: {
                metadata: { labels: { ...labels, ...NO_SIDECAR } },
                spec: {
                    securityContext: nonRoot(uid),
                    containers: [
                        {
                            name: kind,
                            image: mirrorImage(zipkin ? release.zipkin : release.jaeger, mirrors),
                            env,
                            ports,
                            readinessProbe: zipkin
                                ? { httpGet: { path: "/health", port: ZIPKIN_PORT }, initialDelaySeconds: 5, periodSeconds: 5 }
                                : { httpGet: { path: "/", port: 14269 } },
                            securityContext: HARDENED,
                            // Spans live in memory: the lab keeps a few minutes of traffic, not history.
                            resources: { requests: { cpu: "20m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        },
                    ],
                    volumes: [{ name: "tmp", emptyDir: {} }],
                },
            },
        },
    };
    const service = (name: string, servicePorts: { name: string; port: number; targetPort: number; nodePort?: number }[], exposed = false): Service => ({
        metadata: { name, namespace: ISTIO_NAMESPACE, labels, ...(exposed ? { annotations: { ...EXPOSED_BY_CONFIG } } : {}) },
        spec: { type: exposed ? "NodePort" : "ClusterIP", selector: labels, ports: servicePorts },
    });
    const ui = zipkin ? ZIPKIN_PORT : 16686;
    const services: Record<string, Service> = {
        tracing: service(
            "tracing",
            [
                { name: "http-query", port: 80, targetPort: ui, ...(nodePort !== undefined ? { nodePort } : {}) },
                ...(zipkin ? [] : [{ name: "grpc-query", port: 16685, targetPort: 16685 }]),
            ],
            nodePort !== undefined,
        ),
        [ZIPKIN_SERVICE]: service(ZIPKIN_SERVICE, [{ name: "http-zipkin", port: ZIPKIN_PORT, targetPort: ZIPKIN_PORT }]),
    };
    if (!zipkin) {
        services["jaeger-collector"] = service("jaeger-collector", [
            { name: "grpc-otlp", port: 4317, targetPort: 4317 },
            { name: "http-otlp", port: 4318, targetPort: 4318 },
        ]);
    }
    return { deployment, services };
}
