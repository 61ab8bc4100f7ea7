import { strict as assert } from "assert";
import { evaluatedStack } from "./support/lab";
import { Evaluation, evaluateStack } from "../mocks/evaluate";
import { shippedStacks } from "../config/project";
import { DependencyGraph } from "../tools/bench/graph";

type Obj = Record<string, any>;

describe("ordering: what waits for what, on every stack (destroy runs it backwards)", () => {
    for (const stack of shippedStacks()) {
        describe(stack, () => {
            let lab: Evaluation;
            let graph: DependencyGraph;
            before(async () => {
                lab = await evaluatedStack(stack);
                graph = new DependencyGraph(lab);
            });
            const chart = (release: string) => lab.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === release)!.name;
            const objects = (pred: (o: Obj) => boolean) => lab.resources.filter((r) => typeof r.inputs.kind === "string" && pred(r.inputs));

            it("creates every Istio and Gateway API custom resource after its CRDs and istiod's validation webhook", () => {
                const istio = lab.resources.filter((r) => r.type.includes(".istio.io/"));
                const gatewayApi = lab.resources.filter((r) => r.type.includes("gateway.networking.k8s.io/"));
                assert.ok(istio.length + gatewayApi.length >= 6);
                for (const r of [...istio, ...gatewayApi]) {
                    assert.ok(graph.waitsFor(r.name).has(chart("istio-base")), `${r.name} after the CRDs`);
                    assert.ok(graph.waitsFor(r.name).has(chart("istiod")), `${r.name} after istiod`);
                }
                for (const r of gatewayApi) assert.ok(graph.waitsFor(r.name).has("lab-mesh-gateway-api-crds"), `${r.name} after the Gateway API CRDs`);
            });

            it("creates the mesh namespace's workloads and the gateways after istiod, in ambient also after cni and ztunnel", () => {
                const labels = (o: Record<string, any>) => o.metadata.labels ?? {};
                const inMesh = (ambient: boolean) =>
                    new Set(
                        objects(
                            (o) =>
                                o.kind === "Namespace" &&
                                (ambient ? labels(o)["istio.io/dataplane-mode"] === "ambient" : labels(o)["istio-injection"] === "enabled"),
                        ).map((r) => r.inputs.metadata.name),
                    );
                const ambient = inMesh(true);
                const shops = Array.isArray(lab.outputs.shops) ? lab.outputs.shops.length : 1;
                assert.equal(ambient.size + inMesh(false).size, shops, "a namespace per shop");
                assert.ok(ambient.size === 0 || inMesh(false).size === 0, "every shop in one data plane");
                const workloads = objects((o) => o.kind === "Deployment" && (ambient.has(o.metadata.namespace) || inMesh(false).has(o.metadata.namespace)));
                assert.ok(workloads.length >= 11);
                for (const r of workloads) {
                    assert.ok(graph.waitsFor(r.name).has(chart("istiod")), r.name);
                    for (const agent of ["lab-mesh-cni", "lab-mesh-ztunnel"])
                        assert.equal(graph.waitsFor(r.name).has(agent), ambient.size > 0, `${r.name}, ${agent}`);
                }
                for (const release of ["istio-ingressgateway", "istio-egressgateway"]) {
                    assert.ok(graph.waitsFor(chart(release)).has(chart("istiod")), release);
                }
                assert.ok(graph.waitsFor(chart("istiod")).has(chart("istio-base")));
            });

            it("creates each route after the workloads and Services it names", () => {
                const deployments = objects((o) => o.kind === "Deployment");
                const services = objects((o) => o.kind === "Service");
                for (const r of objects((o) => o.kind === "VirtualService" || o.kind === "DestinationRule")) {
                    const hosts: string[] =
                        r.inputs.kind === "DestinationRule"
                            ? [r.inputs.spec.host]
                            : r.inputs.spec.http.flatMap((h: Obj) => h.route.map((d: Obj) => d.destination.host));
                    for (const host of hosts) {
                        const [name, namespace] = host.split(".");
                        const inNamespace = (o: Obj) => o.inputs.metadata.namespace === namespace;
                        const service = services.find((s) => s.inputs.metadata.name === name && inNamespace(s))!;
                        assert.ok(graph.waitsFor(r.name).has(service.name), `${r.name} after Service ${name}`);
                        for (const d of deployments.filter((d) => d.inputs.spec.template.metadata.labels.app === name && inNamespace(d))) {
                            assert.ok(graph.waitsFor(r.name).has(d.name), `${r.name} after Deployment ${d.inputs.metadata.name}`);
                        }
                    }
                }
            });

            it("has no dependency cycle and a short critical path", () => {
                for (const r of lab.resources) assert.ok(!graph.waitsFor(r.name).has(r.name), `${r.name} waits for itself`);
                assert.ok(graph.longestChain().length <= 8, graph.longestChain().join(" -> "));
            });
        });
    }
});

describe("determinism: evaluating a stack twice declares the same thing", () => {
    /** Declarations as an order-independent, comparable form. */
    const canonical = (lab: Evaluation) => lab.resources.map((r) => JSON.stringify({ ...r, dependsOn: [...r.dependsOn].sort() })).sort();

    for (const stack of shippedStacks()) {
        it(stack, async () => {
            const first = await evaluateStack(stack);
            const second = await evaluateStack(stack);
            assert.deepEqual(canonical(second), canonical(first));
            assert.deepEqual(second.outputs, first.outputs);
        });
    }
});
