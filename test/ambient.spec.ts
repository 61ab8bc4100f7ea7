import { strict as assert } from "assert";
import { NODE_AGENTS, VIRTUAL_SERVICE_AT_WAYPOINT } from "../catalog/ambient";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { needsWaypoint, routesInMesh, shopNamespaceLabels, waypointGateway } from "../components/mesh/ambient";
import { istioImages, istiodValues, nodeAgentValues } from "../components/mesh/charts";
import { deploymentFor, frontendVersions } from "../components/shop/workloads";
import { boutiqueService } from "../catalog/boutique";
import { parseLabConfig } from "../config/schema";
import { resolveScenario } from "../stacks";
import { diffEvaluations, summarize } from "../tools/bench/diff";
import { footprint } from "../tools/bench/footprint";
import { analyze, formatFinding } from "../tools/analyze/analyze";
import { DeclaredResource, Evaluation } from "../mocks/evaluate";
import { configProblems, flattenConfig, rejects } from "./support/config";
import { chart, evaluateAlone, evaluateConfig, evaluatedStack, objectNamed, objectsOfKind, resource } from "./support/lab";

/** A declared resource by its Pulumi name, whatever its type. */
function named(lab: Evaluation, name: string): DeclaredResource {
    const found = lab.resources.find((r) => r.name === name);
    if (found === undefined) throw new Error(`no resource named ${name} was declared`);
    return found;
}
import { kubernetesObjects, schemaError } from "./support/schemas";

const AMBIENT = { istio: { dataPlane: "ambient" } } as const;
const CHART = "kubernetes:helm.sh/v4:Chart";
const V = DEFAULT_ISTIO_VERSION;

describe("ambient: the data plane choice in the config", () => {
    it("is sidecar by default, and ambient from Istio 1.24.0 on", () => {
        assert.deepEqual(configProblems({}), []);
        assert.deepEqual(configProblems(AMBIENT), []);
        const at = (version: string) =>
            configProblems({ istio: { dataPlane: "ambient", version, allowUnverifiedVersion: true } }).filter((p) => p.includes("dataPlane"));
        assert.deepEqual(at("1.24.0"), [], "1.24.0 itself");
        assert.equal(at("1.23.6").length, 1);
    });

    it("refuses ambient below 1.24 naming the key, the value, the version and what works", () => {
        rejects(
            { istio: { dataPlane: "ambient", version: "1.23.6", allowUnverifiedVersion: true } },
            /^boutique-mesh:istio\.dataPlane = "ambient": needs Istio 1\.24\.0 or newer \(ambient is GA from 1\.24.*\), not 1\.23\.6; use dataPlane "sidecar" with it$/,
        );
        rejects({ istio: { dataPlane: "ztunnel" } }, /^boutique-mesh:istio\.dataPlane = "ztunnel" is not allowed; allowed: "sidecar" \| "ambient"$/);
    });
});

