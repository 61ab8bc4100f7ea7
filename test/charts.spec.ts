import { strict as assert } from "assert";
import { parseLabConfig } from "../config/schema";
import { EGRESS_GATEWAY, INGRESS_GATEWAY, baseValues, gatewayValues, istiodValues } from "../components/mesh/charts";
import { meshTracing } from "../components/mesh/tracing";

type Values = Record<string, any>;

describe("charts: the values the lab gives Istio's base, istiod and gateway charts", () => {
    it("base: the default revision and the Istio namespace", () => {
        const values: Values = baseValues("1.31.1");
        assert.equal(values.defaultRevision, "default");
        assert.deepEqual(values.global, { istioNamespace: "istio-system" });
    });

    it("istiod: the demo profile's Prometheus merge, and a proxy tracer only when the mesh names one", () => {
        const { istio } = parseLabConfig({});
        const telemetry: Values = istiodValues(istio, {}, "cluster.local", meshTracing("1.31.1", "zipkin", 100, "cluster.local"));
        assert.equal(telemetry.meshConfig.enablePrometheusMerge, true);
        assert.equal(telemetry.meshConfig.accessLogFile, "/dev/stdout");
        assert.ok(!("tracer" in telemetry.global.proxy), "Istio 1.31 traces through the Telemetry API: no proxy tracer value");
        const none: Values = istiodValues(istio, {}, "cluster.local", meshTracing("1.31.1", "none", 100, "cluster.local"));
        assert.equal(none.global.proxy.tracer, "none");
    });

    it("gateways: every Service port is TCP, and only a NodePort ingress pins the HTTP node port", () => {
        const nodePort: Values = gatewayValues(INGRESS_GATEWAY, { type: "NodePort", httpNodePort: 30080 });
        assert.deepEqual(
            nodePort.service.ports.map((p: Values) => [p.name, p.protocol, p.nodePort]),
            [
                ["status-port", "TCP", undefined],
                ["http2", "TCP", 30080],
                ["https", "TCP", undefined],
            ],
        );
        const clusterIp: Values = gatewayValues(EGRESS_GATEWAY, { type: "ClusterIP" });
        assert.deepEqual(
            clusterIp.service.ports.map((p: Values) => [p.name, p.protocol, "nodePort" in p]),
            [
                ["status-port", "TCP", false],
                ["http2", "TCP", false],
                ["https", "TCP", false],
            ],
        );
    });
});
