import { strict as assert } from "assert";
import { ChartName, VERSION_FACTS, compareVersions, fact, holds } from "../catalog/versions";
import { MIN_AMBIENT_ISTIO } from "../catalog/ambient";
import { envFromSecret, labelClusterScoped, serviceNodePort } from "../components/chart-transforms";
import { ConfigError, LabConfigInput, parseLabConfig } from "../config/schema";
import { flattenConfig } from "./support/config";
import { DeclaredResource, Evaluation } from "../mocks/evaluate";
import { chart, charts, objectNamed, evaluateAlone } from "./support/lab";

/**
 * Every supported Istio minor at its newest patch, and the patches where a chart changes behaviour
 * (istio/istio tags). 1.21 to 1.24 have no patch that installs (see REJECTED).
 */
const WALK = [
    "1.14.0",
    "1.14.6",
    "1.15.7",
    "1.16.7",
    "1.17.8",
    "1.18.7",
    "1.19.10",
    "1.20.8",
    "1.25.5",
    "1.26.4",
    "1.26.8",
    "1.27.1",
    "1.27.9",
    "1.28.5",
    "1.28.6",
    "1.28.10",
    "1.29.1",
    "1.29.2",
    "1.29.6",
    "1.29.8",
    "1.30.0",
    "1.30.3",
    "1.30.5",
    "1.31.1",
];

/**
 * Releases whose gateway chart Helm 3.18.5+ rejects: istio/istio manifests/charts/gateway/values.schema.json
 * has additionalProperties false beside a root $ref from 1.21.0 until 1.25.5, 1.26.4 and 1.27.1.
 */
const REJECTED = ["1.21.0", "1.21.6", "1.22.0", "1.22.8", "1.23.6", "1.24.0", "1.24.6", "1.25.0", "1.25.4", "1.26.0", "1.26.3", "1.27.0"];

/**
 * What Istio's samples/addons install per minor, read at the minor's newest patch (istio/istio
 * samples/addons/{prometheus,grafana,kiali,jaeger}.yaml); Jaeger for 1.29 and 1.30 is the lab's own
 * choice, the last v1 image Istio shipped (1.28.10).
 */
const ADDONS: Record<string, { prometheus: string; grafana: string; kiali: string; jaeger: string }> = {
    "1.14": { prometheus: "15.0.1", grafana: "6.18.2", kiali: "1.50.0", jaeger: "1.29" },
    "1.15": { prometheus: "15.9.0", grafana: "6.31.1", kiali: "1.55.1", jaeger: "1.35" },
    "1.16": { prometheus: "15.9.0", grafana: "6.31.1", kiali: "1.59.1", jaeger: "1.35" },
    "1.17": { prometheus: "15.9.0", grafana: "6.31.1", kiali: "1.63.1", jaeger: "1.35" },
    "1.18": { prometheus: "19.6.1", grafana: "6.31.1", kiali: "1.67.0", jaeger: "1.35" },
    "1.19": { prometheus: "19.6.1", grafana: "6.57.4", kiali: "1.72.0", jaeger: "1.46" },
    "1.20": { prometheus: "19.6.1", grafana: "6.57.4", kiali: "1.76.0", jaeger: "1.46" },
    "1.25": { prometheus: "26.1.0", grafana: "8.6.3", kiali: "2.5.0", jaeger: "1.63.0" },
    "1.26": { prometheus: "27.8.0", grafana: "8.6.3", kiali: "2.8.0", jaeger: "1.67.0" },
    "1.27": { prometheus: "27.23.0", grafana: "9.2.2", kiali: "2.12.0", jaeger: "1.70.0" },
    "1.28": { prometheus: "27.37.0", grafana: "9.2.2", kiali: "2.17.0", jaeger: "1.70.0" },
    "1.29": { prometheus: "28.0.0", grafana: "9.2.2", kiali: "2.21.0", jaeger: "1.70.0" },
    "1.30": { prometheus: "28.13.0", grafana: "9.2.2", kiali: "2.26.0", jaeger: "1.70.0" },
    "1.31": { prometheus: "28.13.0", grafana: "9.2.2", kiali: "2.27.0", jaeger: "1.70.0" },
};

