import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { parseLabConfig } from "../config/schema";
import { labConfigFrom, loadStackFile } from "../config/stack";
import { stackFile, shippedStacks } from "../config/project";
import { configProblems, rejects } from "./support/config";

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("config: one schema, parsed once", () => {
    it("fills every default for an empty stack", () => {
        const config = parseLabConfig({});
        assert.equal(config.scenario, "baseline");
        assert.equal(config.boutique.namespace, "online-boutique");
        assert.equal(config.boutique.release, "v0.10.6");
        assert.deepEqual(config.boutique.loadGenerator, { enabled: true, users: 10, rate: 1 });
        assert.equal(config.boutique.frontendExternal, false);
        assert.equal(config.istio.version, DEFAULT_ISTIO_VERSION);
        assert.equal(config.istio.allowUnverifiedVersion, false);
        assert.equal(config.istio.chartRepository, "https://blob.istio.io/istio-release/charts");
        assert.equal(config.istio.hub, "docker.io/istio");
        assert.equal(config.istio.egressGateway, true);
        assert.equal(config.istio.traceSampling, 100);
        assert.deepEqual(config.istio.ingress, { type: "NodePort", httpNodePort: 30080 });
        assert.deepEqual(config.images.mirrors, {});
        assert.deepEqual(config.cluster, { domain: "cluster.local", kind: { enabled: false, hostPort: 8080 } });
        assert.deepEqual(config.images.copy, { enabled: false, tlsVerify: true });
    });

    it("fills defaults inside a partly written object", () => {
        const config = parseLabConfig({ istio: { ingress: { type: "LoadBalancer" } }, boutique: { loadGenerator: { users: 50 } } });
        assert.deepEqual(config.istio.ingress, { type: "LoadBalancer", awaitAddress: false });
        assert.equal(config.istio.version, DEFAULT_ISTIO_VERSION);
        assert.deepEqual(config.boutique.loadGenerator, { enabled: true, users: 50, rate: 1 });
    });

    describe("rejects bad input naming the key, the value and what is allowed", () => {
        it("an unknown key at every level of the config, naming the level and a key it allows", () => {
            // Every object of the config, as docs/configuration.md lists it, with one key it does have.
            const levels: [string[], string, Record<string, unknown>?][] = [
                [[], "scenario"],
                [["traffic"], "frontend"],
                [["traffic", "frontend"], "original"],
                [["traffic", "services", "frontend"], "timeout"],
                [["traffic", "services", "productcatalogservice", "delay"], "fixedDelay"],
                [["traffic", "services", "productcatalogservice", "abort"], "httpStatus"],
                [["traffic", "services", "productcatalogservice", "retries"], "perTryTimeout"],
                [["cluster"], "context"],
                [["cluster", "kind"], "hostPort"],
                [["images"], "mirrors"],
                [["images", "copy"], "tlsVerify"],
                [["istio"], "version"],
                [["istio", "ingress"], "httpNodePort", { type: "NodePort" }],
                [["istio", "ingress"], "awaitAddress", { type: "LoadBalancer" }],
                [["boutique"], "namespace"],
                [["boutique", "loadGenerator"], "users"],
                [["addons"], "tracer"],
                [["addons", "prometheus"], "nodePort"],
                [["addons", "grafana"], "anonymousViewer"],
                [["addons", "kiali"], "auth"],
                [["addons", "tracer"], "kind"],
                [["addons", "chartRepositories"], "grafana"],
            ];
            for (const [path, allowed, beside] of levels) {
                const input = path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), { ...beside, bogus: 1 });
                const key = path.length === 0 ? "boutique-mesh:" : `boutique-mesh:${path.join(".")}`;
                const prefix = path.length === 0 ? "boutique-mesh:" : `${key}.`;
                rejects(input, new RegExp(`^${escape(prefix)}bogus: unknown key; allowed under ${escape(key)}: (.+, )?${allowed}(, |$)`));
            }
            rejects(
                { bogus: 1 },
                /^boutique-mesh:bogus: unknown key; allowed under boutique-mesh:: scenario, traffic, shops, shopDomain, cluster, images, istio, boutique, addons$/,
            );
            rejects({ istio: { verison: "1.30.3" } }, /^boutique-mesh:istio\.verison: unknown key; allowed under boutique-mesh:istio: version, .*ingress/);
            rejects(
                { istio: { ingress: { type: "ClusterIP", httpNodePort: 30080 } } },
                /boutique-mesh:istio\.ingress\.httpNodePort: unknown key; allowed under boutique-mesh:istio\.ingress: type$/,
            );
            rejects({ boutique: { loadGenerator: { user: 5 } } }, /boutique-mesh:boutique\.loadGenerator\.user: unknown key; allowed .*: enabled, users, rate/);
        });

        it("wrong types", () => {
            rejects({ boutique: { loadGenerator: { users: "5" } } }, /boutique-mesh:boutique\.loadGenerator\.users = "5" \(string\): expected a number/);
            rejects({ istio: { egressGateway: "yes" } }, /boutique-mesh:istio\.egressGateway = "yes" \(string\): expected a boolean/);
            rejects({ boutique: [] }, /boutique-mesh:boutique = \[\] \(array\): expected an object/);
            rejects({ istio: "1.30.3" }, /boutique-mesh:istio = "1.30.3" \(string\): expected an object/);
        });

        it("bad names and versions", () => {
            rejects({ boutique: { namespace: "Online_Boutique" } }, /boutique-mesh:boutique\.namespace = "Online_Boutique": must be a DNS-1123 label/);
            rejects({ boutique: { namespace: "a".repeat(64) } }, /boutique-mesh:boutique\.namespace = "a+": must be at most 63 characters/);
            rejects({ boutique: { release: "v0.4.0" } }, /boutique-mesh:boutique\.release = "v0.4.0" is not allowed; allowed: "v0.10.6"/);
            rejects({ istio: { version: "1.30" } }, /boutique-mesh:istio\.version = "1.30": must be an Istio release such as \d+\.\d+\.\d+ \(X\.Y\.Z\)/);
            rejects({ istio: { version: "1.13.9" } }, /boutique-mesh:istio\.version = "1.13.9": must be 1.14.0 or newer/);
        });

        it("Istio releases whose gateway chart Helm rejects, naming the nearest releases that install", () => {
            // istio/istio manifests/charts/gateway/values.schema.json: additionalProperties false beside a root $ref
            // from 1.21.0, fixed in 1.25.5, 1.26.4 and 1.27.1 (tags read one by one; 1.20.8 has root properties instead).
            const broken: [string, string][] = [
                ["1.21.0", "1.25.5 or 1.20.8"],
                ["1.22.8", "1.25.5 or 1.20.8"],
                ["1.24.6", "1.25.5 or 1.20.8"],
                ["1.25.4", "1.25.5"],
                ["1.26.0", "1.26.4"],
                ["1.26.3", "1.26.4"],
                ["1.27.0", "1.27.1"],
            ];
            for (const [version, nearest] of broken) {
                rejects(
                    { istio: { version } },
                    new RegExp(
                        `boutique-mesh:istio\\.version = "${version.replace(/\./g, "\\.")}": cannot be installed: its gateway chart fails Helm's schema validation .*; use ${nearest}$`,
                    ),
                );
            }
            for (const version of ["1.14.0", "1.20.8", "1.25.5", "1.26.4", "1.27.1", "1.28.5", "1.30.3"]) parseLabConfig({ istio: { version } });
            rejects(
                { scenario: "canary-typo" },
                /boutique-mesh:scenario = "canary-typo" is not allowed; allowed: "baseline" \| "canary" \| "fault-delay" \| "fault-abort" \| "timeout" \| "retry"$/,
            );
            rejects({ cluster: { domain: "Cluster.Local." } }, /boutique-mesh:cluster\.domain = "Cluster.Local.": must be a DNS domain/);
            rejects(
                { istio: { chartRepository: "blob.istio.io/istio-release/charts" } },
                /boutique-mesh:istio\.chartRepository = .*: must be an http\(s\):\/\/ Helm repository URL or an oci:\/\//,
            );
        });

        it("bad mirror entries", () => {
            rejects(
                { images: { mirrors: { "https://gcr.io": "m.example" } } },
                /boutique-mesh:images\.mirrors: key "https:\/\/gcr.io" must be a registry host/,
            );
            rejects({ images: { mirrors: { "gcr.io/google-samples": "m.example" } } }, /key "gcr.io\/google-samples" must be a registry host .*no path/);
            rejects(
                { images: { mirrors: { "gcr.io": "https://m.example" } } },
                /boutique-mesh:images\.mirrors\["gcr.io"\] = "https:\/\/m.example": must be a registry host with an optional path/,
            );
            rejects({ images: { mirrors: { "gcr.io": "m.example/gcr/" } } }, /no trailing '\/'/);
            rejects({ images: { mirrors: { "gcr.io": "m.example/gcr:v1" } } }, /mirrors\["gcr.io"\] = "m.example\/gcr:v1"/);
            rejects({ images: { mirrors: { "gcr.io": 5 } } }, /mirrors\["gcr.io"\] = 5 \(number\): expected a string/);
        });

        it("out-of-range numbers and unknown union members", () => {
            rejects({ istio: { ingress: { type: "NodePort", httpNodePort: 8080 } } }, /httpNodePort = 8080: must be a node port from 30000 to 32767/);
            rejects(
                { istio: { ingress: { type: "LB" } } },
                /boutique-mesh:istio\.ingress\.type = "LB" is not allowed; allowed: "NodePort" \| "LoadBalancer" \| "ClusterIP"/,
            );
            rejects({ istio: { traceSampling: 101 } }, /traceSampling = 101: must be a percentage from 0 to 100/);
            rejects({ boutique: { loadGenerator: { users: 0 } } }, /users = 0: must be a whole number from 1 to 1000/);
            rejects({ boutique: { loadGenerator: { users: 2.5 } } }, /users = 2.5/);
        });

        it("reports every bad key at once, not just the first", () => {
            assert.equal(configProblems({ bogus: 1, istio: { version: "x" }, boutique: { namespace: "A" } }).length, 3);
        });
    });

    describe("from Pulumi's flat config", () => {
        it("reads structured values as JSON and scalars as text, ignoring other projects' keys", () => {
            const config = labConfigFrom({
                "boutique-mesh:scenario": "baseline",
                "boutique-mesh:istio": '{"version":"1.29.2"}',
                "aws:region": "eu-west-1",
            });
            assert.equal(config.istio.version, "1.29.2");
        });

        it("rejects kubernetes:* provider keys, which the explicit provider would silently ignore", () => {
            assert.throws(
                () => labConfigFrom({ "kubernetes:context": "kind-lab" }),
                /kubernetes:context is not used .*; set boutique-mesh:cluster\.context instead/,
            );
        });

        it("rejects a structured value that is not JSON", () => {
            assert.throws(() => labConfigFrom({ "boutique-mesh:istio": "{version: 1" }), /boutique-mesh:istio = "\{version: 1": not valid JSON/);
        });

        it("accepts every shipped Pulumi.<stack>.yaml as it is", () => {
            assert.ok(shippedStacks().includes("dev"));
            for (const stack of shippedStacks()) loadStackFile(stackFile(stack));
        });
    });
});
