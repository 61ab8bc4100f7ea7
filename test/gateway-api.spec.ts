import { strict as assert } from "assert";
import { GATEWAY_API_BY_ISTIO, gatewayApiCrdsUrl, gatewayApiVersion } from "../catalog/gateway-api";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { gatewayDuration, serviceHttpRoute } from "../components/routing/gateway-api";
import { diffEvaluations, summarize } from "../tools/bench/diff";
import { Evaluation } from "../mocks/evaluate";
import { configProblems, flattenConfig, pcs, rejects } from "./support/config";
import { evaluateAlone, evaluateConfig, evaluatedStack, objectsOfKind, resource } from "./support/lab";
import { kubernetesObjects, schemaError } from "./support/schemas";

const GATEWAY_API = { istio: { routingApi: "gateway-api" } } as const;
const gatewayApiObjects = (lab: Evaluation) => lab.resources.filter((r) => String(r.inputs.apiVersion ?? "").startsWith("gateway.networking.k8s.io/"));

describe("gateway-api: the scenarios the Gateway API can express, and a refusal for the rest", () => {
    it("is off by default: a stack routes with Istio's API and installs no Gateway API CRD", async () => {
        const lab = await evaluateConfig({ scenario: "canary" });
        assert.deepEqual(gatewayApiObjects(lab), []);
        assert.ok(!lab.resources.some((r) => r.type === "kubernetes:yaml/v2:ConfigGroup"), "no CRD bundle");
    });

    for (const scenario of ["baseline", "canary", "timeout"]) {
        it(`accepts ${scenario}`, () => assert.deepEqual(configProblems({ ...GATEWAY_API, scenario }), []));
    }

    for (const [scenario, service, field] of [
        ["fault-delay", "recommendationservice", "delay"],
        ["fault-abort", "productcatalogservice", "abort"],
        ["retry", "productcatalogservice", "retries"],
    ] as const) {
        it(`refuses ${scenario}: the key, the value, the field HTTPRoute lacks, why, and the API that works`, () => {
            rejects(
                { ...GATEWAY_API, scenario },
                new RegExp(
                    `^boutique-mesh:istio\\.routingApi = "gateway-api": cannot express scenario ${scenario}: ${service} asks for ${field}, and HTTPRoute .*; run this scenario with routingApi "istio"$`,
                ),
            );
            assert.deepEqual(configProblems({ scenario }), [], "the same scenario with Istio's API is fine");
        });
    }

    it("refuses a traffic override that adds what HTTPRoute lacks to a scenario it can express", () => {
        rejects({ ...GATEWAY_API, scenario: "canary", ...pcs({ abort: { percentage: 10, httpStatus: 503 } }) }, /productcatalogservice asks for abort/);
        rejects({ ...GATEWAY_API, ...pcs({ retries: { attempts: 2 } }) }, /productcatalogservice asks for retries.*experimental channel/);
        assert.deepEqual(configProblems({ ...GATEWAY_API, ...pcs({ timeout: "3s" }) }), [], "a timeout is fine");
    });

    it("refuses an Istio release older than the first whose Gateway API translation the lab read, naming both", () => {
        rejects(
            { istio: { routingApi: "gateway-api", version: "1.21.6", allowUnverifiedVersion: true } },
            /^boutique-mesh:istio\.routingApi = "gateway-api": needs Istio 1\.22\.0 or newer \(the oldest release whose Gateway API support the lab read\), not 1\.21\.6; use routingApi "istio" with it$/,
        );
        assert.deepEqual(
            configProblems({ istio: { routingApi: "gateway-api", version: "1.22.0", allowUnverifiedVersion: true } }).filter((p) => /routingApi/.test(p)),
            [],
            "1.22.0 itself is read",
        );
        rejects({ istio: { routingApi: "ingress" } }, /routingApi = "ingress".*"istio".*"gateway-api"|routingApi.*Invalid option/);
    });

    it("installs the Gateway API version each Istio minor's go.mod requires, the newest read for a newer minor", () => {
        assert.equal(gatewayApiVersion("1.31.1"), "v1.6.0");
        assert.equal(gatewayApiVersion("1.30.3"), "v1.5.1");
        assert.equal(gatewayApiVersion("1.22.0"), "v1.1.0");
        assert.equal(gatewayApiVersion("1.32.0"), "v1.6.0");
        assert.equal(gatewayApiVersion("1.21.6"), undefined);
        // As read in istio/istio's go.mod at each minor's first tag (1.26.0 requires a pre-release of v1.3.0).
        assert.deepEqual(Object.fromEntries(GATEWAY_API_BY_ISTIO.map((e) => [e.minor, e.version])), {
            "1.22": "v1.1.0",
            "1.23": "v1.1.0",
            "1.24": "v1.2.0",
            "1.25": "v1.2.1",
            "1.26": "v1.3.0",
            "1.27": "v1.3.0",
            "1.28": "v1.4.0",
            "1.29": "v1.4.0",
            "1.30": "v1.5.1",
            "1.31": "v1.6.0",
        });
        for (const e of GATEWAY_API_BY_ISTIO)
            assert.deepEqual(e.source, { repository: "istio/istio", tag: e.minor === "1.31" ? "1.31.0-rc.0" : `${e.minor}.0`, path: "go.mod" }, e.minor);
        assert.throws(
            () => gatewayApiCrdsUrl("https://x/{version}", "1.21.6"),
            /Istio 1\.21\.6 has no Gateway API version in the catalog \(1\.22\.0 or newer\)/,
        );
        assert.equal(
            gatewayApiCrdsUrl("https://mirror.example/{version}/standard-install.yaml", "1.31.1"),
            "https://mirror.example/v1.6.0/standard-install.yaml",
        );
    });

    it("writes durations as Gateway API accepts them (whole ms or s, GEP-2257)", () => {
        assert.equal(gatewayDuration("2s"), "2s");
        assert.equal(gatewayDuration("1500ms"), "1500ms");
        assert.equal(gatewayDuration("0.5s"), "500ms");
        assert.equal(gatewayDuration("1m30s"), "90s");
        for (const text of ["2s", "1500ms", "0.5s", "1m30s", "250us"]) assert.match(gatewayDuration(text), /^([0-9]{1,5}(h|m|s|ms)){1,4}$/);
        assert.throws(() => gatewayDuration("soon"), /not a duration: soon/);
    });
});