const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");
const minorNumber = (version: string) => Number(version.split(".")[1]);

/** A config that renders every value path the lab can give each chart. */
const FULL: LabConfigInput = {
    addons: {
        prometheus: { nodePort: 30090 },
        grafana: { nodePort: 30300, adminPassword: "correct-horse-battery" },
        kiali: { nodePort: 30201, auth: "token", signingKey: "k".repeat(32) },
        tracer: { kind: "jaeger", nodePort: 30686 },
    },
};
const SECRETS = ["boutique-mesh:addons"];

const labAt = (version: string, config: LabConfigInput = FULL) =>
    evaluateAlone(flattenConfig({ ...config, istio: { ...config.istio, version } }), "test", SECRETS);

/** Leaf value paths ("server.service.type"); arrays count as one value. */
function leafPaths(value: unknown, prefix = ""): string[] {
    if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) return [prefix];
    return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => leafPaths(inner, prefix ? `${prefix}.${key}` : key));
}

const CHART_VERSIONED: Record<ChartName, string> = {
    base: "istio",
    istiod: "istio",
    gateway: "istio",
    cni: "istio",
    ztunnel: "istio",
    prometheus: "prometheus",
    grafana: "grafana",
    "kiali-server": "kiali-server",
};

/** The value paths of a chart release that no fact of the table says its version reads. */
function unreadPaths(release: DeclaredResource, istioVersion: string): string[] {
    const name = String(release.inputs.chart).split("/").pop() as ChartName;
    const version = CHART_VERSIONED[name] === "istio" ? istioVersion : release.inputs.version;
    const read = VERSION_FACTS.filter((f) => f.of === CHART_VERSIONED[name] && holds(f.id, version)).flatMap((f) =>
        ((f as { reads?: readonly { chart: ChartName; paths: readonly string[] }[] }).reads ?? []).filter((r) => r.chart === name).flatMap((r) => r.paths),
    );
    return leafPaths(release.inputs.values).filter((path) => !read.some((r) => path === r || path.startsWith(`${r}.`)));
}

/**
 * What Kiali's chart may need beyond its values, built as the Addons component builds them for the
 * config FULL: the evaluation records a chart's transforms by name, and these names must match.
 */
const KIALI_TRANSFORMS = [
    envFromSecret("kiali", "kiali", "LOGIN_TOKEN_SIGNING_KEY", { name: "kiali-signing-key", key: "value.txt" }),
    envFromSecret("kiali", "kiali", "GRAFANA_PASSWORD", { name: "grafana-admin", key: "admin-password" }),
    serviceNodePort("kiali", 20001, 30201),
    labelClusterScoped({ "boutique-mesh.io/stack": "test" }),
];

/** An object as the engine would pass it on after the named transforms of a chart. */
async function transformed(names: string[], type: string, object: Record<string, any>): Promise<Record<string, any>> {
    assert.deepEqual(
        names.filter((n) => !KIALI_TRANSFORMS.some((t) => t.name === n)),
        [],
        "every transform of the chart is one of those known here",
    );
    let props = structuredClone(object);
    for (const transform of KIALI_TRANSFORMS.filter((t) => names.includes(t.name))) {
        props = ((await transform({ type, name: "x", custom: true, props, opts: {} }))?.props as Record<string, any>) ?? props;
    }
    return props;
}

/** The kiali-server chart's Deployment and Service as chart 1.50.0 renders them for release "kiali" (helm template, trimmed). */
const KIALI_DEPLOYMENT = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "kiali", namespace: "istio-system" },
    spec: { template: { spec: { containers: [{ name: "kiali", env: [{ name: "LOG_LEVEL", value: "info" }] }] } } },
};
const KIALI_SERVICE = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kiali", namespace: "istio-system" },
    spec: {
        type: "NodePort",
        ports: [
            { name: "http", protocol: "TCP", port: 20001 },
            { name: "http-metrics", protocol: "TCP", port: 9090 },
        ],
    },
};

