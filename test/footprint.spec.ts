import { strict as assert } from "assert";
import { footprint, mebibytes, millicores } from "../tools/bench/footprint";
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

    it("adds the shop's requests, one sidecar per injected pod, istiod and both gateways", async () => {
        const f = footprint(await evaluateConfig());
        // Online Boutique v0.10.6, release/kubernetes-manifests.yaml: the requests of its 12 containers
        // (frontend 100m/64Mi, adservice 200m/180Mi, cartservice 200m/64Mi, redis 70m/200Mi,
        // loadgenerator 300m/256Mi, recommendationservice 100m/220Mi, six more at 100m/64Mi).
        assert.deepEqual(f.workloads, { cpu: 1570, memory: 1368 });
        assert.equal(f.injectedPods, 12);
        // Istio's demo profile (istio/istio 1.30.3, manifests/helm-profiles/demo.yaml): proxies and
        // gateways request 10m/40Mi, pilot 10m/100Mi.
        assert.deepEqual(f.sidecars, { cpu: 12 * 10, memory: 12 * 40 });
        assert.deepEqual(f.istiod, { cpu: 10, memory: 100 });
        assert.deepEqual(f.gateways, { cpu: 20, memory: 80 });
        // The lab's own addon values: Prometheus 50m/256Mi + reloader 10m/16Mi, Grafana 20m/64Mi, Kiali 10m/64Mi, Zipkin 20m/256Mi.
        assert.deepEqual(f.addons, { cpu: 110, memory: 656 });
        assert.deepEqual(f.total, { cpu: 1570 + 110 + 120 + 10 + 20, memory: 1368 + 656 + 480 + 100 + 80 });
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
        assert.deepEqual(f.workloads, { cpu: 1570 - 300, memory: 1368 - 256 }, "no load generator");
        assert.equal(f.injectedPods, 11);
        assert.deepEqual(f.gateways, { cpu: 10, memory: 40 });
        assert.deepEqual(f.istiod, { cpu: 10, memory: 100 });
    });
});
