import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import * as os from "os";
import * as path from "path";
import { expandHome } from "../components/cluster/kubeconfig";
import { labImages, shopAccess } from "../components/images/inventory";
import { parseLabConfig } from "../config/schema";
import { SCENARIOS } from "../stacks";
import { evaluateConfig } from "./support/lab";

describe("lab: cluster target and outputs", () => {
    it("targets the ambient kubeconfig and context when none is configured", async () => {
        const lab = await evaluateConfig();
        const provider = lab.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.equal(provider.inputs.kubeconfig, undefined);
        assert.equal(provider.inputs.context, undefined);
    });

    it("updates ConfigMaps in place with both providers, kind or not, as the offline diff assumes (no replacement when data changes)", async () => {
        for (const lab of [await evaluateConfig(), await evaluateConfig({ cluster: { kind: { enabled: true } } })]) {
            const providers = lab.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
            assert.equal(providers.length, 2);
            // Provider inputs travel as strings (the SDK serializes them so for the engine).
            for (const provider of providers) assert.equal(provider.inputs.enableConfigMapMutable, "true", provider.name);
        }
    });

    it("passes a configured kubeconfig (with ~ expanded) and context to the provider and to kubectl hints", async () => {
        const lab = await evaluateConfig({ cluster: { kubeconfig: "~/.kube/lab.yaml", context: "kind-lab" } });
        const provider = lab.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.equal(provider.inputs.kubeconfig, path.join(os.homedir(), ".kube/lab.yaml"));
        assert.equal(provider.inputs.context, "kind-lab");
        assert.equal(
            lab.outputs.shopPortForward,
            "kubectl --kubeconfig ~/.kube/lab.yaml --context kind-lab -n istio-system port-forward svc/istio-ingressgateway 8080:80",
        );
        assert.equal(expandHome("/abs/path"), "/abs/path");
    });

    it("gives the load balancer's address as the shop URL once there is one, the port-forward otherwise", () => {
        const lb = parseLabConfig({ istio: { ingress: { type: "LoadBalancer" } } });
        assert.equal(shopAccess(lb, "test", "203.0.113.7").url, "http://203.0.113.7/");
        assert.equal(shopAccess(lb, "test", undefined).url, "http://localhost:8080/");
        assert.match(shopAccess(lb, "test", undefined).note, /run the port-forward/);
        const nodePort = parseLabConfig({ istio: { ingress: { type: "NodePort", httpNodePort: 31000 } } });
        assert.match(shopAccess(nodePort, "test").note, /:31000\//);
    });

    it("lists every image once, Istio's included, after the mirrors", () => {
        const images = labImages(parseLabConfig({ images: { mirrors: { "docker.io": "m.lab/hub" } } }), [SCENARIOS.baseline]);
        assert.equal(new Set(images).size, images.length);
        assert.ok(images.includes(`m.lab/hub/istio/pilot:${DEFAULT_ISTIO_VERSION}`));
        assert.ok(images.includes(`m.lab/hub/istio/proxyv2:${DEFAULT_ISTIO_VERSION}`));
        assert.ok(images.some((i) => i.startsWith("m.lab/hub/library/busybox:1.38.0@sha256:")));
        assert.ok(!images.some((i) => i.includes("tetratelabs")), "the v1 frontend is pulled only when routed to");
        const canary = labImages(parseLabConfig({ images: { mirrors: { "gcr.io": "m.lab/gcr" } } }), [SCENARIOS.canary]);
        assert.ok(canary.includes("m.lab/gcr/tetratelabs/boutique-frontend:1.0.0"));
    });

    it("exports the namespace, Istio version and scenario it was configured with", async () => {
        const lab = await evaluateConfig({ boutique: { namespace: "shop" }, istio: { version: "1.29.2" } });
        assert.equal(lab.outputs.namespace, "shop");
        assert.equal(lab.outputs.istioVersion, "1.29.2");
        assert.equal(lab.outputs.scenario, "baseline");
    });
});
