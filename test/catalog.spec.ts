import { strict as assert } from "assert";
import { BOUTIQUE_SERVICES, EXTERNAL_ADDRESSES, REDIS_IMAGE, BUSYBOX_IMAGE } from "../catalog/boutique";
import { isPinned } from "../components/images/references";
import { addressOf } from "../components/shop/workloads";

/** The release's Deployments with container port and Service port (upstream v0.10.6 manifests). */
const UPSTREAM: Record<string, { container?: number; service?: number; portName?: string }> = {
    frontend: { container: 8080, service: 80, portName: "http" },
    adservice: { container: 9555, service: 9555, portName: "grpc" },
    currencyservice: { container: 7000, service: 7000, portName: "grpc" },
    cartservice: { container: 7070, service: 7070, portName: "grpc" },
    "redis-cart": { container: 6379, service: 6379, portName: "tcp-redis" },
    loadgenerator: {},
    recommendationservice: { container: 8080, service: 8080, portName: "grpc" },
    checkoutservice: { container: 5050, service: 5050, portName: "grpc" },
    emailservice: { container: 8080, service: 5000, portName: "grpc" },
    paymentservice: { container: 50051, service: 50051, portName: "grpc" },
    shippingservice: { container: 50051, service: 50051, portName: "grpc" },
    productcatalogservice: { container: 3550, service: 3550, portName: "grpc" },
};

describe("catalog: Online Boutique v0.10.6 as data", () => {
    it("has the release's twelve Deployments, each once", () => {
        assert.deepEqual(BOUTIQUE_SERVICES.map((s) => s.name).sort(), Object.keys(UPSTREAM).sort());
    });

    for (const service of BOUTIQUE_SERVICES) {
        it(`${service.name}: ports, port name and probes as upstream`, () => {
            const upstream = UPSTREAM[service.name];
            assert.equal(service.containerPort?.port, upstream.container);
            assert.equal(service.service?.port, upstream.service);
            assert.equal(service.service?.portName, upstream.portName);
            if (service.containerPort === undefined) return;
            for (const probe of [service.readinessProbe, service.livenessProbe]) {
                assert.ok(probe, "probes are set");
                const port = "grpc" in probe ? probe.grpc.port : "tcpSocket" in probe ? probe.tcpSocket.port : probe.httpGet.port;
                assert.equal(port, upstream.container, "a probe checks the port the container listens on");
            }
        });
    }

    it("probes: native gRPC for the gRPC services, HTTP /_healthz with a Cookie for the frontend, TCP for redis", () => {
        for (const s of BOUTIQUE_SERVICES) {
            const probe = s.readinessProbe;
            if (s.name === "frontend")
                assert.ok(probe && "httpGet" in probe && probe.httpGet.path === "/_healthz" && probe.httpGet.httpHeaders[0].name === "Cookie");
            else if (s.name === "redis-cart") assert.ok(probe && "tcpSocket" in probe);
            else if (s.service) assert.ok(probe && "grpc" in probe, `${s.name} uses a native gRPC probe`);
        }
    });

    it("every *_ADDR variable names a service of the catalog at its Service port", () => {
        for (const s of BOUTIQUE_SERVICES) {
            for (const entry of s.env) {
                if (!("addressOf" in entry)) continue;
                const address = addressOf(entry.addressOf);
                if (entry.addressOf in EXTERNAL_ADDRESSES) continue;
                const target = BOUTIQUE_SERVICES.find((t) => t.name === entry.addressOf);
                assert.ok(target?.service, `${s.name}.${entry.name} points at ${entry.addressOf}, which has a Service`);
                assert.equal(address, `${target.name}:${target.service.port}`);
            }
        }
        assert.equal(addressOf("emailservice"), "emailservice:5000", "callers use the Service port, not the container's 8080");
    });

    it("every request is at most its limit, and all are set", () => {
        const cpu = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
        const mem = (q: string) => Number(q.replace(/Mi$/, ""));
        for (const s of BOUTIQUE_SERVICES) {
            assert.ok(cpu(s.resources.requests.cpu) <= cpu(s.resources.limits.cpu), s.name);
            assert.ok(mem(s.resources.requests.memory) <= mem(s.resources.limits.memory), s.name);
        }
    });

    it("third-party images are pinned by digest, and every image of the release is pinned", () => {
        assert.ok(isPinned(REDIS_IMAGE) && REDIS_IMAGE.includes("@sha256:"));
        assert.ok(isPinned(BUSYBOX_IMAGE) && BUSYBOX_IMAGE.includes("@sha256:"));
        for (const s of BOUTIQUE_SERVICES) assert.ok(isPinned(s.image("v0.10.6")), s.image("v0.10.6"));
    });
});
