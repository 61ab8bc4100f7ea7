import { strict as assert } from "assert";
import { Evaluation } from "../mocks/evaluate";
import { chart, evaluateConfig, objectNamed, objectsOfKind } from "./support/lab";

describe("ingress: the Gateway and the egress ServiceEntries", () => {
    let lab: Evaluation;
    before(async () => {
        lab = await evaluateConfig({ boutique: { namespace: "shop" }, cluster: { domain: "lab.internal" } });
    });

    it("serves HTTP on port 80 for any host through the pods of the ingress gateway chart", () => {
        const gateway = objectNamed(lab, "Gateway", "frontend-gateway");
        assert.equal(gateway.metadata.namespace, "shop");
        assert.deepEqual(gateway.spec.servers, [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }]);
        // The gateway chart labels its pods istio: <values.labels.istio, or the release name without "istio-">
        // (istio/istio 1.30.3, manifests/charts/gateway/templates/_helpers.tpl, gateway.selectorLabels).
        assert.deepEqual(gateway.spec.selector, { istio: "ingressgateway" });
        const ingressChart = chart(lab, "istio-ingressgateway").inputs;
        assert.equal(ingressChart.values.labels?.istio ?? ingressChart.name.replace(/^istio-/, ""), "ingressgateway");
        const http = chart(lab, "istio-ingressgateway").inputs.values.service.ports.find((p: { port: number }) => p.port === 80);
        assert.ok(http, "the gateway Service exposes the port the Gateway listens on");
    });

    it("declares upstream's two ServiceEntries in the shop's namespace", () => {
        const entries = objectsOfKind(lab, "ServiceEntry");
        assert.deepEqual([...entries.keys()].sort(), ["allow-egress-google-metadata", "allow-egress-googleapis"]);
        assert.deepEqual(entries.get("allow-egress-googleapis")!.spec.hosts, ["accounts.google.com", "*.googleapis.com"]);
        assert.deepEqual(entries.get("allow-egress-google-metadata")!.spec.addresses, ["169.254.169.254"]);
        for (const entry of entries.values()) {
            assert.equal(entry.metadata.namespace, "shop");
            assert.equal(entry.spec.location, "MESH_EXTERNAL");
        }
    });

    it("waits for istiod's validation webhook and the namespace before declaring Istio config", () => {
        for (const r of lab.resources.filter((r) => r.inputs.kind === "Gateway" || r.inputs.kind === "ServiceEntry")) {
            assert.ok(r.dependsOn.includes(chart(lab, "istiod").name), r.name);
            assert.ok(r.dependsOn.includes("lab-boutique-namespace"), r.name);
        }
    });
});
