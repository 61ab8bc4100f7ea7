import { strict as assert } from "assert";
import { BOUTIQUE_SERVICES } from "../catalog/boutique";
import { footprint, mebibytes, millicores } from "../tools/footprint";
import { evaluateConfig } from "./support/lab";

describe("footprint: what a lab requests from the cluster", () => {
    it("reads Kubernetes quantities", () => {
        assert.equal(millicores("100m"), 100);
        assert.equal(millicores("2"), 2000);
        assert.equal(millicores("0.5"), 500);
        assert.equal(mebibytes("64Mi"), 64);
        assert.equal(mebibytes("1Gi"), 1024);
        assert.equal(mebibytes("1024Ki"), 1);
        assert.throws(() => mebibytes("12 parsecs"), /not a memory quantity/);
    });

    it("adds the catalog's requests, one sidecar per injected pod, istiod and both gateways", async () => {
        const f = footprint(await evaluateConfig());
        const cpu = BOUTIQUE_SERVICES.reduce((sum, s) => sum + millicores(s.resources.requests.cpu), 0);
        const memory = BOUTIQUE_SERVICES.reduce((sum, s) => sum + mebibytes(s.resources.requests.memory), 0);
        assert.deepEqual(f.workloads, { cpu, memory });
        assert.equal(f.injectedPods, 12);
        assert.deepEqual(f.sidecars, { cpu: 12 * 10, memory: 12 * 40 });
        assert.deepEqual(f.istiod, { cpu: 10, memory: 100 });
        assert.deepEqual(f.gateways, { cpu: 20, memory: 80 });
        // Prometheus 50m/256Mi + reloader 10m/16Mi, Grafana 20m/64Mi, Kiali 10m/64Mi, Zipkin 20m/256Mi.
        assert.deepEqual(f.addons, { cpu: 110, memory: 656 });
        assert.deepEqual(f.total, { cpu: cpu + 110 + 120 + 10 + 20, memory: memory + 656 + 480 + 100 + 80 });
    });

    it("follows config: no load generator, no egress gateway, istiod values nested for old charts", async () => {
        const f = footprint(
            await evaluateConfig({
                boutique: { loadGenerator: { enabled: false } },
                istio: { egressGateway: false, version: "1.20.8" },
                addons: { grafana: { enabled: false }, kiali: { enabled: false }, tracer: { kind: "none" } },
            }),
        );
        assert.deepEqual(f.addons, { cpu: 60, memory: 272 }, "Prometheus alone");
        assert.equal(f.injectedPods, 11);
        assert.deepEqual(f.gateways, { cpu: 10, memory: 40 });
        assert.deepEqual(f.istiod, { cpu: 10, memory: 100 });
    });
});
