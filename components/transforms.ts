/**
 * Resource transforms as one unit. The engine calls every transform of a resource and of its ancestors
 * over gRPC, once each, with the resource's whole inputs (pulumi/pulumi v3.248.0 pkg/resource/deploy/
 * source_eval.go, RegisterResource: the walk over "resourceTransforms"; sdk/nodejs/runtime/callbacks.ts
 * serves each call): a CRD of Istio's base chart is tens of kilobytes each way. Several transforms
 * given as one make one call per resource instead of one per transform.
 */
import type * as pulumi from "@pulumi/pulumi";

/** A transform made by a factory, named for what it does, as `npm run render` lists it. */
export function named(name: string, transform: pulumi.ResourceTransform): pulumi.ResourceTransform {
    return Object.defineProperty(transform, "name", { value: name });
}

/** The object with entries added to its labels or annotations; the rest as it was. */
export function withMetadata(
    args: pulumi.ResourceTransformArgs,
    field: "labels" | "annotations",
    entries: Record<string, string>,
): pulumi.ResourceTransformResult {
    const object = args.props as { metadata?: Record<string, unknown> & { labels?: Record<string, string>; annotations?: Record<string, string> } };
    return { props: { ...object, metadata: { ...object.metadata, [field]: { ...object.metadata?.[field], ...entries } } }, opts: args.opts };
}

/** A transform made of others, which it keeps in `parts` for the tools that list transforms by name. */
export type Composed = pulumi.ResourceTransform & { parts: pulumi.ResourceTransform[] };

/** The transforms a transform is made of: its parts, or itself. */
export function partsOf(transform: pulumi.ResourceTransform): pulumi.ResourceTransform[] {
    return (transform as Partial<Composed>).parts?.flatMap(partsOf) ?? [transform];
}

/**
 * The transforms applied in order as one, each to what the one before returned; named after its parts.
 * Unchanged (undefined) when none of them changed anything.
 */
export function allOf(transforms: pulumi.ResourceTransform[]): Composed {
    const composed = named(`allOf(${transforms.map((t) => t.name).join(", ")})`, async (args) => {
        let current = args;
        let changed = false;
        for (const transform of transforms) {
            const result = await transform(current);
            if (result === undefined) continue;
            current = { ...current, props: result.props, opts: result.opts };
            changed = true;
        }
        return changed ? { props: current.props, opts: current.opts } : undefined;
    });
    return Object.assign(composed, { parts: transforms });
}