describe("gateway-api: the canary stack's objects", () => {
    let lab: Evaluation;
    before(async () => {
        lab = await evaluatedStack("gateway-api-canary");
    });
    const routes = () => objectsOfKind(lab, "HTTPRoute", "online-boutique");

    it("downloads the CRDs of the release's Gateway API version, adopting existing ones, before istiod", () => {
        const crds = resource(lab, "kubernetes:yaml/v2:ConfigGroup", "lab-mesh-gateway-api-crds");
        assert.equal(
            JSON.parse(crds.inputs.yaml).source,
            `https://github.com/kubernetes-sigs/gateway-api/releases/download/${gatewayApiVersion(DEFAULT_ISTIO_VERSION)}/standard-install.yaml`,
        );
        assert.equal(crds.provider, "lab-cluster-adopting-provider");
        assert.ok(resource(lab, "kubernetes:helm.sh/v4:Chart", "lab-mesh-istiod").dependsOn.includes(crds.name), "istiod waits for the CRDs");
    });

    it("has no Istio Gateway, VirtualService or DestinationRule for the frontend: one API per host", () => {
        const istio = kubernetesObjects(lab.resources).filter((r) => String(r.inputs.apiVersion).startsWith("networking.istio.io/"));
        assert.deepEqual(istio.map((r) => r.inputs.kind).sort(), ["ServiceEntry", "ServiceEntry"], "only the egress entries remain");
    });

    it("binds a Gateway API Gateway to the ingress gateway's Service by address, in its namespace, open to the shop's routes only", () => {
        const [gateway, ...others] = gatewayApiObjects(lab).filter((r) => r.inputs.kind === "Gateway");
        assert.deepEqual(others, []);
        assert.deepEqual(gateway.inputs.metadata, { name: "frontend-gateway", namespace: "istio-system" });
        assert.equal(gateway.inputs.spec.gatewayClassName, "istio");
        assert.deepEqual(gateway.inputs.spec.addresses, [{ type: "Hostname", value: "istio-ingressgateway.istio-system.svc.cluster.local" }]);
        assert.deepEqual(gateway.inputs.spec.listeners, [
            {
                name: "http",
                port: 80,
                protocol: "HTTP",
                allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": "online-boutique" } } } },
            },
        ]);
        const chartPorts = resource(lab, "kubernetes:helm.sh/v4:Chart", "lab-mesh-ingress-gateway").inputs.values.service.ports.map(
            (p: { port: number }) => p.port,
        );
        assert.ok(chartPorts.includes(80), "the listener's port is a port of the ingress gateway's Service");
    });

    it("splits 70/30 at the Gateway and in the mesh, to a Service per version, each answer naming its version", () => {
        const header = (value: string) => [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-boutique-version", value }] } }];
        const rules = [
            {
                backendRefs: [
                    { name: "frontend-original", port: 80, weight: 70, filters: header("original") },
                    { name: "frontend-v1", port: 80, weight: 30, filters: header("v1") },
                ],
            },
        ];
        const all = routes();
        assert.deepEqual([...all.keys()].sort(), ["frontend", "frontend-ingress"]);
        assert.deepEqual(all.get("frontend-ingress")!.spec, {
            parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "frontend-gateway", namespace: "istio-system" }],
            rules,
        });
        assert.deepEqual(all.get("frontend")!.spec, { parentRefs: [{ group: "", kind: "Service", name: "frontend" }], rules });
    });

    it("gives each version's Service the selector of that version's pods only", () => {
        const services = objectsOfKind(lab, "Service", "online-boutique");
        const deployments = objectsOfKind(lab, "Deployment", "online-boutique");
        for (const [service, deployment, other] of [
            ["frontend-original", "frontend", "frontend-v1"],
            ["frontend-v1", "frontend-v1", "frontend"],
        ]) {
            const selector = services.get(service)!.spec.selector;
            const selects = (name: string) => Object.entries(selector).every(([k, v]) => deployments.get(name)!.spec.template.metadata.labels[k] === v);
            assert.ok(selects(deployment), `${service} selects ${deployment}`);
            assert.ok(!selects(other), `${service} does not select ${other}`);
            assert.deepEqual(services.get(service)!.spec.ports, services.get("frontend")!.spec.ports, `${service} is ported as frontend`);
            assert.equal(services.get(service)!.spec.type, "ClusterIP", `${service} is reached inside the cluster only`);
        }
    });

    it("creates routes only after the CRDs, istiod, the Gateway and every backend", () => {
        for (const name of ["lab-traffic-frontend-ingress-httproute", "lab-traffic-frontend-httproute"]) {
            const route = lab.resources.find((r) => r.name === name)!;
            for (const dep of [
                "lab-mesh-gateway-api-crds",
                "lab-mesh-istiod",
                "lab-ingress-gateway-api-gateway",
                "lab-traffic-frontend-original-service",
                "lab-traffic-frontend-v1-service",
                "lab-traffic-frontend-v1",
            ])
                assert.ok(route.dependsOn.includes(dep), `${name} waits for ${dep}`);
        }
        assert.ok(lab.resources.find((r) => r.name === "lab-ingress-gateway-api-gateway")!.dependsOn.includes("lab-mesh-gateway-api-crds"));
    });

    it("every Gateway API object is valid against the Gateway API's schema", async () => {
        for (const r of gatewayApiObjects(lab)) assert.equal(await schemaError(r.inputs as never), undefined, r.name);
    });
});

