import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { addonRelease } from "../catalog/addons";
import { LabConfigInput, SECRET_PLACEHOLDER } from "../config/schema";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { labConfigFrom, loadStackFile } from "../config/stack";
import * as pulumi from "@pulumi/pulumi";
import { DOWNLOAD_TIMEOUT_MS, dashboardData, dashboardJson } from "../components/addons/dashboards";
import { isPinned } from "../components/images/references";
import { DeclaredResource, Evaluation } from "../mocks/evaluate";
import { configProblems, flattenConfig } from "./support/config";
import { chart, charts, evaluateConfig, objectNamed, objectsOfKind, resource, evaluateAlone } from "./support/lab";

/** How the engine's wire format writes a value known only at deploy time (@pulumi/pulumi runtime/rpc.js unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const SYSTEM = "istio-system";
const ADDON_CHARTS = ["prometheus", "grafana", "kiali"];

/** Grafana's password as the mocks generate it (mocks/evaluate.ts). */
const GENERATED_PASSWORD = "offline-lab-addons-grafana-admin-password";

const addonCharts = (lab: Evaluation) => [...charts(lab).keys()].filter((release) => ADDON_CHARTS.includes(release)).sort();
const istiodMeshConfig = (lab: Evaluation) => chart(lab, "istiod").inputs.values.meshConfig;

