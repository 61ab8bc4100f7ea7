/** Evaluating the program for a config in a test, and finding what it declared. */
import * as fs from "fs";
import { LabConfigInput } from "../../config/schema";
import { flattenConfig } from "./config";
import { DeclaredResource, Evaluation, evaluate, evaluateStack } from "../../mocks/evaluate";
import { stackFile } from "../../config/project";
import { extendTimeout } from "./runnable";

/**
 * The budget of one evaluation of the program: about 1 s here, and up to 10 s seen on a machine with a
 * load of 8 to 10 on its 2 cores. Each evaluation a hook or test makes adds it to its timeout
 * (test/support/runnable.ts), so a loaded machine is no reason to fail and a hang still is.
 */
export const EVALUATION_BUDGET_MS = 30_000;

/** What an evaluation answered: frozen, since every spec that asks for the same one shares it. */
function frozen<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const inner of Object.values(value)) frozen(inner);
    }
    return value;
}

const evaluations = new Map<string, Promise<Evaluation>>();
/** The mutant active when the kept evaluations were made (Stryker's `__stryker__.activeMutant`), null without one. */
let evaluatedWith: string | null = null;

/**
 * The program evaluates the same config to the same resources (test/ordering.spec.ts, determinism), so
 * one run of the suite evaluates each config once and the specs share the result. The ambient kubeconfig
 * is part of the key: the program pins its context.
 */
function once(key: unknown[], make: () => Promise<Evaluation>): Promise<Evaluation> {
    // Under mutation testing the process lives on from one mutant to the next: an evaluation made with
    // another mutant active (or none) says nothing about this one's program.
    const mutant = (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant ?? null;
    if (mutant !== evaluatedWith) {
        evaluations.clear();
        evaluatedWith = mutant;
    }
    const id = JSON.stringify([...key, process.env.KUBECONFIG ?? null]);
    let found = evaluations.get(id);
    if (found === undefined) {
        extendTimeout(EVALUATION_BUDGET_MS);
        found = make().then(frozen);
        evaluations.set(id, found);
        found.catch(() => evaluations.delete(id));
    }
    return found;
}

/** Evaluates the real program with a config written as a stack file would have it. */
export function evaluateConfig(config: LabConfigInput = {}, stack = "test"): Promise<Evaluation> {
    return once(["config", config, stack], () => evaluate(flattenConfig(config), stack));
}

/** An evaluation no spec shares (a downloader of its own, secrets): with its time budget, and fresh each time. */
export function evaluateAlone(...args: Parameters<typeof evaluate>): Promise<Evaluation> {
    extendTimeout(EVALUATION_BUDGET_MS);
    return evaluate(...args);
}

/** Evaluates `Pulumi.<stack>.yaml`, or any file in that format, as `npm run render` does. */
export function evaluatedStack(stack: string, file = stackFile(stack)): Promise<Evaluation> {
    return once(["stack", stack, file, fs.readFileSync(file, "utf8")], () => evaluateStack(stack, file));
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
