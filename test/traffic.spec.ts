import { strict as assert } from "assert";
import { frontendRouting, routedVersions } from "../components/istio-objects";
import { frontendVersions } from "../components/workloads";
import { Evaluation } from "../tools/evaluate";
import { chart, evaluateConfig, objectNamed } from "./support/lab";

describe("traffic: the baseline scenario's routing", () => {
    let lab: Evaluation;
    before(async () => {
        lab = await evaluateConfig({ scenario: "baseline", boutique: { namespace: "shop" } });
    });

    const host = "frontend.shop.svc.cluster.local";

    it("derives every host from the namespace, never default", () => {
        const text = JSON.stringify(lab.resources.map((r) => r.inputs));
        assert.ok(!text.includes(".default.svc"), "no host points at the default namespace");
        assert.equal(objectNamed(lab, "DestinationRule", "frontend").spec.host, host);
        assert.deepEqual(objectNamed(lab, "VirtualService", "frontend").spec.hosts, [host]);
    });

    it("routes ingress and in-mesh traffic 100% to the original subset on the frontend's Service port", () => {
        for (const name of ["frontend-ingress", "frontend"]) {
            const vs = objectNamed(lab, "VirtualService", name);
            assert.equal(vs.metadata.namespace, "shop");
            assert.deepEqual(vs.spec.http, [
                {
                    route: [
                        {
                            destination: { host, port: { number: 80 }, subset: "original" },
                            weight: 100,
                            headers: { response: { set: { "x-boutique-version": "original" } } },
                        },
                    ],
                },
            ]);
        }
        const ingress = objectNamed(lab, "VirtualService", "frontend-ingress");
        assert.deepEqual(ingress.spec.hosts, ["*"]);
        assert.deepEqual(ingress.spec.gateways, [objectNamed(lab, "Gateway", "frontend-gateway").metadata.name]);
        assert.equal(objectNamed(lab, "VirtualService", "frontend").spec.gateways, undefined, "the mesh VirtualService applies to sidecars");
    });

    it("defines each routed subset with labels that select the frontend pods", () => {
        const subsets = objectNamed(lab, "DestinationRule", "frontend").spec.subsets;
        assert.deepEqual(subsets, [{ name: "original", labels: { version: "original" } }]);
        const pod = objectNamed(lab, "Deployment", "frontend").spec.template.metadata.labels;
        for (const [k, v] of Object.entries(subsets[0].labels)) assert.equal(pod[k], v);
    });

    it("comes after the CRDs, the Gateway and the frontend it routes to", () => {
        for (const r of lab.resources.filter((r) => r.inputs.kind === "VirtualService" || r.inputs.kind === "DestinationRule")) {
            for (const dep of [chart(lab, "istiod").name, "lab-ingress-gateway", "lab-boutique-frontend", "lab-boutique-frontend-service"]) {
                assert.ok(r.dependsOn.includes(dep), `${r.name} waits for ${dep}`);
            }
        }
    });

    it("routes only to versions with a share, in catalog order, with the subsets to match", () => {
        const place = { namespace: "ns", clusterDomain: "cluster.local", networkingApi: "networking.istio.io/v1" };
        const split = (frontend: Record<string, number>): [string, number][] => {
            const routing = frontendRouting(
                { description: "x", frontend, services: {} },
                place,
                frontendVersions({ image: "registry.lab/frontend:2.0.0", version: "2.0.0" }),
            );
            const subsets = routing.destinationRule.spec!.subsets!.map((s) => s.name);
            const routes = routing.ingress.spec!.http![0].route!.map((r) => [r.destination!.subset!, r.weight!] as [string, number]);
            assert.deepEqual(
                subsets,
                routes.map(([subset]) => subset),
                "a subset for each routed version, and only those",
            );
            assert.deepEqual(routing.mesh.spec!.http, routing.ingress.spec!.http, "the mesh route splits like the ingress");
            return routes;
        };
        assert.deepEqual(split({ original: 100 }), [["original", 100]]);
        assert.deepEqual(split({ original: 70, v1: 30 }), [
            ["original", 70],
            ["v1", 30],
        ]);
        assert.deepEqual(split({ v1: 30, original: 70 }), [
            ["original", 70],
            ["v1", 30],
        ]);
        assert.deepEqual(split({ original: 100, v1: 0 }), [["original", 100]]);
        assert.deepEqual(split({ original: 0, v1: 100 }), [["v1", 100]]);
        assert.deepEqual(routedVersions({ description: "x", frontend: { v1: 100 }, services: {} }), [{ version: "v1", weight: 100 }]);
    });
});
