/**
 * What a page of the shop does under a scenario: every way it can end (the time the scenario adds,
 * the status it answers) with its probability, walked exactly through the page's calls in order
 * (commands/verify/callgraph.ts). The shop's own work takes no time here; verify measures it (plan.ts).
 */
import { FRONTEND } from "../../catalog/boutique";
import { Call, ShopPage } from "./callgraph";
import { durationMs } from "../../config/duration";
import { Scenario, ServicePolicy, retriesTimeouts } from "../../stacks";

/** What a slow service's caller sees, given its mesh policy. */
export interface Outcome {
    fails: boolean;
    /** When the caller gets its answer (or its error), in ms. */
    ms: number;
    /** Tries Envoy makes: the first and its retries. */
    tries: number;
}

export function expectedOutcome(policy: ServicePolicy): Outcome {
    const latency = durationMs(policy.extraLatency ?? "0") ?? 0;
    const timeout = policy.timeout ? durationMs(policy.timeout)! : Infinity;
    const perTry = policy.retries?.perTryTimeout ? durationMs(policy.retries.perTryTimeout)! : Infinity;
    if (latency < Math.min(timeout, perTry)) return { fails: false, ms: latency, tries: 1 };
    const retried = policy.retries !== undefined && perTry < Infinity && retriesTimeouts(policy.retries);
    const tries = retried ? policy.retries!.attempts + 1 : 1;
    return { fails: true, ms: Math.min(timeout, tries * perTry), tries };
}

/** One service's policy, in the terms the walk needs. */
export interface ServiceFaults {
    /** Istio's fault delay, at the caller's sidecar before the request leaves. */
    delay?: { p: number; ms: number };
    /** Istio's fault abort, after the delay: the call fails without reaching the service. */
    abort?: { p: number; status: number };
    /** The service's own latency against its timeout and retries. */
    outcome: Outcome;
    /** The route timeout, which also bounds the calls the service makes while serving. */
    timeoutMs?: number;
}

const UNTOUCHED: ServiceFaults = { outcome: { fails: false, ms: 0, tries: 1 } };

export function serviceFaults(policy: ServicePolicy | undefined): ServiceFaults {
    if (!policy) return UNTOUCHED;
    return {
        ...(policy.delay ? { delay: { p: policy.delay.percentage / 100, ms: durationMs(policy.delay.fixedDelay)! } } : {}),
        ...(policy.abort ? { abort: { p: policy.abort.percentage / 100, status: policy.abort.httpStatus } } : {}),
        outcome: expectedOutcome(policy),
        ...(policy.timeout ? { timeoutMs: durationMs(policy.timeout)! } : {}),
    };
}

export type Faults = (service: string) => ServiceFaults;

export function scenarioFaults(scenario: Scenario): Faults {
    return (service) => serviceFaults(scenario.services[service]);
}

/** One way a page can end. */
export interface Ending {
    p: number;
    /** Time the scenario adds to the page, in ms. */
    ms: number;
    status: number;
}

interface Branch {
    p: number;
    ms: number;
    failed: boolean;
}

/** Adds up branches that ended alike, and drops impossible ones. */
function merge<T extends { p: number; ms: number }>(items: T[], key: (t: T) => string): T[] {
    const byKey = new Map<string, T>();
    for (const item of items) {
        if (item.p <= 0) continue;
        const k = `${item.ms.toFixed(3)}|${key(item)}`;
        const seen = byKey.get(k);
        byKey.set(k, seen ? { ...seen, p: seen.p + item.p } : item);
    }
    return [...byKey.values()];
}
const mergeBranches = (items: Branch[]) => merge(items, (b) => String(b.failed));

/** A share p of the branches goes one way, the rest the other. */
function split(branches: Branch[], p: number, hit: (b: Branch) => Branch): Branch[] {
    return branches.flatMap((b) => (b.failed ? [b] : [hit({ ...b, p: b.p * p }), { ...b, p: b.p * (1 - p) }]));
}

