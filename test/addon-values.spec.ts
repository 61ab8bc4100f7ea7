/**
 * The addons' chart values, straight from the functions that build them (components/addons/values.ts),
 * against Istio's own addon values (istio/istio 1.31.0-rc.0 manifests/addons/values-prometheus.yaml,
 * values-grafana.yaml, values-kiali.yaml: what samples/addons is rendered from), key by key where the lab
 * follows them, and with each departure named. Under mocks no chart is rendered, so the policy pack never
 * sees the containers these values make: the resources and security contexts are checked here.
 */
import { strict as assert } from "assert";
import { ADDON_RELEASES, addonRelease } from "../catalog/addons";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { parseLabConfig } from "../config/schema";
import { grafanaValues, kialiValues, prometheusValues, tracerObjects } from "../components/addons/values";

/** The tracer's objects as the plain data they are (their types allow Pulumi inputs). */
const plain = (objects: ReturnType<typeof tracerObjects>): { deployment: any; services: Record<string, any> } => JSON.parse(JSON.stringify(objects));
const addons = (input: object = {}) => parseLabConfig({ addons: input }).addons;
const { release } = addonRelease(DEFAULT_ISTIO_VERSION);
const NO_MIRRORS = {};

/** Every path of `expected` has its value in `actual`. */
function assertHolds(actual: unknown, expected: unknown, at = ""): void {
    if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
        assert.ok(actual !== null && typeof actual === "object", `${at}: ${JSON.stringify(actual)} is no object`);
        for (const [key, value] of Object.entries(expected)) assertHolds((actual as Record<string, unknown>)[key], value, `${at}.${key}`);
        return;
    }
    assert.deepEqual(actual, expected, at);
}

/** Kubernetes quantities: "50m", "256Mi", "1Gi", "1". */
function quantity(value: unknown): number {
    const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(value));
    assert.ok(match, `not a quantity: ${JSON.stringify(value)}`);
    const scale = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] as "m"] ?? 1;
    return Number(match[1]) * scale;
}

/** Requests and limits for CPU and memory, each a quantity, no request above its limit (the API server refuses that). */
function assertResources(resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined, what: string): void {
    for (const resource of ["cpu", "memory"]) {
        const [request, limit] = [resources?.requests?.[resource], resources?.limits?.[resource]];
        assert.ok(quantity(request) > 0 && quantity(limit) > 0, `${what}: ${resource} ${request}/${limit}`);
        assert.ok(quantity(request) <= quantity(limit), `${what}: ${resource} request ${request} above its limit ${limit}`);
    }
}

const HARDENED = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
/** A pod that runs as the image's own non-root user, its files its group's. */
function assertNonRoot(context: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number }, what: string): void {
    assert.equal(context.runAsNonRoot, true, what);
    assert.ok(
        context.runAsUser! > 0 && context.runAsGroup === context.runAsUser && context.fsGroup === context.runAsUser,
        `${what}: ${JSON.stringify(context)}`,
    );
}

