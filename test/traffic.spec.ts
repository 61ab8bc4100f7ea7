import { strict as assert } from "assert";
import { frontendRouting, routedVersions } from "../components/routing/objects";
import { frontendVersions } from "../components/shop/workloads";
import { Evaluation } from "../mocks/evaluate";
import { chart, evaluateConfig, objectNamed, resource } from "./support/lab";

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
            const routes = routing.ingress.spec!.http![0].route!.map((r) => [r.destination.subset!, r.weight!] as [string, number]);
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

    it("puts a frontend policy into the frontend's own routes, with no second VirtualService for its host", async () => {
        const lab = await evaluateConfig({ traffic: { services: { frontend: { timeout: "10s" } } } });
        const virtualServices = lab.resources.filter((r) => r.inputs.kind === "VirtualService").map((r) => r.inputs.metadata.name);
        assert.deepEqual(virtualServices.sort(), ["frontend", "frontend-ingress"]);
        assert.equal(objectNamed(lab, "VirtualService", "frontend").spec.http[0].timeout, "10s");
        assert.equal(objectNamed(lab, "VirtualService", "frontend-ingress").spec.http[0].timeout, "10s");
    });

    describe("the scenario's resources", () => {
        let canary: Evaluation;
        before(async () => {
            canary = await evaluateConfig({
                scenario: "canary",
                traffic: { services: { productcatalogservice: { timeout: "2s" }, cartservice: { timeout: "1s", extraLatency: undefined }, adservice: {} } },
            });
        });
        const children = (lab: Evaluation) =>
            lab.resources
                .filter((r) => r.parent === "lab-traffic")
                .map((r) => r.name)
                .sort();

        it("declares the baseline's frontend routing only", () => {
            assert.deepEqual(children(lab), ["lab-traffic-frontend-destinationrule", "lab-traffic-frontend-ingress", "lab-traffic-frontend-virtualservice"]);
        });

        it("adds the v1 frontend, and one VirtualService per other service with routing policy, each named after its service", () => {
            assert.deepEqual(children(canary), [
                "lab-traffic-cartservice-virtualservice",
                "lab-traffic-frontend-destinationrule",
                "lab-traffic-frontend-ingress",
                "lab-traffic-frontend-v1",
                "lab-traffic-frontend-virtualservice",
                "lab-traffic-productcatalogservice-virtualservice",
            ]);
            assert.equal(resource(canary, "kubernetes:apps/v1:Deployment", "lab-traffic-frontend-v1").inputs.metadata.name, "frontend-v1");
        });

        it("starts the v1 frontend after its namespace, istiod and the frontend's account; routes it only once it runs", () => {
            const v1 = resource(canary, "kubernetes:apps/v1:Deployment", "lab-traffic-frontend-v1");
            assert.deepEqual([...v1.dependsOn].sort(), ["lab-boutique-frontend-account", "lab-boutique-namespace", chart(canary, "istiod").name].sort());
            for (const name of ["lab-traffic-frontend-destinationrule", "lab-traffic-frontend-ingress", "lab-traffic-frontend-virtualservice"]) {
                const route = canary.resources.find((r) => r.name === name)!;
                assert.deepEqual(
                    [...route.dependsOn].sort(),
                    [
                        chart(canary, "istiod").name,
                        "lab-ingress-gateway",
                        "lab-boutique-frontend",
                        "lab-boutique-frontend-service",
                        "lab-traffic-frontend-v1",
                    ].sort(),
                    name,
                );
            }
            const catalog = canary.resources.find((r) => r.name === "lab-traffic-productcatalogservice-virtualservice")!;
            assert.deepEqual(
                [...catalog.dependsOn].sort(),
                [
                    chart(canary, "istiod").name,
                    "lab-ingress-gateway",
                    "lab-boutique-productcatalogservice",
                    "lab-boutique-productcatalogservice-service",
                ].sort(),
            );
        });

        it("leaves latency alone to the service: no VirtualService for it", async () => {
            const slow = await evaluateConfig({ traffic: { services: { productcatalogservice: { extraLatency: "1s" } } } });
            assert.deepEqual(children(slow), children(lab));
        });

        it("warns, through Pulumi's log, of a per-try timeout Envoy would not retry", async () => {
            const { warnings } = await evaluateConfig({
                scenario: "retry",
                traffic: { services: { productcatalogservice: { retries: { attempts: 3, perTryTimeout: "1s", retryOn: "unavailable" } } } },
            });
            assert.equal(
                warnings.filter((w) =>
                    /productcatalogservice: retries\.perTryTimeout is 1s but retryOn \(unavailable\) has none of 5xx, gateway-error, reset/.test(w),
                ).length,
                1,
            );
        });
    });
});