describe("gateway-api: the CRDs' download", () => {
    it("hands the downloaded file to the engine as it is, from the configured URL with the version filled in", async () => {
        const asked: string[] = [];
        const lab = await evaluateAlone(
            flattenConfig({ ...GATEWAY_API, istio: { ...GATEWAY_API.istio, gatewayApiCrdsUrl: "https://mirror.lab/gw/{version}.yaml" } }),
            "test",
            [],
            async (url) => {
                asked.push(url);
                return url.startsWith("https://mirror.lab/gw/") ? "kind: CustomResourceDefinition\n" : "{}";
            },
        );
        assert.deepEqual(
            asked.filter((u) => u.startsWith("https://mirror.lab/")),
            ["https://mirror.lab/gw/v1.6.0.yaml"],
            "downloaded once",
        );
        assert.equal(resource(lab, "kubernetes:yaml/v2:ConfigGroup", "lab-mesh-gateway-api-crds").inputs.yaml, "kind: CustomResourceDefinition\n");
    });

    it("stops with the URL, the reason and the key to change when the download fails", async () => {
        await assert.rejects(
            evaluateAlone(flattenConfig(GATEWAY_API), "test", [], async (url) => {
                if (url.includes("gateway-api")) throw new Error("HTTP 404 Not Found");
                return "{}";
            }),
            /the Gateway API CRDs could not be downloaded from https:\/\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/v1\.6\.0\/standard-install\.yaml \(boutique-mesh:istio\.gatewayApiCrdsUrl\): HTTP 404 Not Found/,
        );
    });
});

