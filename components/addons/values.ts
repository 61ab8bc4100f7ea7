/**
 * The observability addons as data: Helm values for Prometheus, Grafana and Kiali, and the tracer's
 * Kubernetes objects, for the addon release that matches the Istio version. Pure functions; the
 * Addons component declares them.
 */
import type { types } from "@pulumi/kubernetes";
import { AddonRelease, istioDashboards } from "../../catalog/addons";
import { holds } from "../../catalog/versions";
import { LabConfig } from "../../config/schema";
import { EXPOSED_BY_CONFIG } from "../labels";
import { Mirrors, mirrorImage, parseImage } from "../images/references";
import { ISTIO_NAMESPACE } from "../mesh/charts";
import { TracerKind, ZIPKIN_PORT, ZIPKIN_SERVICE } from "../mesh/tracing";

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

/**
 * Istio's Prometheus setup: the server alone, scraping with the chart's standard Kubernetes jobs.
 * Only keys the chart version reads (catalog/versions.ts): the exporters' switches were renamed in
 * chart 19, and chart 15.0.1 hardens no container, 15.9.0 the server but not the config reloader.
 */
export function prometheusValues(release: AddonRelease, addons: Addons, mirrors: Mirrors): Record<string, unknown> {
    const chart = release.prometheus.chart;
    const off = { enabled: false };
    const exporters = holds("prometheus-exporters-as-dependencies", chart)
        ? { "prometheus-pushgateway": off, "kube-state-metrics": off, "prometheus-node-exporter": off }
        : { pushgateway: off, kubeStateMetrics: off, nodeExporter: off };
    const hardened = (fact: "prometheus-server-container-security" | "prometheus-reloader-container-security") =>
        holds(fact, chart) ? { containerSecurityContext: HARDENED } : {};
    return {
        alertmanager: off,
        ...exporters,
        server: {
            fullnameOverride: ADDON_SERVICES.prometheus.service,
            podLabels: NO_SIDECAR,
            persistentVolume: { enabled: false },
            global: { scrape_interval: "15s" },
            image: repositoryAndTag(release.prometheus.image, mirrors),
            securityContext: nonRoot(65534),
            ...hardened("prometheus-server-container-security"),
            resources: { requests: { cpu: "50m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1024Mi" } },
            service: { servicePort: ADDON_SERVICES.prometheus.port, ...exposure(addons.prometheus.nodePort) },
        },
        configmapReload: {
            prometheus: {
                image: repositoryAndTag(release.prometheus.reloader, mirrors),
                ...hardened("prometheus-reloader-container-security"),
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "50m", memory: "64Mi" } },
            },
        },
    };
}

/** Grafana charts from 6.61.1 split the image into registry and repository; older ones take one path. */
function grafanaImage(release: AddonRelease, mirrors: Mirrors) {
    const { repository, tag } = repositoryAndTag(release.grafana.image, mirrors);
    if (!holds("grafana-image-registry", release.grafana.chart)) return { repository, tag };
    const slash = repository.indexOf("/");
    return { registry: repository.slice(0, slash), repository: repository.slice(slash + 1), tag };
}