describe("versions: every supported Istio release installs as its charts behave", () => {
    const labs = new Map<string, Evaluation>();
    before(async () => {
        for (const version of WALK) labs.set(version, await labAt(version));
    });

    it("rejects the releases whose gateway chart Helm refuses, before anything is declared, and accepts the rest", () => {
        for (const version of REJECTED) {
            assert.throws(
                () => parseLabConfig({ istio: { version } }),
                (e: unknown) =>
                    e instanceof ConfigError && e.problems.some((p) => p.startsWith(`boutique-mesh:istio.version = "${version}": cannot be installed`)),
                version,
            );
        }
        for (const version of WALK) assert.equal(parseLabConfig({ istio: { version } }).istio.version, version);
    });

    it("installs the addon charts Istio's samples use for each minor", () => {
        for (const [version, lab] of labs) {
            const expected = ADDONS[minorOf(version)];
            for (const addon of ["prometheus", "grafana", "kiali"] as const)
                assert.equal(chart(lab, addon).inputs.version, expected[addon], `${addon} ${version}`);
            const image = objectNamed(lab, "Deployment", "jaeger").spec.template.spec.containers[0].image;
            assert.equal(image, `docker.io/jaegertracing/all-in-one:${expected.jaeger}`, version);
        }
    });

    it("renders only value paths the table says the chart version reads", () => {
        for (const [version, lab] of labs) {
            for (const release of charts(lab).values()) assert.deepEqual(unreadPaths(release, version), [], `${release.inputs.name} at Istio ${version}`);
        }
    });

    it("renders only value paths the table says the chart version reads in ambient too (cni, ztunnel, istiod's profile)", async () => {
        for (const version of WALK.filter((v) => compareVersions(v, MIN_AMBIENT_ISTIO) >= 0)) {
            const lab = await labAt(version, { ...FULL, istio: { ...FULL.istio, dataPlane: "ambient" } });
            const releases = [...charts(lab).values()];
            assert.ok(
                ["istio-cni", "ztunnel"].every((name) => releases.some((r) => r.inputs.name === name)),
                version,
            );
            for (const release of releases) assert.deepEqual(unreadPaths(release, version), [], `${release.inputs.name} at Istio ${version} in ambient`);
        }
    });

    it("cites a repository, tag and path for every fact, with well-formed ranges", () => {
        assert.equal(new Set(VERSION_FACTS.map((f) => f.id)).size, VERSION_FACTS.length, "ids are unique");
        for (const f of VERSION_FACTS) {
            assert.ok(f.sources.length > 0 && f.holds.length > 0, f.id);
            for (const s of f.sources)
                assert.ok(/^[\w.-]+\/[\w.-]+$/.test(s.repository) && s.tag.length > 0 && s.path.length > 0 && !s.path.startsWith("/"), f.id);
        }
    });

    it("cites the Helm the provider bundles, and Kiali's node port from the chart that first reads it", () => {
        // pulumi/pulumi-kubernetes provider/go.mod: helm.sh/helm/v3 v3.18.6 at v4.28.0, v3.20.2 from v4.29.0; both Helm
        // versions validate values with santhosh-tekuri/jsonschema v6.0.2 (helm/helm go.mod, pkg/chartutil/jsonschema.go).
        const schema = fact("gateway-schema-rejects-values");
        assert.ok(schema.sources.some((s) => s.repository === "helm/helm" && s.tag === "v3.20.2"));
        assert.ok(schema.sources.some((s) => s.repository === "pulumi/pulumi-kubernetes" && s.tag === "v4.29.0" && s.path === "provider/go.mod"));
        assert.match(schema.claim, /bundles 3\.20\.2 from v4\.29\.0/);
        // kiali/helm-charts kiali-server/templates/service.yaml: server.node_port is read from v1.81.0 (#248), not in v1.80.0.
        assert.equal(holds("kiali-node-port", "1.80.0"), false);
        assert.equal(holds("kiali-node-port", "1.81.0"), true);
    });

    describe("each defect stays fixed", () => {
        it("istiod's own values: under pilot before 1.24, flat after; failurePolicy as a value only where read", () => {
            for (const [version, lab] of labs) {
                const values = chart(lab, "istiod").inputs.values;
                // istio-discovery/templates/deployment.yaml reads .Values.pilot.traceSampling in 1.23.6, .Values.traceSampling in 1.24.0.
                assert.equal(minorNumber(version) >= 24 ? values.traceSampling : values.pilot.traceSampling, 100, version);
                // base.validationFailurePolicy is read from 1.28.6 (not 1.29.0-1.29.1) and from 1.29.2.
                const read = (minorNumber(version) === 28 && version !== "1.28.5") || (minorNumber(version) >= 29 && version !== "1.29.1");
                assert.equal(chart(lab, "istio-base").inputs.values.base?.validationFailurePolicy, read ? "Fail" : undefined, version);
            }
        });

        it("Kiali logs in to Grafana with the password the way each chart version passes it", async () => {
            for (const [version, lab] of labs) {
                const kiali = chart(lab, "kiali");
                const auth = kiali.inputs.values.external_services.grafana.auth;
                assert.equal(auth.username, "admin");
                const secret = lab.resources.find((r) => r.inputs.kind === "Secret" && r.inputs.metadata.name === "kiali-grafana-password");
                const deployment = await transformed(kiali.transforms, "kubernetes:apps/v1:Deployment", KIALI_DEPLOYMENT);
                const env = deployment.spec.template.spec.containers[0].env;
                if (minorNumber(version) <= 15) {
                    // kiali/kiali v1.50.0, v1.55.1 config/config.go: GRAFANA_PASSWORD overrides the config; the chart sets no variable from a Secret.
                    assert.equal(auth.password, undefined, version);
                    assert.deepEqual(env[env.length - 1], {
                        name: "GRAFANA_PASSWORD",
                        valueFrom: { secretKeyRef: { name: "grafana-admin", key: "admin-password" } },
                    });
                    assert.equal(secret, undefined);
                } else if (minorNumber(version) <= 28) {
                    // kiali/kiali v1.59.1 config/config.go: /kiali-override-secrets/grafana-password/value.txt overrides the config.
                    assert.equal(auth.password, undefined, version);
                    assert.deepEqual(kiali.inputs.values.deployment.custom_secrets, [
                        { name: "kiali-grafana-password", mount: "/kiali-override-secrets/grafana-password" },
                        { name: "kiali-signing-key", mount: "/kiali-override-secrets/login-token-signing-key" },
                    ]);
                    assert.deepEqual(secret!.inputs.stringData, { "value.txt": "correct-horse-battery" });
                    assert.ok(secret!.secretPaths.includes("stringData"), "held as a secret");
                    assert.ok(kiali.dependsOn.includes(secret!.name), version);
                    assert.equal(env.length, 1, "no variable added");
                } else {
                    // kiali/helm-charts v2.21.0 templates/_helpers.tpl mounts secret:<name>:<key> references.
                    assert.equal(auth.password, "secret:grafana-admin:admin-password", version);
                    assert.equal(secret, undefined);
                }
                assert.ok(!JSON.stringify(kiali.inputs.values).includes("correct-horse-battery"), "never in Kiali's config");
            }
        });

        it("Kiali's signing key is in a Secret for every chart version, never in its values (which the chart copies into ConfigMap kiali)", async () => {
            for (const [version, lab] of labs) {
                const kiali = chart(lab, "kiali");
                const key = lab.resources.find((r) => r.inputs.kind === "Secret" && r.inputs.metadata.name === "kiali-signing-key")!;
                assert.deepEqual(key.inputs.stringData, { "value.txt": "k".repeat(32) }, version);
                assert.ok(key.secretPaths.includes("stringData"), "held as a secret");
                assert.ok(kiali.dependsOn.includes(key.name), `${version}: Kiali starts once its key is there`);
                assert.ok(!JSON.stringify(kiali.inputs.values).includes("k".repeat(32)), `${version}: never in Kiali's config`);
                const signing = kiali.inputs.values.login_token.signing_key;
                const deployment = await transformed(kiali.transforms, "kubernetes:apps/v1:Deployment", KIALI_DEPLOYMENT);
                const env = deployment.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
                if (minorNumber(version) <= 15) {
                    // kiali/kiali v1.50.0 and v1.55.1 config/config.go: LOGIN_TOKEN_SIGNING_KEY overrides login_token.signing_key.
                    assert.equal(signing, "secret:kiali-signing-key:value.txt", version);
                    assert.ok(env.includes("LOGIN_TOKEN_SIGNING_KEY"), version);
                } else if (minorNumber(version) <= 28) {
                    // kiali/kiali v1.59.1 config/config.go: /kiali-override-secrets/login-token-signing-key/value.txt overrides it.
                    assert.equal(signing, "secret:kiali-signing-key:value.txt", version);
                    assert.ok(
                        kiali.inputs.values.deployment.custom_secrets.some(
                            (c: { name: string; mount: string }) =>
                                c.name === "kiali-signing-key" && c.mount === "/kiali-override-secrets/login-token-signing-key",
                        ),
                        version,
                    );
                    assert.ok(!env.includes("LOGIN_TOKEN_SIGNING_KEY"), version);
                } else {
                    // kiali/helm-charts v2.21.0 templates/_helpers.tpl credential-secrets: the signing key's secret: reference
                    // is always mounted at /kiali-override-secrets/login-token-signing-key.
                    assert.equal(signing, "secret:kiali-signing-key:value.txt", version);
                }
            }
        });

        it("Kiali's node port is the configured one on every chart version", async () => {
            for (const [version, lab] of labs) {
                const kiali = chart(lab, "kiali");
                assert.equal(kiali.inputs.values.deployment.service_type, "NodePort");
                const service = await transformed(kiali.transforms, "kubernetes:core/v1:Service", KIALI_SERVICE);
                // kiali/helm-charts templates/service.yaml reads server.node_port from v1.81.0 (v1.80.0 does not); Istio 1.20 ships 1.76.0, 1.22 ships 1.86.0.
                const fromChart = kiali.inputs.values.server.node_port;
                const fromTransform = service.spec.ports.find((p: { port: number }) => p.port === 20001).nodePort;
                assert.equal(minorNumber(version) >= 22 ? fromChart : fromTransform, 30201, version);
                assert.equal(minorNumber(version) >= 22 ? fromTransform : fromChart, undefined, version);
                assert.equal(service.spec.ports[1].nodePort, undefined, "the metrics port is left alone");
                assert.equal((lab.outputs.dashboards as Record<string, { nodePort?: number }>).kiali.nodePort, 30201);
            }
        });

        it("Jaeger runs as Istio's sample: badger on an emptyDir, the collector's ports, OTLP only where Jaeger serves it", () => {
            for (const [version, lab] of labs) {
                const env = Object.fromEntries(
                    objectNamed(lab, "Deployment", "jaeger").spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [
                        e.name,
                        e.value,
                    ]),
                );
                assert.equal(env.SPAN_STORAGE_TYPE, "badger", version);
                const ports = objectNamed(lab, "Service", "jaeger-collector").spec.ports.map((p: { port: number }) => p.port);
                // jaegertracing/jaeger cmd/collector/app/flags/flags.go: --collector.otlp.enabled defaults to true from v1.46.0.
                const otlp = !["1.29", "1.35"].includes(ADDONS[minorOf(version)].jaeger);
                assert.deepEqual(ports, [14268, 14250, 9411, ...(otlp ? [4317, 4318] : [])], version);
            }
        });

        it("Prometheus gets container hardening only from charts that read it, and the exporters' switches they read", () => {
            for (const [version, lab] of labs) {
                const values = chart(lab, "prometheus").inputs.values;
                const prometheus = ADDONS[minorOf(version)].prometheus;
                // prometheus-community/helm-charts: templates/server/deploy.yaml reads server.containerSecurityContext
                // from 15.9.0 (not 15.0.1), the reloader's from 19.6.1 (not 15.9.0); chart 19 made the exporters dependencies.
                assert.equal(values.server.containerSecurityContext !== undefined, prometheus !== "15.0.1", version);
                assert.equal(values.configmapReload.prometheus.containerSecurityContext !== undefined, !prometheus.startsWith("15."), version);
                assert.equal(values["prometheus-pushgateway"] !== undefined, !prometheus.startsWith("15."), version);
                assert.equal(values.pushgateway !== undefined, prometheus.startsWith("15."), version);
            }
        });
    });

    describe("values only where they do something", () => {
        it("istiod's PodDisruptionBudget is off where the chart renders one for a single istiod (before 1.28.0)", () => {
            // istio/istio istio-discovery/templates/poddisruptionbudget.yaml: minAvailable 1 whenever
            // global.defaultPodDisruptionBudget.enabled up to 1.27.9; from 1.28.0 only with more than one replica.
            for (const [version, lab] of labs) {
                const values = chart(lab, "istiod").inputs.values;
                assert.equal(values.replicaCount ?? values.pilot.replicaCount, 1, version);
                const expected = minorNumber(version) < 28 ? { enabled: false } : undefined;
                assert.deepEqual(values.global.defaultPodDisruptionBudget, expected, version);
            }
        });

        it("Grafana's PodSecurityPolicy switch goes only to charts that default it on (before 6.51.3)", () => {
            // grafana/helm-charts charts/grafana/values.yaml: rbac.pspEnabled true up to 6.51.2, false from 6.51.3.
            for (const [version, lab] of labs) {
                const grafana = chart(lab, "grafana");
                const expected = compareVersions(grafana.inputs.version, "6.51.3") < 0 ? false : undefined;
                assert.equal(grafana.inputs.values.rbac.pspEnabled, expected, `${version} (grafana ${grafana.inputs.version})`);
                assert.equal(grafana.inputs.values.rbac.create, false);
            }
        });
    });

    describe("tracing means what the config says before Istio 1.22", () => {
        it("traceSampling 0 turns tracing off instead of falling back to pilot's 1%", async () => {
            for (const version of ["1.14.0", "1.20.8"]) {
                const lab = await labAt(version, { istio: { traceSampling: 0 } });
                assert.deepEqual(chart(lab, "istiod").inputs.values.meshConfig.enableTracing, false, version);
                assert.equal(chart(lab, "istiod").inputs.values.meshConfig.defaultConfig, undefined);
            }
            // From 1.22 the Telemetry resource carries the rate, and 0 is 0 (istio/istio 1.22.0 pilot/pkg/networking/core/tracing.go).
            const telemetry = objectNamed(await labAt("1.25.5", { istio: { traceSampling: 0 } }), "Telemetry", "mesh-default");
            assert.equal(telemetry.spec.tracing[0].randomSamplingPercentage, 0);
        });

        it("a tracer of none sets the chart's proxy tracer to none, so no Zipkin address is written", async () => {
            for (const version of ["1.14.0", "1.20.8", "1.30.3"]) {
                const lab = await labAt(version, { addons: { tracer: { kind: "none" } } });
                assert.equal(chart(lab, "istiod").inputs.values.global.proxy.tracer, "none", version);
            }
            assert.equal(chart(labs.get("1.20.8")!, "istiod").inputs.values.global.proxy.tracer, undefined, "with a tracer, the chart's own default stays");
        });
    });
});
