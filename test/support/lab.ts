/** Evaluating the program for a config in a test, and finding what it declared. */
import { LabConfigInput } from "../../config/schema";
import { flattenConfig } from "../../config/stack";
import { DeclaredResource, Evaluation, evaluate } from "../../tools/evaluate";

/** Evaluates the real program with a config written as a stack file would have it. */
export function evaluateConfig(config: LabConfigInput = {}, stack = "test"): Promise<Evaluation> {
    return evaluate(flattenConfig(config as Record<string, unknown>), stack);
}

/** Kubernetes objects of one kind (in one namespace, when given), by `metadata.name`. */
export function objectsOfKind(evaluation: Evaluation, kind: string, namespace?: string): Map<string, Record<string, any>> {
    return new Map(
        evaluation.resources
            .filter((r) => r.inputs.kind === kind && r.inputs.metadata?.name !== undefined)
            .filter((r) => namespace === undefined || r.inputs.metadata.namespace === namespace)
            .map((r) => [r.inputs.metadata.name as string, r.inputs]),
    );
}

/** The Istio charts (base, istiod, gateways) by release name, leaving out the addons. */
export function istioCharts(evaluation: Evaluation): Map<string, DeclaredResource> {
    return new Map([...charts(evaluation)].filter(([, r]) => ["base", "istiod", "gateway"].includes(String(r.inputs.chart).split("/").pop()!)));
}

/** The one Kubernetes object of a kind and name; fails the test when missing. */
export function objectNamed(evaluation: Evaluation, kind: string, name: string): Record<string, any> {
    const found = objectsOfKind(evaluation, kind).get(name);
    if (found === undefined) throw new Error(`no ${kind} named ${name} was declared`);
    return found;
}

/** Declared Helm charts by release name. */
export function charts(evaluation: Evaluation): Map<string, DeclaredResource> {
    return new Map(evaluation.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => [r.inputs.name as string, r]));
}

export function chart(evaluation: Evaluation, release: string): DeclaredResource {
    const found = charts(evaluation).get(release);
    if (found === undefined) throw new Error(`no chart release ${release} was declared`);
    return found;
}

/** The resource of a given type and name. */
export function resource(evaluation: Evaluation, type: string, name: string): DeclaredResource {
    const found = evaluation.resources.find((r) => r.type === type && r.name === name);
    if (found === undefined) throw new Error(`no ${type} named ${name} was declared`);
    return found;
}
