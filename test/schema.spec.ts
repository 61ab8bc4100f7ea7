import { strict as assert } from "assert";
import { ConfigError, SECRET_PLACEHOLDER, parseLabConfig } from "../config/schema";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { configProblems } from "./support/config";

/** Fails unless the config is rejected with exactly this one problem. */
function rejectsWith(input: unknown, problem: string) {
    assert.deepEqual(configProblems(input), [problem], JSON.stringify(input));
}

function accepts(input: unknown) {
    assert.deepEqual(configProblems(input), [], JSON.stringify(input));
}

/** `{ a: { b: value } }` for the path "a.b". */
const at = (path: string, value: unknown): Record<string, unknown> =>
    path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;

describe("config schema: each rule at its edges, with its exact message", () => {
    it("numbers: the lowest and highest value allowed pass, one beyond each is refused with the range", () => {
        const ranges: [string, number, number, string][] = [
            ["addons.prometheus.nodePort", 30000, 32767, "must be a node port from 30000 to 32767"],
            ["cluster.kind.hostPort", 1, 65535, "must be a TCP port from 1 to 65535"],
            ["istio.traceSampling", 0, 100, "must be a percentage from 0 to 100"],
            ["boutique.loadGenerator.users", 1, 1000, "must be a whole number from 1 to 1000"],
            ["boutique.loadGenerator.rate", 1, 100, "must be a whole number from 1 to 100"],
        ];
        for (const [path, lowest, highest, message] of ranges) {
            for (const ok of [lowest, highest]) accepts(at(path, ok));
            for (const bad of [lowest - 1, highest + 1]) rejectsWith(at(path, bad), `boutique-mesh:${path} = ${bad}: ${message}`);
        }
        accepts({ istio: { ingress: { type: "NodePort", httpNodePort: 32767 } } });
        rejectsWith(
            { istio: { ingress: { type: "NodePort", httpNodePort: 32768 } } },
            "boutique-mesh:istio.ingress.httpNodePort = 32768: must be a node port from 30000 to 32767",
        );
    });

    it("names and labels: one character and 63 pass, 64 and a leading '-' are refused", () => {
        const names: [string, string, string][] = [
            [
                "boutique.namespace",
                "a DNS-1123 label",
                "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
            ],
            [
                "cluster.kind.name",
                "a DNS-1123 label",
                "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
            ],
            [
                "boutique.frontendV1.version",
                "a Kubernetes label value",
                "must be a Kubernetes label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            ],
        ];
        for (const [path, kind, pattern] of names) {
            for (const ok of ["a", "a-1", "b".repeat(63)]) accepts(at(path, ok));
            rejectsWith(at(path, "c".repeat(64)), `boutique-mesh:${path} = "${"c".repeat(64)}": must be at most 63 characters (${kind})`);
            rejectsWith(at(path, "-a"), `boutique-mesh:${path} = "-a": ${pattern}`);
            rejectsWith(at(path, "a-"), `boutique-mesh:${path} = "a-": ${pattern}`);
        }
        accepts(at("boutique.frontendV1.version", "V1.2_3"));
        rejectsWith(at("boutique.namespace", "Shop"), `boutique-mesh:boutique.namespace = "Shop": ${names[0][2]}`);
        rejectsWith(
            at("boutique.frontendV1.version", "original"),
            `boutique-mesh:boutique.frontendV1.version = "original": must differ from "original", the label of the release's own frontend`,
        );
        for (const ok of ["cluster.local", "c", "x.y", "lab-1.example.org"]) accepts(at("cluster.domain", ok));
        rejectsWith(at("cluster.domain", "lab..local"), `boutique-mesh:cluster.domain = "lab..local": must be a DNS domain such as cluster.local`);
    });

    it("images: a tag or a digest is required, a scheme refused", () => {
        const digest = `@sha256:${"0a".repeat(32)}`;
        for (const ok of ["fe:1", "registry.example:5000/team/fe:v1.0.0-rc_1", `gcr.io/team/fe${digest}`, `gcr.io/team/fe:1.0${digest}`]) {
            accepts(at("boutique.frontendV1.image", ok));
        }
        rejectsWith(
            at("boutique.frontendV1.image", "gcr.io/team/fe"),
            'boutique-mesh:boutique.frontendV1.image = "gcr.io/team/fe": must name a tag or a digest (a moving default tag is not reproducible)',
        );
        rejectsWith(
            at("boutique.frontendV1.image", "localhost:5000/team/fe"),
            'boutique-mesh:boutique.frontendV1.image = "localhost:5000/team/fe": must name a tag or a digest (a moving default tag is not reproducible)',
        );
        rejectsWith(
            at("boutique.frontendV1.image", "https://gcr.io/team/fe:1"),
            'boutique-mesh:boutique.frontendV1.image = "https://gcr.io/team/fe:1": must be an image reference such as registry.example.com/team/frontend:1.2.3 or ...@sha256:<digest>',
        );
        for (const ok of ["docker.io/istio", "mirror.local:5000/istio-testing", "istio"]) accepts(at("istio.hub", ok));
        rejectsWith(
            at("istio.hub", "docker.io/istio/"),
            'boutique-mesh:istio.hub = "docker.io/istio/": must be an image repository prefix such as docker.io/istio',
        );
        accepts({ images: { mirrors: { "localhost:5000": "mirror.local:5000/a/b_c.d-e" } } });
    });

    it("URLs: an http(s) or oci repository without a trailing '/', a dashboards URL without one", () => {
        for (const ok of ["http://charts.example", "https://charts.example/istio", "oci://registry.example/charts"]) {
            accepts(at("addons.chartRepositories.kiali", ok));
            accepts(at("istio.chartRepository", ok));
        }
        const repository = "must be an http(s):// Helm repository URL or an oci:// registry path, without a trailing '/'";
        for (const bad of ["oci://registry.example/charts/", "ftp://charts.example", "git+https://charts.example", "https://charts example"]) {
            rejectsWith(at("addons.chartRepositories.prometheus", bad), `boutique-mesh:addons.chartRepositories.prometheus = "${bad}": ${repository}`);
        }
        accepts(at("addons.grafana.dashboardsUrl", "http://mirror.local/dashboards/{version}"));
        for (const bad of ["https://mirror.local/", "oci://mirror.local/dashboards", "git+https://mirror.local/dashboards"]) {
            rejectsWith(
                at("addons.grafana.dashboardsUrl", bad),
                `boutique-mesh:addons.grafana.dashboardsUrl = "${bad}": must be an http(s) URL without a trailing '/'`,
            );
        }
    });

    it("secrets and credentials: checked where readable, taken as they are where encrypted", () => {
        accepts(at("addons.grafana.adminPassword", "x".repeat(12)));
        accepts(at("addons.grafana.adminPassword", SECRET_PLACEHOLDER));
        rejectsWith(
            at("addons.grafana.adminPassword", "x".repeat(11)),
            `boutique-mesh:addons.grafana.adminPassword = "${"x".repeat(11)}": must be at least 12 characters`,
        );
        accepts(at("addons.kiali.signingKey", "k".repeat(32)));
        accepts(at("addons.kiali.signingKey", SECRET_PLACEHOLDER));
        for (const bad of ["k".repeat(31), "k".repeat(33)]) {
            rejectsWith(
                at("addons.kiali.signingKey", bad),
                `boutique-mesh:addons.kiali.signingKey = "${bad}": must be exactly 32 characters (the length of the key the lab generates)`,
            );
        }
        accepts({ images: { copy: { credentials: { "gcr.io": "robot:pa:ss" } } } });
        for (const bad of ["robot", "robot:", ":secret", "ro bot:secret", "robot:se cret"]) {
            rejectsWith(
                { images: { copy: { credentials: { "gcr.io": bad } } } },
                `boutique-mesh:images.copy.credentials["gcr.io"] = ${JSON.stringify(bad)}: must be user:password`,
            );
        }
        rejectsWith(at("cluster.kubeconfig", ""), 'boutique-mesh:cluster.kubeconfig = "": must be a path to a kubeconfig file');
        rejectsWith(at("cluster.context", ""), 'boutique-mesh:cluster.context = "": must name a kubeconfig context');
    });

    it("Istio versions: X.Y.Z with numbers of any length, nothing before or after", () => {
        accepts({ istio: { version: "10.0.0", allowUnverifiedVersion: true } });
        for (const bad of ["v1.30.3", "1.30.3-rc.0", "1.30"]) {
            rejectsWith(at("istio.version", bad), `boutique-mesh:istio.version = "${bad}": must be an Istio release such as ${DEFAULT_ISTIO_VERSION} (X.Y.Z)`);
        }
    });

    it("Istio versions the lab has not read: refused unless the stack opts in, naming the release whose facts it would use", () => {
        rejectsWith(
            at("istio.version", "10.0.0"),
            'boutique-mesh:istio.version = "10.0.0": is not verified by the lab: the lab knows no Istio 10.0 (the newest release it has read is 1.31.1). Use 1.31.1, or set boutique-mesh:istio.allowUnverifiedVersion: true to install 10.0.0 with the facts of 1.31.1',
        );
        rejectsWith(
            at("istio.version", "1.31.2"),
            'boutique-mesh:istio.version = "1.31.2": is not verified by the lab: the newest 1.31 release the lab has read is 1.31.1. Use 1.31.1, or set boutique-mesh:istio.allowUnverifiedVersion: true to install 1.31.2 with the facts of 1.31.1',
        );
        // A typo of a release is caught the same way, before anything is deployed.
        assert.equal(configProblems(at("istio.version", "1.303.0")).length, 1);
        accepts(at("istio.version", "1.31.1"));
        accepts({ istio: { version: "1.31.2", allowUnverifiedVersion: true } });
        rejectsWith({ istio: { allowUnverifiedVersion: "yes" } }, 'boutique-mesh:istio.allowUnverifiedVersion = "yes" (string): expected a boolean');
    });

    it("Istio's chart repository: any http(s) or oci:// address but the one Istio emptied", () => {
        for (const home of ["https://blob.istio.io/istio-release/charts", "oci://ghcr.io/istio/release/charts", "http://127.0.0.1:8080/istio"]) {
            accepts(at("istio.chartRepository", home));
        }
        for (const retired of ["https://istio-release.storage.googleapis.com/charts", "http://istio-release.storage.googleapis.com/charts/x"]) {
            rejectsWith(
                at("istio.chartRepository", retired),
                `boutique-mesh:istio.chartRepository = "${retired}": is Istio's retired chart repository, emptied in December 2026 (istio.io, blog/2026/retirement-of-gcp); Istio's charts are now at https://blob.istio.io/istio-release/charts (Helm) or oci://ghcr.io/istio/release/charts (OCI)`,
            );
        }
    });

    it("the error lists one problem per line, unknown keys of one object together, and a config that is no object", () => {
        assert.throws(
            () => parseLabConfig({ bogus: 1, other: 2, boutique: { namespace: "A" } }),
            (error) => {
                assert.ok(error instanceof ConfigError);
                assert.equal(error.name, "ConfigError", "how Node and Pulumi title the error");
                assert.equal(
                    error.message,
                    [
                        "invalid configuration:",
                        `  - boutique-mesh:boutique.namespace = "A": must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`,
                        "  - boutique-mesh:bogus, boutique-mesh:other: unknown key; allowed under boutique-mesh:: scenario, traffic, shops, shopDomain, cluster, images, istio, boutique, addons",
                    ].join("\n"),
                );
                return true;
            },
        );
        rejectsWith(["scenario"], 'boutique-mesh: = ["scenario"] (array): expected an object');
    });

    it("a missing union tag is shown as nothing, not as undefined", () => {
        rejectsWith(
            { istio: { ingress: { httpNodePort: 30000 } } },
            'boutique-mesh:istio.ingress.type = nothing is not allowed; allowed: "NodePort" | "LoadBalancer" | "ClusterIP"',
        );
    });

    it("rules across keys name the key, its value or its default, and the reason", () => {
        rejectsWith(
            { cluster: { kind: { enabled: true }, context: "kind-lab" } },
            'boutique-mesh:cluster.context = "kind-lab": cannot be set with cluster.kind.enabled: kind creates the cluster and its kubeconfig',
        );
        rejectsWith(
            { cluster: { kind: { enabled: true } }, istio: { ingress: { type: "ClusterIP" } } },
            'boutique-mesh:istio.ingress.type = "ClusterIP": must be NodePort with cluster.kind.enabled: kind reaches the ingress through its node port',
        );
        accepts({ cluster: { kind: { enabled: false }, context: "kind-lab" }, istio: { ingress: { type: "ClusterIP" } } });
        rejectsWith(
            { images: { copy: { enabled: true } } },
            "boutique-mesh:images.copy.enabled = true: needs boutique-mesh:images.mirrors: there is no mirror to copy into",
        );
        accepts({ images: { copy: { enabled: true }, mirrors: { "gcr.io": "mirror.local/gcr" } } });
        assert.deepEqual(configProblems({ addons: { prometheus: { enabled: false } } }), [
            "boutique-mesh:addons.grafana.enabled = true (the default): needs boutique-mesh:addons.prometheus.enabled (grafana reads the mesh's metrics from Prometheus)",
            "boutique-mesh:addons.kiali.enabled = true (the default): needs boutique-mesh:addons.prometheus.enabled (kiali reads the mesh's metrics from Prometheus)",
        ]);
        accepts({ addons: { prometheus: { enabled: false }, grafana: { enabled: false }, kiali: { enabled: false } } });
    });

    it("node ports: a port taken twice is refused at its second key; disabled addons and other ingress types take none", () => {
        rejectsWith(
            { addons: { kiali: { nodePort: 30080 } } },
            "boutique-mesh:addons.kiali.nodePort = 30080: node port 30080 is already taken by boutique-mesh:istio.ingress.httpNodePort",
        );
        rejectsWith(
            { addons: { prometheus: { nodePort: 30090 }, tracer: { nodePort: 30090 } } },
            "boutique-mesh:addons.tracer.nodePort = 30090: node port 30090 is already taken by boutique-mesh:addons.prometheus.nodePort",
        );
        const port = 30080;
        accepts({ istio: { ingress: { type: "LoadBalancer" } }, addons: { grafana: { nodePort: port } } });
        accepts({ addons: { prometheus: { enabled: false, nodePort: port }, grafana: { enabled: false }, kiali: { enabled: false } } });
        accepts({ addons: { grafana: { enabled: false, nodePort: port } } });
        accepts({ addons: { kiali: { enabled: false, nodePort: port } } });
        accepts({ addons: { tracer: { kind: "none", nodePort: port } } });
        accepts({ addons: { grafana: { nodePort: 30001 }, kiali: { nodePort: 30002 }, tracer: { nodePort: 30003 }, prometheus: { nodePort: 30004 } } });
    });
});
