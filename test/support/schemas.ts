/**
 * Validates declared objects against their real OpenAPI schemas (kubernetes-models for Kubernetes,
 * @kubernetes-models/istio for Istio's CRDs, @kubernetes-models/gateway-api for the Gateway API's). Those packages are ES modules, so they are imported
 * dynamically; TypeScript keeps `import()` as is under module "node16".
 */
import type { DeclaredResource } from "../../mocks/evaluate";

interface ModelClass {
    new (data: unknown): { validate(): void };
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

function moduleFor(apiVersion: string): Promise<Record<string, unknown>> {
    const specifier = apiVersion.includes(".istio.io/")
        ? `@kubernetes-models/istio/${apiVersion}`
        : apiVersion.startsWith("gateway.networking.k8s.io/")
          ? `@kubernetes-models/gateway-api/${apiVersion}`
          : `kubernetes-models/${apiVersion.includes("/") ? apiVersion : "v1"}`;
    let loaded = modules.get(specifier);
    if (!loaded) {
        loaded = import(specifier) as Promise<Record<string, unknown>>;
        modules.set(specifier, loaded);
    }
    return loaded;
}

/** The model class for an object's apiVersion and kind; throws when none exists. */
export async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
    const model = (await moduleFor(apiVersion))[kind] as ModelClass | undefined;
    if (model === undefined) throw new Error(`no schema for ${apiVersion} ${kind}`);
    return model;
}

/** Validates one object; resolves to the schema's complaint, or undefined when it is valid. */
export async function schemaError(object: { apiVersion: string; kind: string }): Promise<string | undefined> {
    const Model = await modelFor(object.apiVersion, object.kind);
    try {
        new Model(object).validate();
        return undefined;
    } catch (error) {
        return (error as Error).message;
    }
}

/** Declared resources that are Kubernetes objects (not charts, components or providers). */
export function kubernetesObjects(resources: DeclaredResource[]): DeclaredResource[] {
    return resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && typeof r.inputs.kind === "string");
}
