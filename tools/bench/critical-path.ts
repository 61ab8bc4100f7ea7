/**
 * The critical path of an engine run: the chain of resource steps, each waiting for the one before it,
 * that ends with the run's last step. On an up a step waits for its dependencies (the engine starts a
 * resource's step only once every resource it depends on is done); of those, the one that ended last
 * before the step started is what it waited for. A destroy deletes in layers and starts each only once
 * the one before has finished (pulumi/pulumi v3.248.0 pkg/resource/deploy/deployment_executor.go,
 * ScheduleDeletes and its antichains): a delete waited for whichever step ended last before it started.
 */
import type { StepTime, Timings } from "../../commands/timings";

/** Events arrive through the Automation API's event log a little after the engine sends them. */
const SLACK_MS = 300;

/** One step of the path, with what it waited for before it started. */
export interface PathStep {
    step: StepTime & { end: number };
    /** From the previous step's end (or the run's start) to this step's start, in ms. */
    gap: number;
}

function ended(step: StepTime): step is StepTime & { end: number } {
    return step.end !== undefined;
}

/**
 * Whether a step is work of its own: a component's step lasts until it registers its outputs, after
 * everything under it, and a provider is set up or dropped at once, after its last object on a down.
 */
function waits(step: StepTime): boolean {
    return step.custom && !step.type.startsWith("pulumi:providers:");
}

/**
 * What each resource's step waits for: its dependencies and its ancestors' (a chart's objects are
 * registered once the chart's dependencies are done), a component standing for the objects under it;
 * on a down, the layer before, so any step.
 */
function waitsFor(timings: Timings): (urn: string) => string[] {
    if (timings.command === "down") {
        const every = timings.steps.map((s) => s.urn);
        return () => every;
    }
    const parents = timings.parents ?? {};
    const children = new Map<string, string[]>();
    for (const [urn, parent] of Object.entries(parents)) children.set(parent, [...(children.get(parent) ?? []), urn]);
    const below = (urn: string): string[] => [urn, ...(children.get(urn) ?? []).flatMap(below)];
    const ancestors = (urn: string): string[] => (parents[urn] ? [parents[urn], ...ancestors(parents[urn])] : []);
    return (urn) => [urn, ...ancestors(urn)].flatMap((u) => timings.dependencies[u] ?? []).flatMap(below);
}

/** The chain of steps that ends last, first step first. */
export function criticalPath(timings: Timings): PathStep[] {
    const steps = timings.steps.filter(ended).filter(waits);
    if (steps.length === 0) return [];
    const byUrn = new Map<string, (StepTime & { end: number })[]>();
    for (const step of steps) byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
    const prerequisites = waitsFor(timings);
    const path: (StepTime & { end: number })[] = [];
    let current = steps.reduce((last, s) => (s.end > last.end ? s : last));
    for (;;) {
        path.unshift(current);
        const start = current.start;
        const before = prerequisites(current.urn)
            .flatMap((urn) => byUrn.get(urn) ?? [])
            // On a down, one layer's steps start together: what a step waited for started before it.
            .filter((s) => s.end <= start + SLACK_MS && !path.includes(s) && (timings.command !== "down" || s.start < start - SLACK_MS));
        if (before.length === 0) break;
        current = before.reduce((last, s) => (s.end > last.end ? s : last));
    }
    return path.map((step, i) => ({ step, gap: Math.max(0, step.start - (i === 0 ? 0 : path[i - 1].end)) }));
}

/** A namespaced object that goes with its namespace (components/teardown.ts) has no delete of its own. */
const SKIPPED = "; none when it goes with its namespace";

/** A resource's name as the engine shows it: the last part of its URN. */
function resourceName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/**
 * What the provider waits for in a step of this type (pulumi-kubernetes v4.25.0 provider/pkg/await,
 * the version the e2e runs; components/awaits.ts says which waits the lab keeps and why).
 */
export function whatItWaitsFor(step: Pick<StepTime, "type" | "op">): string {
    const deleting = step.op === "delete" || step.op === "delete-replaced";
    switch (step.type) {
        case "kubernetes:apps/v1:Deployment":
            return deleting
                ? `until it and its pods are gone (foreground deletion, await.go Deletion)${SKIPPED}`
                : "until Available with its new pods ready (deployment.go)";
        case "kubernetes:core/v1:Service":
            return deleting
                ? `until it is gone${SKIPPED}`
                : "istiod's (the webhooks' route): until its Endpoints stop changing for 10 s (service.go); any other: created (pulumi.com/skipAwait)";
        case "kubernetes:core/v1:Namespace":
            return deleting ? "until the namespace controller has deleted its content and finalized it" : "created";
        case "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition":
            return deleting ? "until the API server has removed it and its objects" : "created; the API server builds its schema";
        case "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration":
        case "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration":
            return deleting ? "until it is gone" : "until istiod has written its CA bundle (pulumi.com/waitFor)";
        default:
            return deleting ? `until it is gone${SKIPPED}` : "no await: done once the API server accepts it";
    }
}

/** The critical path as lines: when each step started, how long it took, and what it waited for. */
export function describePath(timings: Timings): string[] {
    const path = criticalPath(timings);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`.padStart(6);
    return path.map(
        ({ step, gap }) =>
            `  at ${s(step.start)}  after ${s(gap)}  took ${s(step.end - step.start)}  ${step.op} ${step.type.split(":").pop()} ${resourceName(step.urn)}: ${whatItWaitsFor(step)}`,
    );
}