describe("gateway-api: timeouts, and switching a lab between the APIs", () => {
    it("writes the timeout scenario's 2s as the request timeout of productcatalogservice's mesh route", async () => {
        const lab = await evaluateConfig({ ...GATEWAY_API, scenario: "timeout" });
        const route = objectsOfKind(lab, "HTTPRoute", "online-boutique").get("productcatalogservice")!;
        assert.deepEqual(route.spec, {
            parentRefs: [{ group: "", kind: "Service", name: "productcatalogservice" }],
            rules: [{ timeouts: { request: "2s" }, backendRefs: [{ name: "productcatalogservice", port: 3550 }] }],
        });
    });

    it("a route never silently drops what HTTPRoute cannot say, should a policy get past the config", () => {
        const place = { namespace: "online-boutique", clusterDomain: "cluster.local", networkingApi: "networking.istio.io/v1" };
        for (const [field, policy] of [
            ["delay", { delay: { percentage: 50, fixedDelay: "5s" } }],
            ["abort", { abort: { percentage: 50, httpStatus: 500 } }],
            ["retries", { retries: { attempts: 3 } }],
        ] as const)
            assert.throws(
                () => serviceHttpRoute("productcatalogservice", policy, place),
                new RegExp(`productcatalogservice: HTTPRoute cannot express ${field} \\(the config should have refused it\\)`),
            );
        assert.deepEqual(serviceHttpRoute("productcatalogservice", { extraLatency: "6s" }, place).spec.rules, [
            { backendRefs: [{ name: "productcatalogservice", port: 3550 }] },
        ]);
    });

    it("a switch of API replaces nothing and changes only routing: the base Services, Deployments and charts stay as they are", async () => {
        const istio = await evaluateConfig({ scenario: "canary" });
        const gatewayApi = await evaluateConfig({ ...GATEWAY_API, scenario: "canary" });
        const changes = diffEvaluations(istio, gatewayApi);
        const counts = summarize(changes);
        assert.equal(counts.replaced, 0);
        assert.ok(counts.added >= 6 && counts.removed >= 4, JSON.stringify(counts));
        const changed = changes.filter((c) => c.kind === "changed").map((c) => c.name);
        assert.deepEqual(changed, [], "nothing of the base lab changes");
    });
});