describe("addons: Prometheus, Grafana, Kiali and one tracer", () => {
    let dev: Evaluation;
    before(async () => {
        dev = await evaluateConfig();
    });

    it("installs all four by default, in istio-system, outside the mesh", () => {
        assert.deepEqual(addonCharts(dev), ["grafana", "kiali", "prometheus"]);
        for (const release of ADDON_CHARTS) assert.equal(chart(dev, release).inputs.namespace, SYSTEM);
        const zipkin = objectNamed(dev, "Deployment", "zipkin");
        assert.equal(zipkin.metadata.namespace, SYSTEM);
        assert.equal(zipkin.spec.template.metadata.labels["sidecar.istio.io/inject"], "false");
        assert.equal(chart(dev, "prometheus").inputs.values.server.podLabels["sidecar.istio.io/inject"], "false");
    });

    it("turns each addon off on its own", async () => {
        for (const off of ADDON_CHARTS) {
            const lab = await evaluateConfig({
                addons: { [off]: { enabled: false }, ...(off === "prometheus" ? { grafana: { enabled: false }, kiali: { enabled: false } } : {}) },
            });
            assert.ok(!addonCharts(lab).includes(off), `${off} is off`);
            assert.equal((lab.outputs.dashboards as Record<string, unknown>)[off], undefined);
        }
        const quiet = await evaluateConfig({ addons: { tracer: { kind: "none" } } });
        assert.ok(!objectsOfKind(quiet, "Deployment", SYSTEM).has("zipkin"));
        assert.ok(!objectsOfKind(quiet, "Service", SYSTEM).has("tracing"));
    });

    it("pins the charts to the versions Istio's own addons use for the Istio version", async () => {
        assert.equal(chart(dev, "prometheus").inputs.version, "28.13.0");
        assert.equal(chart(dev, "grafana").inputs.version, "9.2.2");
        assert.equal(chart(dev, "kiali").inputs.version, "2.27.0", "istio/istio release-1.31 samples/addons/kiali.yaml: kiali-server-2.27.0");
        assert.equal(chart(dev, "kiali").inputs.chart, "kiali-server");
        // The grafana chart moved to grafana-community on 2026-01-30 (grafana/helm-charts charts/grafana/README.md).
        assert.deepEqual(chart(dev, "grafana").inputs.repositoryOpts, { repo: "https://grafana-community.github.io/helm-charts" });
        assert.deepEqual(chart(dev, "prometheus").inputs.repositoryOpts, { repo: "https://prometheus-community.github.io/helm-charts" });
        assert.deepEqual(chart(dev, "kiali").inputs.repositoryOpts, { repo: "https://kiali.org/helm-charts" });
        // istio/istio 1.20.8 samples/addons: prometheus-19.6.1, grafana-6.57.4, kiali-server-1.76.0.
        const older = await evaluateConfig({ istio: { version: "1.20.8" } });
        assert.equal(chart(older, "prometheus").inputs.version, "19.6.1");
        assert.equal(chart(older, "grafana").inputs.version, "6.57.4");
        assert.equal(chart(older, "kiali").inputs.version, "1.76.0");
    });

    it("knows, for every minor, the chart versions of Istio's samples/addons at its newest patch", () => {
        // istio/istio at each tag, samples/addons/{prometheus,grafana,kiali}.yaml: the `chart:` or
        // `helm.sh/chart:` label of the objects each chart rendered (prometheus-X, grafana-X, kiali-server-X).
        const upstream: Record<string, [string, string, string]> = {
            "1.14.6": ["15.0.1", "6.18.2", "1.50.0"],
            "1.15.7": ["15.9.0", "6.31.1", "1.55.1"],
            "1.16.7": ["15.9.0", "6.31.1", "1.59.1"],
            "1.17.8": ["15.9.0", "6.31.1", "1.63.1"],
            "1.18.7": ["19.6.1", "6.31.1", "1.67.0"],
            "1.19.10": ["19.6.1", "6.57.4", "1.72.0"],
            "1.20.8": ["19.6.1", "6.57.4", "1.76.0"],
            "1.21.6": ["25.8.0", "6.61.1", "1.79.0"],
            "1.22.8": ["25.19.1", "7.3.7", "1.86.0"],
            "1.23.6": ["25.21.0", "8.0.1", "1.87.0"],
            "1.24.6": ["25.27.0", "8.5.8", "2.0.0"],
            "1.25.5": ["26.1.0", "8.6.3", "2.5.0"],
            "1.26.8": ["27.8.0", "8.6.3", "2.8.0"],
            "1.27.9": ["27.23.0", "9.2.2", "2.12.0"],
            "1.28.10": ["27.37.0", "9.2.2", "2.17.0"],
            "1.29.6": ["28.0.0", "9.2.2", "2.21.0"],
            "1.30.3": ["28.13.0", "9.2.2", "2.26.0"],
            // istio/istio release-1.31 a8d7012 samples/addons: kiali-server-2.27.0 (1.31.1's notes name v2.31.0,
            // a chart the lab has not read: it keeps 2.27.0).
            "1.31.1": ["28.13.0", "9.2.2", "2.27.0"],
        };
        for (const [version, [prometheus, grafana, kiali]] of Object.entries(upstream)) {
            const { release, minor } = addonRelease(version);
            assert.equal(minor, version.split(".").slice(0, 2).join("."), version);
            assert.deepEqual([release.prometheus.chart, release.grafana.chart, release.kiali.chart], [prometheus, grafana, kiali], version);
        }
    });

    it("installs an unverified release with the addons of the release whose facts it uses", () => {
        assert.equal(addonRelease("1.32.0").minor, "1.31", "a minor the lab does not know: the newest it read");
        assert.equal(addonRelease("1.30.9").minor, "1.30", "a newer patch of a known minor: that minor's");
        assert.equal(addonRelease("1.18.7").release.prometheus.chart, "19.6.1");
    });

    describe("the tracer", () => {
        it("Zipkin by default: one Deployment, the Services tracing and zipkin", () => {
            assert.ok(objectsOfKind(dev, "Deployment", SYSTEM).has("zipkin"));
            assert.ok(!objectsOfKind(dev, "Deployment", SYSTEM).has("jaeger"));
            const services = objectsOfKind(dev, "Service", SYSTEM);
            assert.deepEqual(
                services.get("zipkin")!.spec.ports.map((p: { port: number }) => p.port),
                [9411],
            );
            assert.deepEqual(services.get("tracing")!.spec.selector, { app: "zipkin" });
        });

        it("Jaeger as the alternative, never both: the Services tracing and zipkin exist once", async () => {
            const jaeger = await evaluateConfig({ addons: { tracer: { kind: "jaeger" } } });
            const deployments = objectsOfKind(jaeger, "Deployment", SYSTEM);
            assert.ok(deployments.has("jaeger") && !deployments.has("zipkin"));
            for (const name of ["tracing", "zipkin", "jaeger-collector"]) {
                assert.deepEqual(objectNamed(jaeger, "Service", name).spec.selector, { app: "jaeger" }, name);
            }
            // istio/istio samples/addons/jaeger.yaml (1.19.10 to 1.28.10): collector ports, plus OTLP from Jaeger 1.46.
            assert.deepEqual(
                objectNamed(jaeger, "Service", "jaeger-collector").spec.ports.map((p: { port: number }) => p.port),
                [14268, 14250, 9411, 4317, 4318],
            );
            const names = jaeger.resources
                .filter((r) => r.inputs.kind === "Service" && r.inputs.metadata.namespace === SYSTEM)
                .map((r) => r.inputs.metadata.name);
            assert.equal(new Set(names).size, names.length);
            const env = Object.fromEntries(
                deployments.get("jaeger")!.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
            );
            assert.equal(env.COLLECTOR_ZIPKIN_HOST_PORT, ":9411", "Jaeger takes the proxies' Zipkin-format spans");
            // As Istio's sample: spans in badger on an emptyDir, not in a memory store the load generator would fill.
            assert.equal(env.SPAN_STORAGE_TYPE, "badger");
            assert.equal(env.BADGER_EPHEMERAL, "false");
            assert.deepEqual([env.BADGER_DIRECTORY_VALUE, env.BADGER_DIRECTORY_KEY], ["/badger/data", "/badger/key"]);
            const pod = deployments.get("jaeger")!.spec.template.spec;
            const data = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/badger");
            assert.ok(data && pod.volumes.some((v: { name: string; emptyDir?: object }) => v.name === data.name && v.emptyDir), "badger writes to an emptyDir");
        });

        it("wires the mesh to it since Istio 1.22: an extension provider and a Telemetry with the sampling rate", async () => {
            const lab = await evaluateConfig({ istio: { traceSampling: 25 } });
            const mesh = istiodMeshConfig(lab);
            assert.equal(mesh.enableTracing, true);
            assert.deepEqual(mesh.extensionProviders, [{ name: "zipkin", zipkin: { service: "zipkin.istio-system.svc.cluster.local", port: 9411 } }]);
            const telemetry = objectNamed(lab, "Telemetry", "mesh-default");
            assert.equal(telemetry.apiVersion, "telemetry.istio.io/v1");
            assert.equal(telemetry.metadata.namespace, SYSTEM, "the root namespace: mesh-wide");
            assert.deepEqual(telemetry.spec.tracing, [{ providers: [{ name: "zipkin" }], randomSamplingPercentage: 25 }]);
            // The provider points at a Service the lab declares, on a port it has.
            const [host, port] = [mesh.extensionProviders[0].zipkin.service.split(".")[0], mesh.extensionProviders[0].zipkin.port];
            assert.ok(objectNamed(lab, "Service", host).spec.ports.some((p: { port: number }) => p.port === port));
        });

        it("wires the mesh to it before Istio 1.22 through the proxies' Zipkin address, with no Telemetry", async () => {
            const lab = await evaluateConfig({ istio: { version: "1.20.8", traceSampling: 50 } });
            const mesh = istiodMeshConfig(lab);
            assert.equal(mesh.enableTracing, true);
            assert.deepEqual(mesh.defaultConfig.tracing, { sampling: 50, zipkin: { address: "zipkin.istio-system:9411" } });
            assert.equal(mesh.extensionProviders, undefined);
            assert.equal(objectsOfKind(lab, "Telemetry").size, 0);
            assert.equal(objectNamed(lab, "VirtualService", "frontend").apiVersion, "networking.istio.io/v1beta1", "Istio 1.20 serves v1beta1");
            assert.equal(chart(lab, "istiod").inputs.values.pilot.traceSampling, 50);
        });

        it("points nothing at a tracer when there is none", async () => {
            for (const version of ["1.30.3", "1.18.7"]) {
                const lab = await evaluateConfig({ istio: { version }, addons: { tracer: { kind: "none" } } });
                const mesh = istiodMeshConfig(lab);
                assert.deepEqual(
                    { enableTracing: mesh.enableTracing, providers: mesh.extensionProviders, defaultConfig: mesh.defaultConfig },
                    { enableTracing: false, providers: undefined, defaultConfig: undefined },
                );
                assert.equal(objectsOfKind(lab, "Telemetry").size, 0);
                assert.deepEqual(chart(lab, "kiali").inputs.values.external_services.tracing, { enabled: false });
                assert.ok(!JSON.stringify(lab.resources.map((r) => r.inputs)).includes("zipkin.istio-system"), version);
                // istio/istio 1.21.6 istio-discovery values.yaml: global.proxy.tracer defaults to zipkin, whose address
                // templates/configmap.yaml writes into every proxy's config; "none" writes none (the default from 1.22.0).
                assert.equal(chart(lab, "istiod").inputs.values.global.proxy.tracer, "none", version);
            }
        });
    });

    describe("wiring between the addons", () => {
        it("Grafana reads Prometheus at the Service the Prometheus chart creates", () => {
            const prometheus = chart(dev, "prometheus").inputs.values.server;
            const datasource = chart(dev, "grafana").inputs.values.datasources["datasources.yaml"].datasources[0];
            assert.equal(datasource.url, `http://${prometheus.fullnameOverride}:${prometheus.service.servicePort}`);
            assert.equal(datasource.isDefault, true);
        });

        it("Kiali reads Prometheus, links to Grafana with its admin account, and reads Jaeger's traces", async () => {
            const kiali = chart(dev, "kiali").inputs.values.external_services;
            assert.equal(kiali.prometheus.url, "http://prometheus.istio-system:9090");
            assert.equal(kiali.grafana.internal_url, "http://grafana.istio-system:3000");
            assert.equal(kiali.grafana.auth.password, "secret:grafana-admin:admin-password");
            assert.deepEqual(kiali.tracing, { enabled: false }, "Kiali cannot read Zipkin's API");
            const jaeger = chart(await evaluateConfig({ addons: { tracer: { kind: "jaeger" } } }), "kiali").inputs.values.external_services.tracing;
            assert.deepEqual(jaeger, {
                enabled: true,
                provider: "jaeger",
                use_grpc: true,
                internal_url: "http://tracing.istio-system:16685/jaeger",
                external_url: "http://localhost:16686/jaeger",
            });
            const kiali1 = chart(await evaluateConfig({ istio: { version: "1.20.8" }, addons: { tracer: { kind: "jaeger" } } }), "kiali").inputs.values
                .external_services;
            assert.equal(kiali1.tracing.in_cluster_url, "http://tracing.istio-system:16685/jaeger", "Kiali 1 spells it in_cluster_url");
            assert.equal(kiali1.grafana.in_cluster_url, "http://grafana.istio-system:3000");
        });

        it("Prometheus scrapes the mesh with Istio's standard setup: the server alone, proxies' metrics merged", () => {
            const values = chart(dev, "prometheus").inputs.values;
            for (const off of ["alertmanager", "prometheus-pushgateway", "kube-state-metrics", "prometheus-node-exporter"])
                assert.equal(values[off].enabled, false, off);
            assert.equal(values.server.global.scrape_interval, "15s");
            assert.equal(values.serverFiles, undefined, "the chart's kubernetes-pods job, which reads Istio's prometheus.io annotations, stays as is");
            assert.equal(istiodMeshConfig(dev).enablePrometheusMerge, true);
        });
    });

    describe("Grafana", () => {
        it("provisions Istio's mesh, service, workload and control plane dashboards for the Istio version", async () => {
            const titles: Record<string, string> = {
                "istio-mesh-dashboard.gen.json": "Istio Mesh Dashboard",
                "istio-service-dashboard.json": "Istio Service Dashboard",
                "istio-workload-dashboard.json": "Istio Workload Dashboard",
                "pilot-dashboard.gen.json": "Istio Control Plane Dashboard",
            };
            const fetched: string[] = [];
            const lab = await evaluateAlone(flattenConfig({}), "test", [], async (url) => {
                fetched.push(url);
                return JSON.stringify({ title: titles[url.split("/").pop()!] }, null, 2);
            });
            assert.deepEqual(
                fetched.sort(),
                Object.keys(titles)
                    .map((f) => `https://raw.githubusercontent.com/istio/istio/${DEFAULT_ISTIO_VERSION}/manifests/addons/dashboards/${f}`)
                    .sort(),
            );
            const data = objectNamed(lab, "ConfigMap", "istio-grafana-dashboards").data;
            assert.deepEqual(
                Object.values(data)
                    .map((json) => JSON.parse(json as string).title)
                    .sort(),
                Object.values(titles).sort(),
            );
            assert.ok(
                Object.values(data).every((json) => !(json as string).includes("\n")),
                "compacted",
            );
            assert.deepEqual(chart(lab, "grafana").inputs.values.dashboardsConfigMaps, { istio: "istio-grafana-dashboards" });
            const provider = chart(lab, "grafana").inputs.values.dashboardProviders["dashboardproviders.yaml"].providers[0];
            assert.equal(provider.options.path, "/var/lib/grafana/dashboards/istio");
        });

        it("downloads the file names older releases used", async () => {
            const fetched: string[] = [];
            await evaluateAlone(flattenConfig({ istio: { version: "1.20.8" } }), "test", [], async (url) => (fetched.push(url), "{}"));
            assert.ok(fetched.some((u) => u.endsWith("/1.20.8/manifests/addons/dashboards/istio-mesh-dashboard.json")));
            assert.ok(fetched.some((u) => u.endsWith("/pilot-dashboard.json")));
        });

        it("names the dashboard and the key to change when a download fails", async () => {
            const lab = evaluateAlone(flattenConfig({ addons: { grafana: { dashboardsUrl: "https://mirror.lab/istio/{version}" } } }), "test", [], async () => {
                throw new Error("ECONNREFUSED");
            });
            await assert.rejects(
                lab,
                new RegExp(
                    `could not download Istio's "Istio Mesh Dashboard" from https://mirror\\.lab/istio/${DEFAULT_ISTIO_VERSION.replace(/\./g, "\\.")}/istio-mesh-dashboard\\.gen\\.json \\(ECONNREFUSED\\); set boutique-mesh:addons\\.grafana\\.dashboardsUrl`,
                ),
            );
        });

        it("previews without the dashboards' host: unknown data and one warning, no failure", async () => {
            const lab = await evaluateAlone(
                flattenConfig({}),
                "test",
                [],
                async () => {
                    throw new Error("getaddrinfo ENOTFOUND raw.githubusercontent.com");
                },
                true,
            );
            const data = objectNamed(lab, "ConfigMap", "istio-grafana-dashboards").data;
            assert.equal(Object.keys(data).length, 4);
            for (const value of Object.values(data)) assert.ok(pulumi.isUnknown(value), "a value the deploy computes");
            const warnings: string[] = [];
            const sources = [
                { key: "a.json", title: "A", url: "https://example.invalid/a.json" },
                { key: "b.json", title: "B", url: "https://example.invalid/b.json" },
            ];
            const preview = dashboardData(sources, {
                preview: true,
                warn: (m) => void warnings.push(m),
                download: () => new Promise<string>(() => undefined),
                timeoutMs: 50,
            });
            for (const value of Object.values(preview))
                assert.equal(await pulumi.runtime.serializeProperty("data", value), UNKNOWN, "sent to the engine as unknown");
            assert.equal(warnings.length, 1, "one warning, not one per dashboard");
            assert.match(warnings[0], /could not download Istio's "[AB]" from https:\/\/example\.invalid\/[ab]\.json \(no answer within 0\.05s\)/);
            assert.match(warnings[0], /The preview shows Istio's dashboards as unknown; up downloads them and stops if it cannot/);
        });

        it("gives every download a deadline: an up stops with the URL, the wait and the key to change", async () => {
            const source = { key: "a.json", title: "Istio Mesh Dashboard", url: "https://mirror.lab/a.json" };
            await assert.rejects(
                dashboardJson(source, 50, () => new Promise<string>(() => undefined)),
                /could not download Istio's "Istio Mesh Dashboard" from https:\/\/mirror\.lab\/a\.json \(no answer within 0\.05s\); set boutique-mesh:addons\.grafana\.dashboardsUrl/,
            );
            assert.deepEqual(DOWNLOAD_TIMEOUT_MS, { preview: 10_000, up: 60_000 });
            const asked: (number | undefined)[] = [];
            await dashboardJson(source, 1234, async (_url, timeoutMs) => (asked.push(timeoutMs), "{}"));
            assert.deepEqual(asked, [1234], "the downloader is told the deadline, to abort its request");
        });

        it("lets anonymous visitors look but never administer", () => {
            const ini = chart(dev, "grafana").inputs.values["grafana.ini"];
            assert.deepEqual(ini["auth.anonymous"], { enabled: true, org_role: "Viewer" });
            assert.ok(!JSON.stringify(dev.resources.map((r) => r.inputs)).includes('"org_role":"Admin"'));
        });

        it("keeps the admin password a secret: generated, in a Secret only, exported only as a secret", () => {
            assert.ok(dev.secretOutputs.includes("grafanaAdminPassword"));
            const secret = dev.resources.find((r) => r.inputs.kind === "Secret" && r.inputs.metadata.name === "grafana-admin")!;
            assert.ok(secret.secretPaths.includes("stringData"), "Pulumi holds the Secret's data as a secret");
            assert.equal(secret.inputs.stringData["admin-password"], GENERATED_PASSWORD);
            const holders = dev.resources.filter(
                (r: DeclaredResource) =>
                    JSON.stringify(r.inputs).includes(GENERATED_PASSWORD) && r !== secret && r.type !== "random:index/randomPassword:RandomPassword",
            );
            assert.deepEqual(
                holders.map((r) => r.name),
                [],
                "no other resource carries the password",
            );
            const plainOutputs = Object.entries(dev.outputs).filter(([name]) => !dev.secretOutputs.includes(name));
            assert.ok(!JSON.stringify(plainOutputs).includes(GENERATED_PASSWORD), "no plain output shows it");
            assert.deepEqual(chart(dev, "grafana").inputs.values.admin, {
                existingSecret: "grafana-admin",
                userKey: "admin-user",
                passwordKey: "admin-password",
            });
        });

        it("takes a configured password only as a Pulumi secret", async () => {
            const addons = { grafana: { adminPassword: "correct-horse-battery" } };
            assert.throws(
                () => labConfigFrom(flattenConfig({ addons })),
                /boutique-mesh:addons\.grafana\.adminPassword is in plain text; set it with: pulumi config set --secret --path 'boutique-mesh:addons\.grafana\.adminPassword' <value>/,
            );
            const lab = await evaluateAlone(flattenConfig({ addons }), "test", ["boutique-mesh:addons"]);
            const secret = lab.resources.find((r) => r.inputs.kind === "Secret")!;
            assert.equal(secret.inputs.stringData["admin-password"], "correct-horse-battery");
            assert.ok(secret.secretPaths.includes("stringData"));
            assert.ok(!lab.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.includes("grafana")));
        });
        it("reads a stack file whose secrets are encrypted, as the lab's preflight does, without judging what it cannot decrypt", () => {
            const file = path.join(scratch("secrets-"), "Pulumi.dev.yaml");
            fs.writeFileSync(
                file,
                "config:\n  boutique-mesh:addons:\n    grafana:\n      adminPassword:\n        secure: v1:AAAA\n    kiali:\n      signingKey:\n        secure: v1:BBBB\n",
            );
            const config = loadStackFile(file);
            assert.equal(config.addons.kiali.signingKey, SECRET_PLACEHOLDER);
            assert.equal(config.addons.grafana.adminPassword, SECRET_PLACEHOLDER);
        });

        it("signs Kiali's sessions with a generated key, or a configured one taken only as a secret", async () => {
            const generated = resource(dev, "random:index/randomPassword:RandomPassword", "lab-addons-kiali-signing-key");
            assert.equal(generated.inputs.length, 32);
            const addons = { kiali: { signingKey: "k".repeat(32) } };
            assert.throws(() => labConfigFrom(flattenConfig({ addons })), /boutique-mesh:addons\.kiali\.signingKey is in plain text/);
            assert.throws(
                () => labConfigFrom(flattenConfig({ addons: { kiali: { signingKey: "short" } } }), ["boutique-mesh:addons"]),
                /boutique-mesh:addons\.kiali\.signingKey = "short": must be exactly 32 characters/,
            );
            const lab = await evaluateAlone(flattenConfig({ addons: { ...addons, grafana: { adminPassword: "correct-horse-battery" } } }), "test", [
                "boutique-mesh:addons",
            ]);
            // kiali/helm-charts templates/configmap.yaml copies login_token.signing_key into ConfigMap kiali: the
            // chart is given a reference to the Secret the key is in, which it mounts (v2.21.0 _helpers.tpl).
            assert.equal(chart(lab, "kiali").inputs.values.login_token.signing_key, "secret:kiali-signing-key:value.txt");
            const key = resource(lab, "kubernetes:core/v1:Secret", "lab-addons-kiali-signing-key-secret");
            assert.deepEqual(key.inputs.stringData, { "value.txt": "k".repeat(32) });
            assert.ok(key.secretPaths.includes("stringData"), "the key stays a secret in the state");
            assert.ok(!JSON.stringify(chart(lab, "kiali").inputs.values).includes("k".repeat(32)));
            assert.deepEqual(
                lab.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name),
                [],
                "with both secrets given, the lab needs no random provider",
            );
        });
    });

    describe("access", () => {
        it("keeps every dashboard ClusterIP and prints the port-forward command and local URL for each", () => {
            assert.deepEqual(dev.outputs.dashboards, {
                prometheus: { url: "http://localhost:9090/", portForward: "kubectl -n istio-system port-forward svc/prometheus 9090:9090" },
                grafana: { url: "http://localhost:3000/", portForward: "kubectl -n istio-system port-forward svc/grafana 3000:3000" },
                kiali: { url: "http://localhost:20001/kiali", portForward: "kubectl -n istio-system port-forward svc/kiali 20001:20001" },
                zipkin: { url: "http://localhost:9411/zipkin/", portForward: "kubectl -n istio-system port-forward svc/tracing 9411:80" },
            });
            assert.equal(chart(dev, "prometheus").inputs.values.server.service.type, "ClusterIP");
            assert.equal(chart(dev, "grafana").inputs.values.service.type, "ClusterIP");
            assert.equal(chart(dev, "kiali").inputs.values.deployment.service_type, undefined);
            assert.equal(objectNamed(dev, "Service", "tracing").spec.type, "ClusterIP");
        });

        it("advertises each dashboard where its addon is configured to serve it: the Service, its port, and the addon's base path", async () => {
            /** Where each addon serves, read from what the lab configures it with, never from ADDON_SERVICES. */
            const served = (lab: Evaluation) => {
                const values = (release: string) => chart(lab, release).inputs.values;
                const tracer = lab.resources.find((r) => r.inputs.kind === "Deployment" && ["zipkin", "jaeger"].includes(r.inputs.metadata.name));
                const tracing = objectNamed(lab, "Service", "tracing").spec.ports.find((p: { name: string }) => p.name === "http-query");
                const env = Object.fromEntries(
                    (tracer?.inputs.spec.template.spec.containers[0].env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]),
                );
                return {
                    // prometheus-community/helm-charts prometheus-28.13.0: the server's Service is its fullname on server.service.servicePort.
                    prometheus: { service: values("prometheus").server.fullnameOverride, port: values("prometheus").server.service.servicePort, path: "/" },
                    // grafana/helm-charts grafana-9.2.2 templates/service.yaml: the release's name on service.port; no root_url set.
                    grafana: {
                        service: "grafana",
                        port: values("grafana").service.port,
                        path: "/",
                        rootUrl: values("grafana")["grafana.ini"].server?.root_url,
                    },
                    // kiali/helm-charts v2.27.0 templates/_helpers.tpl kiali-server.server.web_root: "/kiali" unless set (and not OpenShift).
                    kiali: { service: "kiali", port: values("kiali").server.port, path: values("kiali").server.web_root ?? "/kiali" },
                    // openzipkin/zipkin 3.4.0 zipkin-server-shared.yml: the UI's base-path is /zipkin; Jaeger's is QUERY_BASE_PATH.
                    tracer: { service: "tracing", port: tracing.port, path: tracer?.inputs.metadata.name === "zipkin" ? "/zipkin/" : env.QUERY_BASE_PATH },
                };
            };
            const jaeger = await evaluateConfig({ addons: { tracer: { kind: "jaeger" } } });
            for (const [lab, tracerKind] of [
                [dev, "zipkin"],
                [jaeger, "jaeger"],
            ] as const) {
                const want = served(lab);
                const dashboards = lab.outputs.dashboards as Record<string, { url: string; portForward: string }>;
                for (const addon of ["prometheus", "grafana", "kiali", tracerKind] as const) {
                    const { service, port, path } = addon === tracerKind ? want.tracer : want[addon as "prometheus" | "grafana" | "kiali"];
                    const forward = /port-forward svc\/(\S+) (\d+):(\d+)$/.exec(dashboards[addon].portForward)!;
                    const url = new URL(dashboards[addon].url);
                    assert.deepEqual([forward[1], Number(forward[3])], [service, port], `${addon}: the port-forward reaches the Service and port it serves on`);
                    assert.equal(url.port, forward[2], `${addon}: the URL is where the port-forward listens`);
                    assert.equal(url.pathname, path, `${addon}: the URL's path is the addon's base path`);
                }
                assert.equal(want.grafana.rootUrl, undefined, "Grafana serves at / only without a root_url of its own");
            }
        });

        it("opens NodePorts only where asked, on the configured ports", async () => {
            const lab = await evaluateConfig({
                addons: {
                    prometheus: { nodePort: 30090 },
                    grafana: { nodePort: 30300 },
                    kiali: { nodePort: 30201 },
                    tracer: { kind: "zipkin", nodePort: 30411 },
                },
            });
            assert.deepEqual(chart(lab, "prometheus").inputs.values.server.service, {
                servicePort: 9090,
                type: "NodePort",
                nodePort: 30090,
                annotations: { "boutique-mesh.io/exposure": "config" },
            });
            assert.equal(chart(lab, "grafana").inputs.values.service.nodePort, 30300);
            assert.equal(chart(lab, "kiali").inputs.values.deployment.service_type, "NodePort");
            assert.equal(chart(lab, "kiali").inputs.values.server.node_port, 30201);
            assert.equal(objectNamed(lab, "Service", "tracing").spec.ports[0].nodePort, 30411);
            assert.equal((lab.outputs.dashboards as Record<string, { nodePort?: number }>).grafana.nodePort, 30300);
        });

        it("rejects two addons on one node port, and Grafana or Kiali without Prometheus", () => {
            const problems = (input: LabConfigInput) => configProblems(input).join("\n");
            assert.match(
                problems({ addons: { grafana: { nodePort: 30080 } } }),
                /boutique-mesh:addons\.grafana\.nodePort = 30080: node port 30080 is already taken by boutique-mesh:istio\.ingress\.httpNodePort/,
            );
            // Between addons: the later key is the one named, the first keeps the port.
            assert.equal(
                problems({ addons: { prometheus: { nodePort: 30100 }, kiali: { nodePort: 30100 } } }),
                "boutique-mesh:addons.kiali.nodePort = 30100: node port 30100 is already taken by boutique-mesh:addons.prometheus.nodePort",
            );
            assert.equal(
                problems({ addons: { grafana: { nodePort: 30200 }, tracer: { nodePort: 30200 } } }),
                "boutique-mesh:addons.tracer.nodePort = 30200: node port 30200 is already taken by boutique-mesh:addons.grafana.nodePort",
            );
            assert.equal(problems({ addons: { grafana: { nodePort: 30300 }, kiali: { nodePort: 30300 }, tracer: { nodePort: 30300 } } }).split("\n").length, 2);
            // A port is free again when what held it is off, or is not a NodePort.
            for (const free of [
                { addons: { grafana: { enabled: false, nodePort: 30400 }, kiali: { nodePort: 30400 } } },
                { addons: { tracer: { kind: "none" as const, nodePort: 30401 }, prometheus: { nodePort: 30401 } } },
                { istio: { ingress: { type: "ClusterIP" as const } }, addons: { prometheus: { nodePort: 30080 } } },
                { addons: { prometheus: { enabled: false, nodePort: 30402 }, grafana: { enabled: false }, kiali: { enabled: false, nodePort: 30402 } } },
            ]) {
                assert.equal(problems(free), "", JSON.stringify(free));
            }
            for (const addon of ["grafana", "kiali"]) {
                const other = addon === "grafana" ? "kiali" : "grafana";
                assert.equal(
                    problems({ addons: { prometheus: { enabled: false }, [other]: { enabled: false } } }),
                    `boutique-mesh:addons.${addon}.enabled = true (the default): needs boutique-mesh:addons.prometheus.enabled (${addon} reads the mesh's metrics from Prometheus)`,
                );
            }
            assert.equal(problems({ addons: { prometheus: { enabled: false }, grafana: { enabled: false }, kiali: { enabled: false } } }), "");
            assert.match(
                problems({ addons: { tracer: { kind: "skywalking" as never } } }),
                /boutique-mesh:addons\.tracer\.kind = "skywalking" is not allowed; allowed: "zipkin" \| "jaeger" \| "none"/,
            );
        });
    });

    describe("images and charts through the mirrors", () => {
        it("rewrites every addon image and takes the charts from the configured repositories", async () => {
            const mirrors = { "docker.io": "m.lab/hub", "quay.io": "m.lab/quay", "ghcr.io": "m.lab/ghcr" };
            const lab = await evaluateConfig({
                images: { mirrors },
                addons: { chartRepositories: { prometheus: "oci://m.lab/charts", grafana: "https://m.lab/grafana", kiali: "https://m.lab/kiali" } },
            });
            const values = (release: string) => chart(lab, release).inputs.values;
            assert.deepEqual(values("prometheus").server.image, { repository: "m.lab/hub/prom/prometheus", tag: "v3.10.0" });
            assert.deepEqual(values("prometheus").configmapReload.prometheus.image, {
                repository: "m.lab/ghcr/prometheus-operator/prometheus-config-reloader",
                tag: "v0.89.0",
            });
            assert.deepEqual(values("grafana").image, { registry: "m.lab", repository: "hub/grafana/grafana", tag: "12.0.1" });
            assert.equal(values("kiali").deployment.image_name, "m.lab/quay/kiali/kiali");
            assert.equal(objectNamed(lab, "Deployment", "zipkin").spec.template.spec.containers[0].image, "m.lab/hub/openzipkin/zipkin-slim:3.4.0");
            assert.equal(chart(lab, "prometheus").inputs.chart, "oci://m.lab/charts/prometheus");
            assert.deepEqual(chart(lab, "grafana").inputs.repositoryOpts, { repo: "https://m.lab/grafana" });
            for (const image of lab.outputs.images as string[]) {
                assert.ok(image.startsWith("m.lab/") || image.startsWith("us-central1-docker.pkg.dev/"), `${image} goes through a mirror`);
                assert.ok(isPinned(image), `${image} is pinned`);
            }
        });

        it("keeps Grafana's image in one path for charts before 6.61", async () => {
            const lab = await evaluateConfig({ istio: { version: "1.17.8" }, images: { mirrors: { "docker.io": "m.lab/hub" } } });
            assert.deepEqual(chart(lab, "grafana").inputs.values.image, { repository: "m.lab/hub/grafana/grafana", tag: "9.0.1" });
        });
    });

    it("waits for istio-system only (and the Telemetry for istiod), so it installs beside the shop", () => {
        const namespace = dev.resources.find((r) => r.inputs.kind === "Namespace" && r.inputs.metadata.name === SYSTEM)!.name;
        const addonResources = dev.resources.filter((r) => r.parent === "lab-addons" && r.type.startsWith("kubernetes:"));
        assert.ok(addonResources.length >= 9);
        for (const r of addonResources) {
            const allowed = new Set([
                namespace,
                "lab-addons-grafana-admin",
                "lab-addons-grafana-dashboards",
                "lab-addons-kiali-signing-key-secret",
                ...(r.inputs.kind === "Telemetry" ? [chart(dev, "istiod").name] : []),
            ]);
            assert.ok(r.dependsOn.length > 0 && r.dependsOn.every((d) => allowed.has(d)), `${r.name} waits for ${r.dependsOn.join(", ")}`);
        }
    });
});
