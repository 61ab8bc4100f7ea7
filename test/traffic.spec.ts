import { strict as assert } from "assert";
import { frontendRouting, routedVersions } from "../components/istio-objects";
import { frontendVersions } from "../components/workloads";
import { SCENARIOS } from "../stacks";
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

    it("routes only to versions with a share, and the shares sum to 100", () => {
        for (const scenario of Object.values(SCENARIOS)) {
            const versions = routedVersions(scenario);
            assert.equal(
                versions.reduce((sum, v) => sum + v.weight, 0),
                100,
            );
            const routing = frontendRouting(
                scenario,
                { namespace: "ns", clusterDomain: "cluster.local", networkingApi: "networking.istio.io/v1" },
                frontendVersions({ image: "registry.lab/frontend:2.0.0", version: "2.0.0" }),
            );
            assert.deepEqual(
                routing.destinationRule.spec!.subsets!.map((s) => s.name),
                versions.map((v) => v.version),
            );
        }
    });
});
