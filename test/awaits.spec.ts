import { strict as assert } from "assert";
import type * as pulumi from "@pulumi/pulumi";
import { skipServiceAwait } from "../components/awaits";
import { SKIP_AWAIT_ANNOTATION } from "../components/labels";
import { allOf, named, partsOf } from "../components/transforms";

const SERVICE = "kubernetes:core/v1:Service";

function service(name: string, namespace: string | undefined, type = "ClusterIP", annotations?: Record<string, string>): pulumi.ResourceTransformArgs {
    return {
        type: SERVICE,
        name: `lab-x:${name}`,
        custom: true,
        props: {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) },
            spec: { type },
        },
        opts: {},
    };
}

const annotationsOf = (result: pulumi.ResourceTransformResult | undefined | void | Promise<unknown>) =>
    (result as pulumi.ResourceTransformResult | undefined)?.props.metadata.annotations as Record<string, string> | undefined;

describe("awaits: the provider's waits the lab drops", () => {
    it("a ClusterIP or NodePort Service counts as created at once, its other annotations kept", () => {
        const result = skipServiceAwait(service("frontend", "online-boutique", "ClusterIP", { "boutique-mesh.io/exposure": "config" }));
        assert.deepEqual(annotationsOf(result), { "boutique-mesh.io/exposure": "config", [SKIP_AWAIT_ANNOTATION]: "true" });
        assert.equal(annotationsOf(skipServiceAwait(service("grafana", "istio-system", "NodePort")))?.[SKIP_AWAIT_ANNOTATION], "true");
    });

    it("istiod's Service keeps its wait: the API server calls the webhooks through it", () => {
        assert.equal(skipServiceAwait(service("istiod", "istio-system")), undefined);
        assert.equal(skipServiceAwait(service("istiod", undefined)), undefined, "a chart object without a namespace is in the release's");
        assert.equal(annotationsOf(skipServiceAwait(service("istiod", "online-boutique")))?.[SKIP_AWAIT_ANNOTATION], "true", "only istio-system's");
    });

    it("a LoadBalancer keeps what its values say, and an explicit choice is never overridden", () => {
        assert.equal(skipServiceAwait(service("istio-ingressgateway", "istio-system", "LoadBalancer")), undefined);
        assert.equal(skipServiceAwait(service("tracing", "istio-system", "ClusterIP", { [SKIP_AWAIT_ANNOTATION]: "false" })), undefined);
    });

    it("other kinds are left alone", () => {
        assert.equal(skipServiceAwait({ ...service("istiod", "istio-system"), type: "kubernetes:apps/v1:Deployment" }), undefined);
        assert.equal(skipServiceAwait({ ...service("frontend", "online-boutique"), type: "kubernetes:apps/v1:Deployment" }), undefined);
    });
});

describe("transforms: several as one call", () => {
    const addLabel = (key: string) =>
        named(`label(${key})`, (args) => ({
            props: { ...args.props, labels: { ...args.props.labels, [key]: String(Object.keys(args.props.labels ?? {}).length) } },
            opts: args.opts,
        }));
    const retain: pulumi.ResourceTransform = (args) => ({ props: args.props, opts: { ...args.opts, retainOnDelete: true } });
    const nothing: pulumi.ResourceTransform = () => undefined;
    const args: pulumi.ResourceTransformArgs = { type: "t", name: "n", custom: true, props: {}, opts: {} };

    it("applies each to what the one before returned, in order", async () => {
        const result = await allOf([addLabel("a"), nothing, addLabel("b"), retain])(args);
        assert.deepEqual(result?.props, { labels: { a: "0", b: "1" } });
        assert.deepEqual(result?.opts, { retainOnDelete: true });
    });

    it("changes nothing when none does, and is named after its parts, which the tools list", async () => {
        const other = named("other", () => undefined);
        const all = allOf([nothing, allOf([other, retain])]);
        assert.equal(await allOf([nothing, other])(args), undefined);
        assert.equal(all.name, "allOf(nothing, allOf(other, retain))");
        assert.deepEqual(partsOf(all), [nothing, other, retain]);
    });
});
