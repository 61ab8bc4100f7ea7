import { strict as assert } from "assert";
import { parseLabConfig } from "../config/schema";
import { PRESETS, SCENARIOS, SCENARIO_NAMES, resolveScenario, scenarioSchema, scenarioWarnings } from "../stacks";
import { diffEvaluations, summarize } from "../tools/bench/diff";
import { Evaluation } from "../mocks/evaluate";
import { stackFile, shippedStacks } from "../config/project";
import { loadStackFile } from "../config/stack";
import { configProblems, pcs, rejects } from "./support/config";
import { evaluateConfig, objectNamed, objectsOfKind, evaluatedStack } from "./support/lab";

const NS = "online-boutique";
/** The stack files of one shop, one per step of the reference lab; a classroom (boutique-mesh:shops) has its own spec. */
const stepStacks = () => shippedStacks().filter((stack) => loadStackFile(stackFile(stack)).shops === undefined);
const host = (service: string) => `${service}.${NS}.svc.cluster.local`;

function env(lab: Evaluation, deployment: string): Record<string, string> {
    const container = objectNamed(lab, "Deployment", deployment).spec.template.spec.containers[0];
    return Object.fromEntries((container.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
}

/** The single HTTP route of a VirtualService. */
function httpRoute(lab: Evaluation, name: string): Record<string, any> {
    const http = objectNamed(lab, "VirtualService", name).spec.http;
    assert.equal(http.length, 1);
    return http[0];
}

describe("scenarios: one stack per step of the reference lab", () => {
    const labs = new Map<string, Evaluation>();
    before(async () => {
        for (const stack of shippedStacks()) labs.set(stack, await evaluatedStack(stack));
    });
    const lab = (stack: string) => labs.get(stack)!;

    it("ships a stack file for every step, each naming its preset", () => {
        assert.deepEqual(shippedStacks(), [
            "ambient-canary",
            "ambient-fault-delay",
            "canary",
            "classroom",
            "dev",
            "fault-abort",
            "fault-delay",
            "gateway-api-canary",
            "retry",
            "timeout",
        ]);
        assert.deepEqual(
            shippedStacks().filter((stack) => !stepStacks().includes(stack)),
            ["classroom"],
        );
        // gateway-api-<preset>, ambient-<preset>: the same step through the other routing API or data plane.
        for (const stack of stepStacks())
            assert.equal(lab(stack).outputs.scenario, stack === "dev" ? "baseline" : stack.replace(/^(gateway-api|ambient)-/, ""));
    });

    it("every preset is valid as written, and a broken one fails where it is read", () => {
        for (const name of SCENARIO_NAMES) {
            const result = scenarioSchema.safeParse(PRESETS[name]);
            assert.ok(result.success, `${name}: ${result.error?.message}`);
        }
        const canary = PRESETS.canary as unknown as { frontend: Record<string, number> };
        const split = canary.frontend;
        canary.frontend = { original: 70, v1: 40 };
        try {
            assert.throws(() => SCENARIOS.canary, /the shares must sum to 100/);
        } finally {
            canary.frontend = split;
        }
        assert.deepEqual(SCENARIOS.canary.frontend, { original: 70, v1: 30 });
    });

    it("dev: all frontend traffic to original, no v1, no other VirtualService", () => {
        const routes = httpRoute(lab("dev"), "frontend-ingress").route;
        assert.deepEqual(
            routes.map((r: any) => [r.destination.subset, r.weight]),
            [["original", 100]],
        );
        assert.ok(!objectsOfKind(lab("dev"), "Deployment").has("frontend-v1"));
        assert.deepEqual([...objectsOfKind(lab("dev"), "VirtualService").keys()].sort(), ["frontend", "frontend-ingress"]);
    });

    it("canary: 70% original / 30% v1 through the ingress and inside the mesh, each answer naming its version", () => {
        for (const name of ["frontend-ingress", "frontend"]) {
            assert.deepEqual(httpRoute(lab("canary"), name).route, [
                {
                    destination: { host: host("frontend"), port: { number: 80 }, subset: "original" },
                    weight: 70,
                    headers: { response: { set: { "x-boutique-version": "original" } } },
                },
                {
                    destination: { host: host("frontend"), port: { number: 80 }, subset: "v1" },
                    weight: 30,
                    headers: { response: { set: { "x-boutique-version": "v1" } } },
                },
            ]);
        }
        assert.deepEqual(objectNamed(lab("canary"), "DestinationRule", "frontend").spec.subsets, [
            { name: "original", labels: { version: "original" } },
            { name: "v1", labels: { version: "1.0.0" } },
        ]);
        const v1 = objectNamed(lab("canary"), "Deployment", "frontend-v1");
        assert.deepEqual(v1.spec.selector.matchLabels, { app: "frontend", version: "1.0.0" });
        assert.equal(v1.spec.template.spec.containers[0].image, "gcr.io/tetratelabs/boutique-frontend:1.0.0");
        assert.equal(v1.spec.template.spec.serviceAccountName, "frontend");
        assert.ok((lab("canary").outputs.images as string[]).includes("gcr.io/tetratelabs/boutique-frontend:1.0.0"));
        // Each subset selects pods of exactly one Deployment, and the frontend Service spans both.
        const deployments = [...objectsOfKind(lab("canary"), "Deployment").values()];
        for (const subset of objectNamed(lab("canary"), "DestinationRule", "frontend").spec.subsets) {
            const selected = deployments.filter(
                (d) => d.spec.template.metadata.labels.app === "frontend" && d.spec.template.metadata.labels.version === subset.labels.version,
            );
            assert.equal(selected.length, 1, `subset ${subset.name}`);
        }
    });

    it("canary: the v1 image and its version label come from boutique.frontendV1, the seed's by default", async () => {
        const custom = await evaluateConfig({
            scenario: "canary",
            images: { mirrors: { "registry.lab": "mirror.lab/r" } },
            boutique: { frontendV1: { image: "registry.lab/shop/frontend:2.1.0", version: "2.1.0" } },
        });
        const v1 = objectNamed(custom, "Deployment", "frontend-v1");
        assert.equal(v1.spec.template.spec.containers[0].image, "mirror.lab/r/shop/frontend:2.1.0");
        assert.deepEqual(v1.spec.selector.matchLabels, { app: "frontend", version: "2.1.0" });
        assert.deepEqual(objectNamed(custom, "DestinationRule", "frontend").spec.subsets[1], { name: "v1", labels: { version: "2.1.0" } });
        assert.ok((custom.outputs.images as string[]).includes("mirror.lab/r/shop/frontend:2.1.0"));
        assert.ok(!(custom.outputs.images as string[]).some((i) => i.includes("tetratelabs")));
        const defaults = parseLabConfig({}).boutique.frontendV1;
        assert.deepEqual(defaults, { image: "gcr.io/tetratelabs/boutique-frontend:1.0.0", version: "1.0.0" });
    });

    it("rejects a v1 label that would select the original frontend, and an image without tag or digest", () => {
        const problems = (frontendV1: object) => configProblems({ boutique: { frontendV1 } }).join("\n");
        assert.match(problems({ version: "original" }), /boutique-mesh:boutique\.frontendV1\.version = "original": must differ from "original"/);
        assert.match(problems({ version: "v 2" }), /boutique-mesh:boutique\.frontendV1\.version = "v 2": must be a Kubernetes label value/);
        assert.match(
            problems({ image: "registry.lab/frontend" }),
            /boutique-mesh:boutique\.frontendV1\.image = "registry.lab\/frontend": must name a tag or a digest/,
        );
        assert.equal(problems({ image: `registry.lab/frontend@sha256:${"a".repeat(64)}` }), "");
    });

    it("fault-delay: 50% of recommendationservice requests delayed by 5s", () => {
        const route = httpRoute(lab("fault-delay"), "recommendationservice");
        assert.deepEqual(route.fault, { delay: { percentage: { value: 50 }, fixedDelay: "5s" } });
        assert.deepEqual(route.route, [{ destination: { host: host("recommendationservice"), port: { number: 8080 } } }]);
        assert.deepEqual(objectNamed(lab("fault-delay"), "VirtualService", "recommendationservice").spec.hosts, [host("recommendationservice")]);
    });

    it("fault-abort: 50% of productcatalogservice requests aborted with HTTP 500", () => {
        const route = httpRoute(lab("fault-abort"), "productcatalogservice");
        assert.deepEqual(route.fault, { abort: { percentage: { value: 50 }, httpStatus: 500 } });
        assert.deepEqual(route.route, [{ destination: { host: host("productcatalogservice"), port: { number: 3550 } } }]);
    });

    it("timeout: EXTRA_LATENCY=6s on productcatalogservice and a 2s timeout", () => {
        assert.equal(env(lab("timeout"), "productcatalogservice").EXTRA_LATENCY, "6s");
        const route = httpRoute(lab("timeout"), "productcatalogservice");
        assert.equal(route.timeout, "2s");
        assert.equal(route.retries, undefined);
    });

    it("retry: EXTRA_LATENCY=6s, 3 attempts of 1s, on conditions under which Envoy retries a per-try timeout", () => {
        assert.equal(env(lab("retry"), "productcatalogservice").EXTRA_LATENCY, "6s");
        const route = httpRoute(lab("retry"), "productcatalogservice");
        assert.equal(route.retries.attempts, 3);
        assert.equal(route.retries.perTryTimeout, "1s");
        assert.ok(route.retries.retryOn.split(",").some((c: string) => c === "gateway-error" || c === "5xx"));
        assert.equal(route.timeout, undefined);
    });

    it("runs the v1 frontend only where a scenario routes to it", () => {
        for (const stack of stepStacks()) {
            const hasV1 = objectsOfKind(lab(stack), "Deployment").has("frontend-v1");
            assert.equal(hasV1, (SCENARIOS[lab(stack).outputs.scenario as keyof typeof SCENARIOS].frontend.v1 ?? 0) > 0, stack);
        }
    });

    it("switching between any two stacks never replaces an object, and touches base objects only for EXTRA_LATENCY", async () => {
        // A switch happens in one stack: its config changes, its name (which labels the namespaces) stays. A single
        // lab that becomes a classroom moves its shop instead (docs/classroom.md): not a switch.
        const inPlace = new Map<string, Evaluation>();
        for (const stack of stepStacks()) inPlace.set(stack, await evaluatedStack("dev", stackFile(stack)));
        const lab = (stack: string) => inPlace.get(stack)!;
        const scenarioTypes = new Set([
            "kubernetes:networking.istio.io/v1:VirtualService",
            "kubernetes:networking.istio.io/v1:DestinationRule",
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        ]);
        // A switch of routing API also swaps the Gateway of the ingress and adds or removes the Gateway API CRDs.
        const routingApiObjects = new Set(["lab-ingress-gateway", "lab-ingress-gateway-api-gateway", "lab-mesh-gateway-api-crds"]);
        // A switch of data plane also changes istiod's profile, the node agents, the shop's namespace labels and
        // its pods' template (so they restart without or with a sidecar).
        const dataPlaneObjects = new Set(["lab-mesh-istiod", "lab-mesh-cni", "lab-mesh-ztunnel", "lab-boutique-namespace", "lab-mesh-gateway-api-crds"]);
        const plane = (stack: string) => objectNamed(lab(stack), "Namespace", "online-boutique").metadata.labels["istio.io/dataplane-mode"] ?? "sidecar";
        for (const from of stepStacks()) {
            for (const to of stepStacks()) {
                if (from === to) continue;
                const changes = diffEvaluations(lab(from), lab(to));
                assert.deepEqual(
                    changes.filter((c) => c.kind === "replaced"),
                    [],
                    `${from} -> ${to}`,
                );
                const planes = plane(from) !== plane(to);
                for (const c of changes) {
                    const scenarioObject = scenarioTypes.has(c.type) || c.name.startsWith("lab-traffic-") || routingApiObjects.has(c.name);
                    const latencyOnly = c.kind === "changed" && c.name === "lab-boutique-productcatalogservice";
                    const dataPlane = planes && (dataPlaneObjects.has(c.name) || (c.kind === "changed" && c.type === "kubernetes:apps/v1:Deployment"));
                    assert.ok(scenarioObject || latencyOnly || dataPlane, `${from} -> ${to}: ${c.kind} ${c.type} ${c.name}`);
                }
            }
        }
        assert.deepEqual(summarize(diffEvaluations(lab("dev"), lab("canary"))), { added: 1, changed: 3, removed: 0, replaced: 0 });
    });

    it("the diff itself sees a replacement when a selector or a namespace moves", async () => {
        const moved = await evaluateConfig({ boutique: { namespace: "shop" } });
        const replaced = diffEvaluations(lab("dev"), moved).filter((c) => c.kind === "replaced");
        assert.ok(replaced.some((c) => c.name === "lab-boutique-frontend" && c.reason === "metadata.namespace"));
    });

    describe("composition through boutique-mesh:traffic", () => {
        it("combines a split with a fault and a timeout in one stack, one VirtualService per host", async () => {
            const combined = await evaluateConfig({
                scenario: "canary",
                traffic: { services: { productcatalogservice: { timeout: "2s", abort: { percentage: 10, httpStatus: 503 } }, frontend: { timeout: "10s" } } },
            });
            const route = httpRoute(combined, "productcatalogservice");
            assert.equal(route.timeout, "2s");
            assert.deepEqual(route.fault.abort, { percentage: { value: 10 }, httpStatus: 503 });
            for (const name of ["frontend", "frontend-ingress"]) {
                const frontend = httpRoute(combined, name);
                assert.equal(frontend.timeout, "10s");
                assert.deepEqual(
                    frontend.route.map((r: any) => r.weight),
                    [70, 30],
                );
            }
            const hosts = [...objectsOfKind(combined, "VirtualService").values()].flatMap((vs) => vs.spec.hosts);
            assert.equal(new Set(hosts).size, hosts.length, "no two VirtualServices share a host");
        });

        it("merges overrides into the preset field by field and replaces the split as a whole", () => {
            const merged = resolveScenario("retry", { frontend: { original: 50, v1: 50 }, services: { productcatalogservice: { timeout: "10s" } } });
            assert.deepEqual(merged.frontend, { original: 50, v1: 50 });
            assert.equal(merged.services.productcatalogservice!.extraLatency, "6s");
            assert.equal(merged.services.productcatalogservice!.retries!.attempts, 3);
            assert.equal(merged.services.productcatalogservice!.timeout, "10s");
        });

        it("warns when a per-try timeout would not be retried, and only then", () => {
            for (const name of SCENARIO_NAMES) assert.deepEqual(scenarioWarnings(SCENARIOS[name]), [], name);
            const istioDefault = resolveScenario("retry", { services: { productcatalogservice: { retries: { attempts: 3, perTryTimeout: "1s" } } } });
            assert.match(
                scenarioWarnings(istioDefault)[0],
                /productcatalogservice: retries\.perTryTimeout is 1s but retryOn \(Istio's default\) has none of 5xx, gateway-error, reset/,
            );
            const grpcOnly = resolveScenario("retry", {
                services: { productcatalogservice: { retries: { attempts: 3, perTryTimeout: "1s", retryOn: "unavailable" } } },
            });
            assert.equal(scenarioWarnings(grpcOnly).length, 1);
        });

        it("writes durations the way Istio's examples do", async () => {
            const custom = await evaluateConfig({
                scenario: "fault-delay",
                traffic: { services: { recommendationservice: { delay: { percentage: 25, fixedDelay: "1500ms" } } } },
            });
            assert.deepEqual(httpRoute(custom, "recommendationservice").fault.delay, { percentage: { value: 25 }, fixedDelay: "1.5s" });
        });
    });

    describe("rejects invalid scenarios before anything is declared, naming the key", () => {
        it("an unknown preset", () =>
            rejects({ scenario: "chaos" as never }, /boutique-mesh:scenario = "chaos" is not allowed; allowed: "baseline" \| "canary"/));
        it("weights that are negative", () =>
            rejects({ traffic: { frontend: { original: 110, v1: -10 } } }, /boutique-mesh:traffic\.frontend\.v1 = -10: must be a percentage from 0 to 100/));
        it("weights that do not sum to 100, under or over", () => {
            rejects(
                { traffic: { frontend: { original: 60, v1: 30 } } },
                /boutique-mesh:traffic\.frontend = \{"original":60,"v1":30\}: the shares must sum to 100/,
            );
            rejects(
                { traffic: { frontend: { original: 100, v1: 50 } } },
                /boutique-mesh:traffic\.frontend = \{"original":100,"v1":50\}: the shares must sum to 100/,
            );
            rejects({ traffic: { frontend: { v1: 99.5 } } }, /the shares must sum to 100/);
            rejects({ traffic: { frontend: {} } }, /the shares must sum to 100/);
        });
        it("a subset with no version behind it", () =>
            rejects(
                { traffic: { frontend: { original: 50, v2: 50 } as never } },
                /boutique-mesh:traffic\.frontend\.v2: unknown key; allowed under boutique-mesh:traffic\.frontend: original, v1/,
            ));
        it("a percentage outside 0-100", () =>
            rejects(
                pcs({ delay: { percentage: 150, fixedDelay: "5s" } }),
                /productcatalogservice\.delay\.percentage = 150: must be a percentage from 0 to 100/,
            ));
        it("durations Go or Istio would not parse", () => {
            rejects(pcs({ delay: { percentage: 50, fixedDelay: "5x" } }), /productcatalogservice\.delay\.fixedDelay = "5x": must be a duration such as 5s/);
            rejects(pcs({ timeout: "-1s" }), /productcatalogservice\.timeout = "-1s": must be a duration such as 5s/);
            rejects(pcs({ extraLatency: "6 s" }), /productcatalogservice\.extraLatency = "6 s": must be a duration/);
            rejects(pcs({ timeout: "500us" }), /productcatalogservice\.timeout = "500us": must be at least 1ms/);
        });
        it("retries without attempts", () =>
            rejects(pcs({ retries: { perTryTimeout: "1s" } }), /productcatalogservice\.retries\.attempts = nothing: retries need attempts/));
        it("unknown retry conditions", () =>
            rejects(
                pcs({ retries: { attempts: 2, retryOn: "5xx,timeouts" } }),
                /retries\.retryOn = "5xx,timeouts": must be a comma-separated list of Envoy retry conditions/,
            ));
        it("a target service that is not in the catalog, or not reached over HTTP or gRPC", () => {
            rejects(
                { traffic: { services: { productcatalog: { timeout: "2s" } } } },
                /^boutique-mesh:traffic\.services\.productcatalog: unknown key; allowed under boutique-mesh:traffic\.services: frontend, adservice, currencyservice, cartservice, recommendationservice, checkoutservice, emailservice, paymentservice, shippingservice, productcatalogservice$/,
            );
            rejects({ traffic: { services: { "redis-cart": { timeout: "2s" } } } }, /traffic\.services\.redis-cart: unknown key/);
            rejects({ traffic: { services: { loadgenerator: { timeout: "2s" } } } }, /traffic\.services\.loadgenerator: unknown key/);
        });
        it("an abort status outside 200-599", () => {
            rejects(pcs({ abort: { percentage: 50, httpStatus: 600 } }), /abort\.httpStatus = 600: must be an HTTP status from 200 to 599/);
            rejects(pcs({ abort: { percentage: 50, httpStatus: 199 } }), /abort\.httpStatus = 199: must be an HTTP status from 200 to 599/);
        });
        it("latency on a service that cannot add it", () =>
            rejects(
                { traffic: { services: { cartservice: { extraLatency: "1s" } } } },
                /boutique-mesh:traffic\.services\.cartservice\.extraLatency = "1s": only productcatalogservice can add latency/,
            ));
        it("an unknown policy field", () =>
            rejects(pcs({ dealy: {} }), /productcatalogservice\.dealy: unknown key; allowed .*: delay, abort, timeout, retries, extraLatency/));
    });
});