describe("ambient: the values and objects, straight from their functions", () => {
    const ambient = parseLabConfig({ istio: { dataPlane: "ambient", hub: "registry.lab/istio" } });
    const sidecar = parseLabConfig({ istio: { hub: "registry.lab/istio" } });

    it("gives istiod the ambient profile, and sidecar labs none", () => {
        assert.equal(istiodValues(ambient.istio, {}, "cluster.local").profile, "ambient");
        assert.ok(!("profile" in istiodValues(sidecar.istio, {}, "cluster.local")));
    });

    it("pulls the profile's distroless variants and the node agents' images only in ambient", () => {
        assert.deepEqual(istioImages(ambient.istio, {}), [
            `registry.lab/istio/pilot:${V}-distroless`,
            `registry.lab/istio/proxyv2:${V}-distroless`,
            `registry.lab/istio/install-cni:${V}-distroless`,
            `registry.lab/istio/ztunnel:${V}`,
        ]);
        assert.deepEqual(istioImages(sidecar.istio, {}), [`registry.lab/istio/pilot:${V}`, `registry.lab/istio/proxyv2:${V}`]);
    });

    it("puts cni's hub under global and ztunnel's at the top, each with its chart's requests and the lab's limits", () => {
        const [cni, ztunnel] = NODE_AGENTS.map((agent) => nodeAgentValues(agent, ambient.istio, { "registry.lab": "mirror.lab/r" }));
        assert.deepEqual(cni, {
            profile: "ambient",
            global: { hub: "mirror.lab/r/istio", tag: V },
            resources: { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
        });
        assert.deepEqual(ztunnel, {
            hub: "mirror.lab/r/istio",
            tag: V,
            resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
        });
    });

    it("writes the waypoint Gateway exactly", () => {
        assert.deepEqual(waypointGateway("shop"), {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "waypoint", namespace: "shop", labels: { "istio.io/waypoint-for": "service" } },
            spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
        });
    });

    it("marks every pod template for ambient, and none for sidecars", () => {
        const settings = (dataPlane: "sidecar" | "ambient") => ({
            dataPlane,
            namespace: "shop",
            release: "v0.10.6" as const,
            mirrors: {},
            frontends: frontendVersions(ambient.boutique.frontendV1),
            loadGenerator: { enabled: true, users: 10, rate: 1 },
            latency: {},
        });
        const frontend = boutiqueService("frontend");
        // The plain data a Deployment is (its type allows Pulumi inputs).
        const annotationsOf = (d: unknown): unknown =>
            (JSON.parse(JSON.stringify(d)) as { spec: { template: { metadata: { annotations?: unknown } } } }).spec.template.metadata.annotations;
        assert.deepEqual(annotationsOf(deploymentFor(frontend, settings("ambient"))), {
            "sidecar.istio.io/rewriteAppHTTPProbers": "true",
            "boutique-mesh.io/data-plane": "ambient",
        });
        assert.deepEqual(annotationsOf(deploymentFor(frontend, settings("sidecar"))), {
            "sidecar.istio.io/rewriteAppHTTPProbers": "true",
        });
        assert.equal(annotationsOf(deploymentFor(boutiqueService("cartservice"), settings("sidecar"))), undefined);
    });

    it("warns of VirtualService at a waypoint only in ambient with Istio's API where there is a waypoint; parents the waypoint and version Services to Traffic", async () => {
        const warned = async (config: Record<string, unknown>) => (await evaluateAlone(flattenConfig(config))).warnings.includes(VIRTUAL_SERVICE_AT_WAYPOINT);
        assert.equal(await warned({ scenario: "fault-delay", istio: { dataPlane: "ambient" } }), true);
        assert.equal(await warned({ scenario: "canary", istio: { dataPlane: "ambient", routingApi: "gateway-api" } }), false);
        assert.equal(await warned({ scenario: "fault-delay" }), false);
        assert.equal(await warned({ istio: { dataPlane: "ambient" } }), false, "baseline has no waypoint");
        const lab = await evaluateAlone(flattenConfig({ scenario: "canary", istio: { dataPlane: "ambient", routingApi: "gateway-api" } }));
        for (const name of ["lab-traffic-waypoint", "lab-traffic-frontend-v1-service", "lab-traffic-frontend-original-service"]) {
            const r = lab.resources.find((x) => x.name === name)!;
            assert.equal(r.parent, "lab-traffic", name);
            assert.equal(r.provider, "lab-cluster-provider", name);
            assert.ok(r.dependsOn.includes("lab-mesh-istiod"), `${name} after istiod`);
        }
        assert.ok(
            lab.resources.find((x) => x.name === "lab-traffic-frontend-v1-service")!.dependsOn.includes("lab-mesh-ztunnel"),
            "a version's Service after the node agents",
        );
    });
});

