import { strict as assert } from "assert";
import { isPinned } from "../components/images";
import { Evaluation, evaluateStack, stackNames } from "../tools/evaluate";
import { kubernetesObjects, schemaError } from "./support/schemas";

describe("stacks: every Pulumi.<stack>.yaml evaluated as it is", () => {
    for (const stack of stackNames()) {
        describe(stack, () => {
            let lab: Evaluation;
            before(async () => {
                lab = await evaluateStack(stack);
            });

            it("validates every Kubernetes and Istio object against its real schema", async () => {
                const objects = kubernetesObjects(lab.resources);
                assert.ok(objects.length > 40, `found ${objects.length} objects`);
                const errors = [];
                for (const r of objects) {
                    const error = await schemaError(r.inputs as { apiVersion: string; kind: string });
                    if (error) errors.push(`${r.inputs.kind} ${r.inputs.metadata?.name}: ${error}`);
                }
                assert.deepEqual(errors, []);
            });

            it("gives every Kubernetes resource the lab's explicit provider", () => {
                const provider = lab.resources.find((r) => r.type === "pulumi:providers:kubernetes");
                assert.ok(provider);
                for (const r of lab.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
                    assert.equal(r.provider, provider.name, `${r.type} ${r.name}`);
                }
            });

            it("parents every resource to a component of the lab", () => {
                for (const r of lab.resources.filter((r) => r.name !== "lab")) assert.ok(r.parent, `${r.name} has a parent`);
            });

            it("names every resource uniquely and gives every object an explicit metadata.name", () => {
                const names = lab.resources.map((r) => r.name);
                assert.equal(new Set(names).size, names.length);
                for (const r of kubernetesObjects(lab.resources)) assert.ok(r.inputs.metadata?.name, `${r.name} has metadata.name`);
            });

            it("exports the shop URL, namespace, Istio version and pinned images", () => {
                const out = lab.outputs as Record<string, any>;
                assert.match(out.shopUrl, /^http:\/\//);
                assert.match(out.shopPortForward, /^kubectl .*port-forward svc\/istio-ingressgateway \d+:80$/);
                assert.equal(typeof out.namespace, "string");
                assert.match(out.istioVersion, /^\d+\.\d+\.\d+$/);
                assert.ok(out.images.length >= 15);
                for (const image of out.images) assert.ok(isPinned(image), `${image} is pinned`);
            });
        });
    }
});
