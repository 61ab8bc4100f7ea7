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
import { grafanaValues, kialiCredentials, kialiValues, prometheusValues, tracerObjects } from "../components/addons/values";
import { EXPOSED_BY_CONFIG } from "../components/labels";

/*
 * Values are built in hooks and tests, never while a describe is declared: mutation testing runs the specs again
 * for each mutant in one process, and values built at load would be the unmutated ones.
 */

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
        let values: Record<string, any>;
        before(() => {
            values = prometheusValues(release, addons(), NO_MIRRORS);
        });

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
        let values: Record<string, any>;
        before(() => {
            values = grafanaValues(release, addons(), NO_MIRRORS);
        });

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
            // Istio's values name the folder "istio"; the lab's is "Istio", as docs/observability.md shows it.
            assert.equal(provider.folder, "Istio");
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
    describe("the tracer as Istio's samples run it (istio/istio 1.26.8 samples/addons/jaeger.yaml, extras/zipkin.yaml)", () => {
        const metadata = (name: string, app: string) => ({ name, namespace: "istio-system", labels: { app } });
        it("jaeger: the sample's environment, annotations, probe, badger volume and Services; the lab's container port names", () => {
            const { deployment, services } = plain(tracerObjects("jaeger", ADDON_RELEASES["1.26"], NO_MIRRORS));
            assert.deepEqual(deployment.metadata, metadata("jaeger", "jaeger"));
            assert.deepEqual(deployment.spec.selector, { matchLabels: { app: "jaeger" } });
            assert.deepEqual(deployment.spec.template.metadata.annotations, { "prometheus.io/scrape": "true", "prometheus.io/port": "14269" });
            const [container] = deployment.spec.template.spec.containers;
            assert.deepEqual(container.env, [
                { name: "BADGER_EPHEMERAL", value: "false" },
                { name: "SPAN_STORAGE_TYPE", value: "badger" },
                { name: "BADGER_DIRECTORY_VALUE", value: "/badger/data" },
                { name: "BADGER_DIRECTORY_KEY", value: "/badger/key" },
                { name: "COLLECTOR_ZIPKIN_HOST_PORT", value: ":9411" },
                { name: "MEMORY_MAX_TRACES", value: "50000" },
                { name: "QUERY_BASE_PATH", value: "/jaeger" },
            ]);
            assert.deepEqual(container.readinessProbe, { httpGet: { path: "/", port: 14269 } });
            assert.deepEqual(container.volumeMounts, [
                { name: "tmp", mountPath: "/tmp" },
                { name: "data", mountPath: "/badger" },
            ]);
            // The sample's container declares no ports; the lab names each (at most 15 characters) for the policy pack.
            assert.deepEqual(
                container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
                [
                    ["http-query", 16686],
                    ["grpc-query", 16685],
                    ["collector-http", 14268],
                    ["collector-grpc", 14250],
                    ["http-zipkin", 9411],
                    ["grpc-otlp", 4317],
                    ["http-otlp", 4318],
                    ["http-admin", 14269],
                ],
            );
            assert.deepEqual(Object.keys(services), ["tracing", "zipkin", "jaeger-collector"]);
            const ports = (name: string) => services[name].spec.ports.map((p: any) => [p.name, p.port, p.targetPort]);
            assert.deepEqual(ports("tracing"), [
                ["http-query", 80, 16686],
                ["grpc-query", 16685, 16685],
            ]);
            assert.deepEqual(ports("jaeger-collector"), [
                ["jaeger-collector-http", 14268, 14268],
                ["jaeger-collector-grpc", 14250, 14250],
                ["http-zipkin", 9411, 9411],
                ["grpc-otel", 4317, 4317],
                ["http-otel", 4318, 4318],
            ]);
            for (const name of ["tracing", "zipkin", "jaeger-collector"]) {
                assert.deepEqual(services[name].metadata, metadata(name, "jaeger"));
                assert.deepEqual([services[name].spec.type, services[name].spec.selector], ["ClusterIP", { app: "jaeger" }]);
            }
        });

        it("jaeger before 1.46 serves no OTLP: its collector Service has the sample's three ports (istio 1.14.6, all-in-one 1.29)", () => {
            const { services } = plain(tracerObjects("jaeger", ADDON_RELEASES["1.14"], NO_MIRRORS));
            assert.deepEqual(
                services["jaeger-collector"].spec.ports.map((p: any) => p.port),
                [14268, 14250, 9411],
            );
        });

        it("zipkin: the sample's environment and probe, no collector; both Services on the sample's ports", () => {
            const objects = tracerObjects("zipkin", release, NO_MIRRORS);
            const { deployment, services } = plain(objects);
            const [container] = deployment.spec.template.spec.containers;
            assert.deepEqual(container.readinessProbe, { httpGet: { path: "/health", port: 9411 }, initialDelaySeconds: 5, periodSeconds: 5 });
            assert.deepEqual(container.ports, [{ name: "http-query", containerPort: 9411 }]);
            assert.deepEqual(container.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
            assert.equal(deployment.spec.template.metadata.annotations, undefined, "zipkin serves no Prometheus metrics here");
            assert.deepEqual(Object.keys(services), ["tracing", "zipkin"]);
            assert.deepEqual(services.tracing.spec.ports, [{ name: "http-query", port: 80, targetPort: 9411 }]);
            assert.ok(!("nodePort" in (objects.services.tracing.spec as any).ports[0]), "no node port key unless one is asked for");
            // The sample names this port http-query; the lab http-zipkin. Both start with "http", which is what Istio reads.
            assert.deepEqual(services.zipkin.spec.ports, [{ name: "http-zipkin", port: 9411, targetPort: 9411 }]);
            assert.deepEqual(services.zipkin.metadata, metadata("zipkin", "zipkin"));
            assert.equal(services.zipkin.spec.type, "ClusterIP");
            const exposed = plain(tracerObjects("zipkin", release, NO_MIRRORS, 30411)).services.tracing;
            assert.deepEqual(exposed.metadata.annotations, EXPOSED_BY_CONFIG);
        });
    });

    describe("the lab's own requests and limits, pinned", () => {
        // docs/classroom.md sizes a class from the requests these add up to (npm run bench), and docs/observability.md
        // states the tracer's limits: a change here is a decision, which this spec makes visible.
        const resources = (cpu: [string, string], memory: [string, string]) => ({
            requests: { cpu: cpu[0], memory: memory[0] },
            limits: { cpu: cpu[1], memory: memory[1] },
        });
        it("Prometheus and its reloader, Grafana, Kiali, and either tracer", () => {
            const prometheus = prometheusValues(release, addons(), NO_MIRRORS) as Record<string, any>;
            assert.deepEqual(prometheus.server.resources, resources(["50m", "500m"], ["256Mi", "1024Mi"]));
            assert.deepEqual(prometheus.configmapReload.prometheus.resources, resources(["10m", "50m"], ["16Mi", "64Mi"]));
            assert.deepEqual((grafanaValues(release, addons(), NO_MIRRORS) as Record<string, any>).resources, resources(["20m", "200m"], ["64Mi", "256Mi"]));
            assert.deepEqual(
                (kialiValues(release, addons(), NO_MIRRORS) as Record<string, any>).deployment.resources,
                resources(["10m", "500m"], ["64Mi", "1Gi"]),
            );
            for (const kind of ["zipkin", "jaeger"] as const)
                assert.deepEqual(
                    plain(tracerObjects(kind, release, NO_MIRRORS)).deployment.spec.template.spec.containers[0].resources,
                    resources(["20m", "500m"], ["256Mi", "512Mi"]),
                    kind,
                );
        });
    });

    describe("Kiali's credentials and links per chart version", () => {
        const kiali = (minor: keyof typeof ADDON_RELEASES, input: object = {}) =>
            kialiValues(ADDON_RELEASES[minor], addons(input), NO_MIRRORS) as Record<string, any>;

        it("how each chart gets a credential to the server: an environment variable, a mounted Secret, a secret: reference", () => {
            assert.deepEqual(["1.50.0", "1.55.1", "1.59.1", "2.17.0", "2.21.0", "2.27.0"].map(kialiCredentials), [
                "environment",
                "environment",
                "override-file",
                "override-file",
                "secret-reference",
                "secret-reference",
            ]);
        });

        it("from 1.59.1 to 2.21.0 the chart mounts the two Secrets where the server reads them; before and after, none", () => {
            assert.deepEqual(kiali("1.16").deployment.custom_secrets, [
                { name: "kiali-grafana-password", mount: "/kiali-override-secrets/grafana-password" },
                { name: "kiali-signing-key", mount: "/kiali-override-secrets/login-token-signing-key" },
            ]);
            assert.deepEqual(kiali("1.16", { grafana: { enabled: false } }).deployment.custom_secrets, [
                { name: "kiali-signing-key", mount: "/kiali-override-secrets/login-token-signing-key" },
            ]);
            for (const minor of ["1.14", "1.29"] as const) assert.equal(kiali(minor).deployment.custom_secrets, undefined, minor);
        });

        it("Grafana's basic auth as admin, its password as a secret: reference only where the chart reads one; Grafana's in-cluster and local URLs", () => {
            const current = kiali("1.29").external_services.grafana;
            assert.deepEqual(current, {
                enabled: true,
                internal_url: "http://grafana.istio-system:3000",
                external_url: "http://localhost:3000",
                auth: { type: "basic", username: "admin", password: "secret:grafana-admin:admin-password" },
            });
            assert.deepEqual(kiali("1.16").external_services.grafana, {
                enabled: true,
                in_cluster_url: "http://grafana.istio-system:3000",
                url: "http://localhost:3000",
                auth: { type: "basic", username: "admin" },
            });
        });

        it("a node port: the Service's type always, the port itself only where the chart takes it (1.81.0 on)", () => {
            const current = kiali("1.29", { kiali: { nodePort: 30201 } });
            assert.deepEqual(current.server, { port: 20001, node_port: 30201 });
            assert.deepEqual([current.deployment.service_type, current.deployment.service_annotations], ["NodePort", EXPOSED_BY_CONFIG]);
            const old = kiali("1.14", { kiali: { nodePort: 30201 } });
            assert.deepEqual(old.server, { port: 20001 });
            assert.equal(old.deployment.service_type, "NodePort");
            assert.deepEqual(kiali("1.29").server, { port: 20001 });
        });
    });
});
