/**
 * Where an engine run's time goes: when each resource's step started and ended, read from the engine's
 * event stream (the Automation API's onEvent). The engine sends a ResourcePreEvent when a step starts
 * and a ResOutputsEvent or ResOpFailedEvent when it ends (pulumi/pulumi v3.248.0 pkg/engine/update.go,
 * OnResourceStepPre and OnResourceStepPost; a component's outputs event comes when it registers its
 * outputs, OnResourceOutputs). A refresh step's outputs event carries its result (same, update, delete)
 * instead of `refresh`, so the end is matched by URN. The engine's own timestamps are whole seconds
 * (pkg/backend/display/display.go, stampEvents: `int(time.Now().Unix())`), so each event is timed here
 * as it arrives instead, in milliseconds.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** One resource step of a run, in milliseconds since the run started. */
export interface StepTime {
    urn: string;
    type: string;
    /** The engine's operation: create, update, same, delete, replace, create-replacement, refresh, … */
    op: string;
    /** A custom resource (an object, a provider); false for a component, which ends when it registers its outputs. */
    custom: boolean;
    start: number;
    /** Missing while the step runs, or when the run stopped before it ended. */
    end?: number;
    failed?: boolean;
}

/** A run's timings as `npm run lab -- <command> <stack> --timings FILE` writes them. */
export interface Timings {
    stack: string;
    command: string;
    /** From the engine's start to its result, in seconds. */
    seconds: number;
    steps: StepTime[];
    /** Each resource's dependencies as the state records them: after the run, or before a `down`. */
    dependencies: Record<string, string[]>;
    /** Each resource's parent, from the same state. */
    parents: Record<string, string>;
}

/** Collects step times from engine events; `onEvent` goes to the Automation API. */
export class StepClock {
    private readonly origin: number;
    private readonly running = new Map<string, StepTime>();
    readonly steps: StepTime[] = [];

    constructor(private readonly now: () => number = Date.now) {
        this.origin = now();
    }

    readonly onEvent = (event: EngineEvent): void => {
        const at = this.now() - this.origin;
        const started = event.resourcePreEvent;
        // A preview's steps are plans: nothing ran.
        if (started && !started.planning) {
            const { urn, type, op } = started.metadata;
            const custom = (started.metadata.new ?? started.metadata.old)?.custom ?? false;
            const step: StepTime = { urn, type, op, custom, start: at };
            this.running.set(urn, step);
            this.steps.push(step);
            return;
        }
        const ended = event.resOutputsEvent ?? event.resOpFailedEvent;
        if (!ended) return;
        const step = this.running.get(ended.metadata.urn);
        if (!step) return;
        this.running.delete(ended.metadata.urn);
        step.end = at;
        if (event.resOpFailedEvent) step.failed = true;
    };

    /** Milliseconds since the clock started. */
    elapsed(): number {
        return this.now() - this.origin;
    }
}

/** Each resource's dependencies and parent, from an exported deployment's resources. */
export function stateRelations(deployment: {
    deployment?: { resources?: { urn: string; parent?: string; dependencies?: string[] }[] };
}): Pick<Timings, "dependencies" | "parents"> {
    const resources = deployment.deployment?.resources ?? [];
    return {
        dependencies: Object.fromEntries(resources.map((r) => [r.urn, r.dependencies ?? []])),
        parents: Object.fromEntries(resources.filter((r) => r.parent).map((r) => [r.urn, r.parent!])),
    };
}