describe("ambient: which scenarios need a waypoint", () => {
    it("routes inside the mesh with a split or any service policy, not with the baseline's one version", () => {
        assert.equal(routesInMesh(resolveScenario("baseline")), false);
        for (const scenario of ["canary", "fault-delay", "fault-abort", "timeout", "retry"] as const)
            assert.equal(routesInMesh(resolveScenario(scenario)), true, scenario);
        assert.equal(needsWaypoint("sidecar", resolveScenario("canary")), false, "sidecars route themselves");
        assert.equal(needsWaypoint("ambient", resolveScenario("baseline")), false);
        assert.equal(needsWaypoint("ambient", resolveScenario("canary")), true);
    });

    it("labels the shop's namespace for one data plane only", () => {
        assert.deepEqual(shopNamespaceLabels("sidecar", false), { "istio-injection": "enabled" });
        assert.deepEqual(shopNamespaceLabels("ambient", false), { "istio.io/dataplane-mode": "ambient" });
        assert.deepEqual(shopNamespaceLabels("ambient", true), { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    });
});

describe("ambient: the ambient-canary stack (Gateway API) as Istio's Helm guide installs it", () => {
    let lab: Evaluation;
    before(async () => {
        lab = await evaluatedStack("ambient-canary");
    });

    it("installs cni with the ambient profile after base, and ztunnel after istiod, both in istio-system with Istio's hub and release", () => {
        const cni = chart(lab, "istio-cni");
        const ztunnel = chart(lab, "ztunnel");
        assert.equal(cni.inputs.chart, "cni");
        assert.equal(ztunnel.inputs.chart, "ztunnel");
        for (const c of [cni, ztunnel]) {
            assert.equal(c.inputs.namespace, "istio-system");
            assert.equal(c.inputs.version, V);
        }
        assert.deepEqual(cni.inputs.values, {
            profile: "ambient",
            global: { hub: "docker.io/istio", tag: V },
            resources: { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
        });
        // The guide installs ztunnel without a profile; its chart reads hub and tag at the top.
        assert.deepEqual(ztunnel.inputs.values, {
            hub: "docker.io/istio",
            tag: V,
            resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } },
        });
        assert.ok(cni.dependsOn.includes("lab-mesh-base"), "cni after the base chart");
        assert.ok(ztunnel.dependsOn.includes("lab-mesh-istiod"), "ztunnel after istiod, whose certificates it asks for");
        assert.equal(chart(lab, "istiod").inputs.values.profile, "ambient");
    });

    it("installs the Gateway API CRDs the waypoint needs", () => {
        const crds = resource(lab, "kubernetes:yaml/v2:ConfigGroup", "lab-mesh-gateway-api-crds");
        assert.ok(named(lab, "lab-traffic-waypoint").dependsOn.includes(crds.name));
    });

    it("puts the shop in ambient with a waypoint, and no injection", () => {
        const labels = objectNamed(lab, "Namespace", "online-boutique").metadata.labels;
        assert.deepEqual(labels, { "boutique-mesh.io/stack": "ambient-canary", "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    });

    it("declares the waypoint as istioctl writes it, valid against the Gateway API schema, and every route after it", async () => {
        const waypoint = named(lab, "lab-traffic-waypoint");
        assert.deepEqual(waypoint.inputs, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "waypoint", namespace: "online-boutique", labels: { "istio.io/waypoint-for": "service" } },
            spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
        });
        assert.equal(await schemaError(waypoint.inputs as never), undefined);
        const routes = kubernetesObjects(lab.resources).filter((r) => r.inputs.kind === "HTTPRoute");
        assert.equal(routes.length, 2);
        for (const route of routes) assert.ok(route.dependsOn.includes(waypoint.name), route.name);
    });

    it("starts the shop's pods once the node agents run, marked for ambient so a switch restarts them", () => {
        for (const [name, deployment] of objectsOfKind(lab, "Deployment", "online-boutique")) {
            assert.equal(deployment.spec.template.metadata.annotations["boutique-mesh.io/data-plane"], "ambient", name);
            const declared = lab.resources.find((r) => r.inputs === deployment)!;
            for (const agent of ["lab-mesh-cni", "lab-mesh-ztunnel"]) assert.ok(declared.dependsOn.includes(agent), `${name} waits for ${agent}`);
        }
    });

    it("pulls the distroless images the ambient profile selects, and the node agents'", () => {
        const images = (lab.outputs.images as string[]).filter((i) => i.startsWith("docker.io/istio/"));
        assert.deepEqual(images, [
            `docker.io/istio/pilot:${V}-distroless`,
            `docker.io/istio/proxyv2:${V}-distroless`,
            `docker.io/istio/install-cni:${V}-distroless`,
            `docker.io/istio/ztunnel:${V}`,
        ]);
    });

    it("warns of nothing: the Gateway API at a waypoint is Beta", () => {
        assert.ok(!lab.warnings.some((w) => w.includes("Alpha")));
    });
});

describe("ambient: with Istio's API, and without a waypoint", () => {
    it("ambient-fault-delay: the waypoint carries the VirtualService, and the preview says it is Alpha", async () => {
        const lab = await evaluatedStack("ambient-fault-delay");
        assert.ok(lab.warnings.includes(VIRTUAL_SERVICE_AT_WAYPOINT));
        const vs = named(lab, "lab-traffic-recommendationservice-virtualservice");
        assert.ok(vs.dependsOn.includes("lab-traffic-waypoint"));
        assert.ok(
            lab.resources.some((r) => r.name === "lab-mesh-gateway-api-crds"),
            "the CRDs, for the waypoint",
        );
    });

    it("baseline in ambient: no waypoint and no waypoint label; the ingress gateway routes alone", async () => {
        const lab = await evaluateConfig(AMBIENT);
        assert.ok(!lab.resources.some((r) => r.name === "lab-traffic-waypoint"));
        assert.deepEqual(objectNamed(lab, "Namespace", "online-boutique").metadata.labels, {
            "boutique-mesh.io/stack": "test",
            "istio.io/dataplane-mode": "ambient",
        });
        assert.ok(!lab.warnings.includes(VIRTUAL_SERVICE_AT_WAYPOINT));
        // Nothing would apply an in-mesh route: the frontend keeps its ingress route only, and the analyzer finds nothing.
        assert.deepEqual([...objectsOfKind(lab, "VirtualService").keys()], ["frontend-ingress"]);
        assert.deepEqual(analyze(lab).map(formatFinding), []);
        const gatewayApi = await evaluateConfig({ istio: { dataPlane: "ambient", routingApi: "gateway-api" } });
        assert.deepEqual([...objectsOfKind(gatewayApi, "HTTPRoute").keys()], ["frontend-ingress"]);
    });

    it("sidecar labs have none of it: no node agent, no profile, no annotation on their pods", async () => {
        const lab = await evaluateConfig({ scenario: "canary" });
        assert.ok(![...lab.resources].some((r) => r.type === CHART && ["istio-cni", "ztunnel"].includes(r.inputs.name)));
        assert.equal(chart(lab, "istiod").inputs.values.profile, undefined);
        for (const [name, d] of objectsOfKind(lab, "Deployment", "online-boutique"))
            assert.equal(d.spec.template.metadata.annotations?.["boutique-mesh.io/data-plane"], undefined, name);
    });
});

describe("ambient: a lab switches data plane in place", () => {
    it("dev to ambient and back: no replacement; the node agents, CRDs and namespace change; each Deployment rolls", async () => {
        const sidecar = await evaluateConfig({ scenario: "canary" });
        const ambient = await evaluateConfig({ scenario: "canary", ...AMBIENT });
        const there = summarize(diffEvaluations(sidecar, ambient));
        const back = summarize(diffEvaluations(ambient, sidecar));
        assert.equal(there.replaced, 0);
        assert.equal(back.replaced, 0);
        // Added: cni, ztunnel, the Gateway API CRDs and the waypoint.
        assert.equal(there.added, 4);
        assert.equal(back.removed, 4);
        // Changed: istiod (profile), the shop's namespace, and the 12 shop Deployments plus frontend-v1 (their pods restart).
        assert.equal(there.changed, 1 + 1 + 13);
        assert.equal(back.changed, there.changed);
    });
});

describe("ambient: what the mesh requests, sidecars against node agents", () => {
    it("counts no sidecar in ambient, cni and ztunnel once per node, and the waypoint istiod deploys", async () => {
        const lab = await evaluatedStack("ambient-canary");
        const one = footprint(lab, 1);
        const three = footprint(lab, 3);
        assert.deepEqual(one.sidecars, { cpu: 0, memory: 0 });
        assert.equal(one.injectedPods, 0);
        assert.deepEqual(one.nodeAgentsPerNode, { cpu: 100 + 200, memory: 100 + 512 });
        assert.equal(one.waypointPods, 1);
        assert.deepEqual(one.waypoints, { cpu: 100, memory: 128 });
        assert.deepEqual({ cpu: three.total.cpu - one.total.cpu, memory: three.total.memory - one.total.memory }, { cpu: 600, memory: 1224 });
        assert.deepEqual(
            NODE_AGENTS.map((a) => a.daemonSet),
            ["istio-cni-node", "ztunnel"],
        );
        // Each agent cites its chart's DaemonSet template at the first ambient GA release and at 1.31.
        for (const a of NODE_AGENTS) {
            const dir = a.chart === "cni" ? "istio-cni" : "ztunnel";
            assert.deepEqual(
                a.sources.map((s) => `${s.repository}@${s.tag}:${s.path}`),
                ["1.24.0", "1.31.0-rc.0"].map((tag) => `istio/istio@${tag}:manifests/charts/${dir}/templates/daemonset.yaml`),
            );
        }
    });
});
