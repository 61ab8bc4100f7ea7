import { strict as assert } from "assert";
import { evaluatedStack } from "./support/lab";
import { isPinned } from "../components/images/references";
import { Evaluation } from "../mocks/evaluate";
import { shippedStacks } from "../config/project";
import { kubernetesObjects, schemaError } from "./support/schemas";

describe("stacks: every Pulumi.<stack>.yaml evaluated as it is", () => {
    for (const stack of shippedStacks()) {
        describe(stack, () => {
            let lab: Evaluation;
            before(async () => {
                lab = await evaluatedStack(stack);
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

            it("gives every Kubernetes resource the lab's explicit provider, the CRDs (Istio's base chart, the Gateway API's bundle) its adopting twin", () => {
                const providers = new Map(lab.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => [r.name, r]));
                assert.deepEqual([...providers.keys()].sort(), ["lab-cluster-adopting-provider", "lab-cluster-provider"]);
                const { upsertExistingObjects, ...sameCluster } = providers.get("lab-cluster-adopting-provider")!.inputs;
                assert.equal(upsertExistingObjects, "true", "provider settings reach the engine as strings");
                assert.deepEqual(sameCluster, providers.get("lab-cluster-provider")!.inputs, "the same cluster");
                for (const r of lab.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
                    const crds = (r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "istio-base") || r.type === "kubernetes:yaml/v2:ConfigGroup";
                    assert.equal(r.provider, crds ? "lab-cluster-adopting-provider" : "lab-cluster-provider", `${r.type} ${r.name}`);
                }
            });

            it("parents every resource to the component of the lab whose name it carries", () => {
                const components = new Set(lab.resources.filter((r) => r.type.startsWith("boutique-mesh:index:")).map((r) => r.name));
                assert.deepEqual(
                    lab.resources.filter((r) => r.name === "lab").map((r) => [r.type, r.parent]),
                    [["boutique-mesh:index:Lab", undefined]],
                );
                for (const r of lab.resources.filter((r) => r.name !== "lab")) {
                    assert.ok(r.parent !== undefined && components.has(r.parent), `${r.name}'s parent ${r.parent} is a component of the lab`);
                    assert.ok(r.name.startsWith(`${r.parent}-`), `${r.name} is named after its parent ${r.parent}`);
                }
                // Each shop's parts: under the Lab for the single shop, under a Shop per classroom shop (lab-shop-<name>).
                const shops = (lab.outputs.shops as { name: string; namespace: string }[] | null) ?? [{ name: "", namespace: "online-boutique" }];
                const shopOf = (shop: { name: string }) => (shop.name === "" ? "lab" : `lab-shop-${shop.name}`);
                const parts = (part: string) => new Set(shops.map((shop) => `${shopOf(shop)}-${part}`));
                const parentOf = (kind: string) => new Set(lab.resources.filter((r) => r.inputs.kind === kind).map((r) => r.parent));
                assert.deepEqual(new Set([...parentOf("VirtualService"), ...parentOf("HTTPRoute")]), parts("traffic"));
                // The shop's edge is the Ingress's; an ambient waypoint comes and goes with the scenario's in-mesh routes.
                const gatewayParents = (waypoint: boolean) =>
                    new Set(
                        lab.resources
                            .filter((r) => r.inputs.kind === "Gateway" && (r.inputs.spec?.gatewayClassName === "istio-waypoint") === waypoint)
                            .map((r) => r.parent),
                    );
                assert.deepEqual(gatewayParents(false), parts("ingress"));
                assert.ok([0, 1].includes(gatewayParents(true).size) && [...gatewayParents(true)].every((p) => p !== undefined && parts("traffic").has(p)));
                for (const shop of shops)
                    assert.deepEqual(
                        new Set(
                            lab.resources
                                .filter(
                                    (r) => r.inputs.kind === "Deployment" && r.inputs.metadata.namespace === shop.namespace && !r.name.includes("-traffic-"),
                                )
                                .map((r) => r.parent),
                        ),
                        new Set([`${shopOf(shop)}-boutique`]),
                    );
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
                // A single lab's namespace, or a classroom's shops, each in its own.
                if (out.shops === null) assert.equal(typeof out.namespace, "string");
                else assert.ok(out.namespace === null && out.shops.length > 1 && out.shops.every((s: any) => typeof s.namespace === "string"));
                assert.match(out.istioVersion, /^\d+\.\d+\.\d+$/);
                assert.ok(out.images.length >= 15);
                for (const image of out.images) assert.ok(isPinned(image), `${image} is pinned`);
            });
        });
    }
});