/** Grafana with Prometheus as its data source and Istio's dashboards; the admin account comes from a Secret. */
export function grafanaValues(release: AddonRelease, addons: Addons, mirrors: Mirrors): Record<string, unknown> {
    return {
        // Charts before 6.51.3 render a PodSecurityPolicy by default, an API Kubernetes 1.25 no longer serves.
        rbac: { create: false, ...(holds("grafana-psp-by-default", release.grafana.chart) ? { pspEnabled: false } : {}) },
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

/** Kiali 2 renamed in_cluster_url/url to internal_url/external_url (catalog/versions.ts, kiali-2-urls). */
function kialiUrls(release: AddonRelease, internal: string, external: string) {
    return holds("kiali-2-urls", release.kiali.chart) ? { internal_url: internal, external_url: external } : { in_cluster_url: internal, url: external };
}

/** The Secret Kiali servers from 1.59.1 read Grafana's password from, where the chart does not mount it itself. */
export const KIALI_GRAFANA_PASSWORD = { name: "kiali-grafana-password", key: "value.txt", mount: "/kiali-override-secrets/grafana-password" } as const;
/** Kiali's session signing key, in a Secret of its own: the chart copies the value it is given into ConfigMap `kiali`. */
export const KIALI_SIGNING_KEY = {
    name: "kiali-signing-key",
    key: "value.txt",
    mount: "/kiali-override-secrets/login-token-signing-key",
    variable: "LOGIN_TOKEN_SIGNING_KEY",
} as const;
/**
 * What the chart is given for the key, and copies into ConfigMap `kiali`: a reference to the Secret. From
 * chart 2.21.0 the chart mounts it where the server reads it. For older charts it is a fixed stand-in the
 * server replaces, from that file or variable, before it checks the key's length (kiali/kiali v1.50.0
 * kiali.go: validateConfig after config.LoadFromFile, whose Unmarshal applies the overrides); being fixed,
 * the chart neither invents a key (randAlphaNum) nor rolls the pod on every render.
 */
export const KIALI_SIGNING_KEY_REFERENCE = `secret:${KIALI_SIGNING_KEY.name}:${KIALI_SIGNING_KEY.key}`;

/**
 * How a kiali-server chart version gets a credential (Grafana's password, the signing key) to the server
 * without writing it into its ConfigMap (catalog/versions.ts): a `secret:` reference the chart mounts
 * (2.21.0 on), a Secret mounted where the server looks for it (1.59.1 on), or an environment variable (before).
 */
export function kialiCredentials(kialiChart: string): "secret-reference" | "override-file" | "environment" {
    if (holds("kiali-secret-references", kialiChart)) return "secret-reference";
    return holds("kiali-override-files", kialiChart) ? "override-file" : "environment";
}

/**
 * Kiali reading Prometheus, linking to Grafana, and querying the tracer when it can: Kiali reads
 * Jaeger's (and Tempo's) query API, not Zipkin's, so with Zipkin its trace views stay off. Only keys the
 * chart version reads; what it cannot take as a value (an environment variable from a Secret, the node
 * port before 1.81.0) the Addons component adds with a transform.
 */
export function kialiValues(release: AddonRelease, addons: Addons, mirrors: Mirrors): Record<string, unknown> {
    const chart = release.kiali.chart;
    const { repository, tag } = repositoryAndTag(release.kiali.image, mirrors);
    const anonymous = addons.kiali.auth === "anonymous";
    const nodePort = addons.kiali.nodePort;
    const grafana = ADDON_SERVICES.grafana;
    const jaeger = ADDON_SERVICES.jaeger;
    const credentials = kialiCredentials(chart);
    const password = addons.grafana.enabled ? credentials : undefined;
    const customSecrets = [
        ...(password === "override-file" ? [{ name: KIALI_GRAFANA_PASSWORD.name, mount: KIALI_GRAFANA_PASSWORD.mount }] : []),
        ...(credentials === "override-file" ? [{ name: KIALI_SIGNING_KEY.name, mount: KIALI_SIGNING_KEY.mount }] : []),
    ];
    return {
        auth: { strategy: addons.kiali.auth },
        // The token strategy signs sessions with it: from the Secret kiali-signing-key, never in the ConfigMap.
        login_token: { signing_key: KIALI_SIGNING_KEY_REFERENCE },
        deployment: {
            image_name: repository,
            image_version: tag,
            pod_labels: NO_SIDECAR,
            ingress: { enabled: false },
            ...(holds("kiali-network-policy", chart) ? { network_policy: { enabled: false } } : {}),
            // Anyone who reaches an anonymous Kiali acts as Kiali: let them look, not change the mesh.
            view_only_mode: anonymous,
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
            ...(nodePort !== undefined ? { service_type: "NodePort", service_annotations: EXPOSED_BY_CONFIG } : {}),
            ...(customSecrets.length > 0 ? { custom_secrets: customSecrets } : {}),
        },
        server: { port: ADDON_SERVICES.kiali.port, ...(nodePort !== undefined && holds("kiali-node-port", chart) ? { node_port: nodePort } : {}) },
        external_services: {
            prometheus: { url: inCluster(ADDON_SERVICES.prometheus.service, ADDON_SERVICES.prometheus.port) },
            grafana: addons.grafana.enabled
                ? {
                      enabled: true,
                      ...kialiUrls(release, inCluster(grafana.service, grafana.port), `http://localhost:${grafana.port}`),
                      auth: {
                          type: "basic",
                          username: GRAFANA_ADMIN_SECRET.user,
                          ...(password === "secret-reference" ? { password: `secret:${GRAFANA_ADMIN_SECRET.name}:${GRAFANA_ADMIN_SECRET.passwordKey}` } : {}),
                      },
                  }
                : { enabled: false },
            tracing:
                addons.tracer.kind === "jaeger"
                    ? {
                          enabled: true,
                          ...(holds("kiali-tracing-provider", chart) ? { provider: "jaeger" } : {}),
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

/** Jaeger's version from its image tag ("docker.io/jaegertracing/all-in-one:1.46" -> "1.46"). */
function jaegerVersion(image: string): string {
    return parseImage(image).tag ?? "0.0.0";
}

/**
 * The tracer's Deployment and Services: `tracing` for its UI and `zipkin` where the proxies send spans.
 * Jaeger runs as Istio's sample runs it (catalog/versions.ts, jaeger-sample): spans in badger on an
 * emptyDir rather than in memory, the collector's ports on `jaeger-collector`, and OTLP only where the
 * image serves it by default (jaeger-otlp-by-default). The lab's own changes: no sidecar, non-root,
 * read-only root filesystem, and limits (the policy pack requires them).
 */
export function tracerObjects(
    kind: Exclude<TracerKind, "none">,
    release: AddonRelease,
    mirrors: Mirrors,
    nodePort?: number,
): { deployment: Deployment; services: Record<string, Service> } {
    const labels = { app: kind };
    const zipkin = kind === "zipkin";
    const uid = zipkin ? 1000 : 10001;
    const otlp = !zipkin && holds("jaeger-otlp-by-default", jaegerVersion(release.jaeger));
    // Service port names as the sample's; a container port's name has at most 15 characters.
    const collectorPorts = [
        { name: "jaeger-collector-http", container: "collector-http", port: 14268 },
        { name: "jaeger-collector-grpc", container: "collector-grpc", port: 14250 },
        { name: "http-zipkin", container: "http-zipkin", port: ZIPKIN_PORT },
        ...(otlp
            ? [
                  { name: "grpc-otel", container: "grpc-otlp", port: 4317 },
                  { name: "http-otel", container: "http-otlp", port: 4318 },
              ]
            : []),
    ];
    const ports = zipkin
        ? [{ name: "http-query", containerPort: ZIPKIN_PORT }]
        : [
              { name: "http-query", containerPort: 16686 },
              { name: "grpc-query", containerPort: 16685 },
              ...collectorPorts.map(({ container, port }) => ({ name: container, containerPort: port })),
              { name: "http-admin", containerPort: 14269 },
          ];
    const env = zipkin
        ? [{ name: "STORAGE_METHOD", value: "mem" }]
        : [
              { name: "BADGER_EPHEMERAL", value: "false" },
              { name: "SPAN_STORAGE_TYPE", value: "badger" },
              { name: "BADGER_DIRECTORY_VALUE", value: "/badger/data" },
              { name: "BADGER_DIRECTORY_KEY", value: "/badger/key" },
              { name: "COLLECTOR_ZIPKIN_HOST_PORT", value: `:${ZIPKIN_PORT}` },
              { name: "MEMORY_MAX_TRACES", value: "50000" },
              { name: "QUERY_BASE_PATH", value: "/jaeger" },
          ];
    const volumes = [{ name: "tmp", mountPath: "/tmp" }, ...(zipkin ? [] : [{ name: "data", mountPath: "/badger" }])];
    const deployment: Deployment = {
        metadata: { name: kind, namespace: ISTIO_NAMESPACE, labels },
        spec: {
            selector: { matchLabels: labels },
            template: {
                metadata: {
                    labels: { ...labels, ...NO_SIDECAR },
                    ...(zipkin ? {} : { annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "14269" } }),
                },
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
                            // Zipkin keeps spans in memory; Jaeger keeps them on the emptyDir.
                            resources: { requests: { cpu: "20m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                            volumeMounts: volumes,
                        },
                    ],
                    volumes: volumes.map(({ name }) => ({ name, emptyDir: {} })),
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
        services["jaeger-collector"] = service(
            "jaeger-collector",
            collectorPorts.map(({ name, port }) => ({ name, port, targetPort: port })),
        );
    }
    return { deployment, services };
}