describe("addon values, as Istio's addons set them", () => {
    describe("Prometheus (values-prometheus.yaml)", () => {
        const values = prometheusValues(release, addons(), NO_MIRRORS) as Record<string, any>;

        it("the server alone, on 9090 as prometheus, without a volume, scraping every 15 s, outside the mesh", () => {
            assertHolds(values, {
                alertmanager: { enabled: false },
                "prometheus-pushgateway": { enabled: false },
                "kube-state-metrics": { enabled: false },
                "prometheus-node-exporter": { enabled: false },
                server: {
                    podLabels: { "sidecar.istio.io/inject": "false" },
                    persistentVolume: { enabled: false },
                    service: { servicePort: 9090, type: "ClusterIP" },
                    global: { scrape_interval: "15s" },
                    fullnameOverride: "prometheus",
                    image: { repository: "docker.io/prom/prometheus" },
                },
                configmapReload: { prometheus: { image: { repository: "ghcr.io/prometheus-operator/prometheus-config-reloader" } } },
            });
        });

        it("before chart 19 the exporters' switches had their old names (istio 1.17 values-prometheus.yaml)", () => {
            const old = prometheusValues(ADDON_RELEASES["1.17"], addons(), NO_MIRRORS) as Record<string, any>;
            assertHolds(old, { pushgateway: { enabled: false }, kubeStateMetrics: { enabled: false }, nodeExporter: { enabled: false } });
            assert.equal(old["kube-state-metrics"], undefined);
        });

        it("the lab's own: resources and a non-root, hardened server and reloader where the chart takes them", () => {
            assertResources(values.server.resources, "prometheus server");
            assertResources(values.configmapReload.prometheus.resources, "config reloader");
            assertNonRoot(values.server.securityContext, "prometheus server");
            assert.deepEqual(values.server.containerSecurityContext, HARDENED);
            assert.deepEqual(values.configmapReload.prometheus.containerSecurityContext, HARDENED);
            const early = prometheusValues(ADDON_RELEASES["1.14"], addons(), NO_MIRRORS) as Record<string, any>;
            assert.equal(early.server.containerSecurityContext, undefined, "chart 15.0.1 reads none");
        });
    });

    describe("Grafana (values-grafana.yaml)", () => {
        const values = grafanaValues(release, addons(), NO_MIRRORS) as Record<string, any>;

        it("no RBAC, no test pods, on 3000 outside the mesh, Prometheus as its default data source, Istio's dashboards from their ConfigMap", () => {
            assertHolds(values, {
                rbac: { create: false },
                testFramework: { enabled: false },
                podLabels: { "sidecar.istio.io/inject": "false" },
                service: { port: 3000, type: "ClusterIP" },
                dashboardsConfigMaps: { istio: "istio-grafana-dashboards" },
            });
            const [datasource] = values.datasources["datasources.yaml"].datasources;
            assertHolds(datasource, {
                name: "Prometheus",
                type: "prometheus",
                orgId: 1,
                url: "http://prometheus:9090",
                access: "proxy",
                isDefault: true,
                jsonData: { timeInterval: "15s" },
            });
            assert.equal(values.datasources["datasources.yaml"].apiVersion, 1);
            const [provider] = values.dashboardProviders["dashboardproviders.yaml"].providers;
            assertHolds(provider, { name: "istio", orgId: 1, type: "file", options: { path: "/var/lib/grafana/dashboards/istio" } });
        });

        it("the lab's departures: an admin account from a Secret, anonymous visitors only look, nothing edited or deleted in the UI", () => {
            assert.deepEqual(values.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
            assert.equal(values.env, undefined, "no admin/admin from the environment");
            assert.deepEqual(values["grafana.ini"], { "auth.anonymous": { enabled: true, org_role: "Viewer" }, users: { allow_sign_up: false } });
            const closed = grafanaValues(release, addons({ grafana: { anonymousViewer: false } }), NO_MIRRORS) as Record<string, any>;
            assert.equal(closed["grafana.ini"]["auth.anonymous"].enabled, false);
            assert.equal(values.datasources["datasources.yaml"].datasources[0].editable, false);
            assert.equal(values.dashboardProviders["dashboardproviders.yaml"].providers[0].disableDeletion, true);
        });

        it("the lab's own: resources, a non-root hardened container with /tmp writable", () => {
            assertResources(values.resources, "grafana");
            assertNonRoot(values.securityContext, "grafana");
            assert.deepEqual(values.containerSecurityContext, { ...HARDENED, seccompProfile: { type: "RuntimeDefault" } });
            assert.deepEqual(values.extraEmptyDirMounts, [{ name: "tmp", mountPath: "/tmp" }]);
        });

        it("the image as one path before chart 6.61.1, registry and repository after", () => {
            assert.deepEqual(values.image, { registry: "docker.io", repository: "grafana/grafana", tag: release.grafana.image.split(":")[1] });
            assert.deepEqual(grafanaValues(ADDON_RELEASES["1.17"], addons(), NO_MIRRORS).image, { repository: "docker.io/grafana/grafana", tag: "9.0.1" });
            assert.deepEqual(grafanaValues(ADDON_RELEASES["1.14"], addons(), NO_MIRRORS).rbac, { create: false, pspEnabled: false });
        });
    });

    describe("Kiali (values-kiali.yaml)", () => {
        it("outside the mesh, no ingress, no network policy, no tracing without Jaeger; the lab's own: sessions signed with a key from a Secret, anonymous visitors only look", () => {
            const values = kialiValues(release, addons({ kiali: { auth: "anonymous" } }), NO_MIRRORS) as Record<string, any>;
            assertHolds(values, {
                auth: { strategy: "anonymous" },
                deployment: {
                    pod_labels: { "sidecar.istio.io/inject": "false" },
                    ingress: { enabled: false },
                    network_policy: { enabled: false },
                    view_only_mode: true,
                },
                external_services: { tracing: { enabled: false } },
                login_token: { signing_key: "secret:kiali-signing-key:value.txt" },
                server: { port: 20001 },
            });
            assertResources(values.deployment.resources, "kiali");
            const token = kialiValues(release, addons({ kiali: { auth: "token" } }), NO_MIRRORS) as Record<string, any>;
            assert.deepEqual([token.auth.strategy, token.deployment.view_only_mode], ["token", false]);
            const alone = kialiValues(release, addons({ grafana: { enabled: false } }), NO_MIRRORS) as Record<string, any>;
            assert.deepEqual(alone.external_services.grafana, { enabled: false });
        });
    });

    describe("the tracer", () => {
        for (const kind of ["zipkin", "jaeger"] as const) {
            it(`${kind}: one hardened, non-root container with its resources, its UI behind the tracing Service on port 80`, () => {
                const { deployment, services } = plain(tracerObjects(kind, release, NO_MIRRORS));
                const pod = deployment.spec.template.spec;
                assertNonRoot(pod.securityContext as never, kind);
                const [container] = pod.containers;
                assert.deepEqual(container.securityContext, HARDENED);
                assertResources(container.resources as never, kind);
                assert.deepEqual(deployment.spec.template.metadata.labels, { app: kind, "sidecar.istio.io/inject": "false" });
                const mounts = (container.volumeMounts as { name: string }[]).map((m) => m.name);
                assert.deepEqual(
                    (pod.volumes as { name: string }[]).map((v) => v.name),
                    mounts,
                    "every mount has its emptyDir",
                );
                assert.ok(mounts.includes("tmp"));
                const ui = services.tracing.spec.ports[0];
                assert.deepEqual([ui.name, ui.port], ["http-query", 80]);
                assert.ok(
                    (container.ports as { containerPort: number }[]).some((p) => p.containerPort === ui.targetPort),
                    "the UI port is the container's",
                );
                assert.equal(services.zipkin.spec.ports[0].port, 9411, "where the proxies send spans");
            });
        }

        it("zipkin keeps spans in memory and answers /health; a node port only when asked", () => {
            const { deployment, services } = plain(tracerObjects("zipkin", release, NO_MIRRORS));
            const [container] = deployment.spec.template.spec.containers;
            assert.deepEqual(container.env, [{ name: "STORAGE_METHOD", value: "mem" }]);
            assert.deepEqual(container.readinessProbe.httpGet, { path: "/health", port: 9411 });
            assert.equal(services.tracing.spec.type, "ClusterIP");
            const exposed = plain(tracerObjects("zipkin", release, NO_MIRRORS, 30411)).services.tracing;
            assert.deepEqual([exposed.spec.type, exposed.spec.ports[0].nodePort], ["NodePort", 30411]);
            assert.ok(exposed.metadata.annotations, "the exposure is marked");
        });
    });
});