/** One call, as its caller sees it. */
function callOnce(call: Call, faults: Faults): Branch[] {
    const f = faults(call.service);
    let branches: Branch[] = [{ p: 1, ms: 0, failed: false }];
    if (f.delay) branches = split(branches, f.delay.p, (b) => ({ ...b, ms: b.ms + f.delay!.ms }));
    if (f.abort) branches = split(branches, f.abort.p, (b) => ({ ...b, failed: true }));
    branches = branches.flatMap((b) => {
        if (b.failed) return [b];
        if (f.outcome.fails) return [{ ...b, ms: b.ms + f.outcome.ms, failed: true }];
        return sequence(call.nested ?? [], faults).map((n) => {
            const served = f.outcome.ms + n.ms;
            if (f.timeoutMs !== undefined && served >= f.timeoutMs) return { p: b.p * n.p, ms: b.ms + f.timeoutMs, failed: true };
            return { p: b.p * n.p, ms: b.ms + served, failed: n.failed };
        });
    });
    if (call.deadlineMs !== undefined) {
        const deadline = call.deadlineMs;
        branches = branches.map((b) => (b.ms >= deadline ? { ...b, ms: deadline, failed: true } : b));
    }
    return mergeBranches(branches);
}

/** Calls made in order, stopping at the first that fails. */
function sequence(calls: readonly Call[], faults: Faults): Branch[] {
    let states: Branch[] = [{ p: 1, ms: 0, failed: false }];
    for (const call of calls) {
        const once = callOnce(call, faults);
        for (let i = 0; i < call.times; i++) {
            states = mergeBranches(states.flatMap((s) => (s.failed ? [s] : once.map((o) => ({ p: s.p * o.p, ms: s.ms + o.ms, failed: o.failed })))));
        }
    }
    return states;
}

/** Every way the page can end under the faults, the frontend's own route included. */
export function pageEndings(page: ShopPage, faults: Faults): Ending[] {
    let handler: Ending[] = [{ p: 1, ms: 0, status: 200 }];
    for (const step of page.steps) {
        const result = sequence(step.calls, faults);
        handler = merge(
            handler.flatMap((s) =>
                s.status !== 200 ? [s] : result.map((r) => ({ p: s.p * r.p, ms: s.ms + r.ms, status: r.failed && step.fatal ? 500 : 200 })),
            ),
            (e) => String(e.status),
        );
    }
    // The frontend's route: its fault delay, then its abort (the handler never runs), then its timeout (504).
    const f = faults(FRONTEND);
    const delays = f.delay
        ? [
              { p: f.delay.p, ms: f.delay.ms },
              { p: 1 - f.delay.p, ms: 0 },
          ]
        : [{ p: 1, ms: 0 }];
    const abort = f.abort ?? { p: 0, status: 0 };
    const endings = delays.flatMap((d) => [
        { p: d.p * abort.p, ms: d.ms, status: abort.status },
        ...handler.map((h) => {
            const p = d.p * (1 - abort.p) * h.p;
            return f.timeoutMs !== undefined && h.ms >= f.timeoutMs ? { p, ms: d.ms + f.timeoutMs, status: 504 } : { p, ms: d.ms + h.ms, status: h.status };
        }),
    ]);
    return merge(endings, (e) => String(e.status));
}

/** Endings of several frontend versions, each weighted by its share of the traffic. */
export function mix(parts: { weight: number; endings: Ending[] }[]): Ending[] {
    return merge(
        parts.flatMap(({ weight, endings }) => endings.map((e) => ({ ...e, p: e.p * weight }))),
        (e) => String(e.status),
    );
}

/** The probability of the endings that match. */
export function probability(endings: Ending[], match: (e: Ending) => boolean): number {
    return endings.filter(match).reduce((sum, e) => sum + e.p, 0);
}

/** The median added time of the endings that match (weighted), NaN when none does. */
export function medianMs(endings: Ending[], match: (e: Ending) => boolean): number {
    const mine = endings.filter(match).sort((a, b) => a.ms - b.ms);
    const total = mine.reduce((sum, e) => sum + e.p, 0);
    let cumulative = 0;
    for (const e of mine) {
        cumulative += e.p;
        if (cumulative >= total / 2 - 1e-12) return e.ms;
    }
    return NaN;
}
