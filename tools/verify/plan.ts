/**
 * From a scenario to the measurements that prove it: which page to probe for each declared behaviour,
 * what share or duration to expect there, and how a set of samples judges it. Pure functions.
 */
import { FRONTEND } from "../../catalog/boutique";
import { SHOP_PAGES, probePage } from "../../catalog/callgraph";
import { durationMs } from "../../config/duration";
import { FRONTEND_VERSIONS, FrontendVersion, Scenario, ServicePolicy } from "../../stacks";
import { VERSION_HEADER } from "../../components/istio-objects";
import { atLeastOnce, quantile, wilson } from "./stats";

/** One response as the prober saw it. */
export interface Sample {
    page: string;
    status: number;
    /** Wall time from request to the end of the response, in ms. */
    ms: number;
    /** The x-boutique-version header, when the response had one. */
    version?: string;
}

export type CheckKind = "split" | "delay" | "abort" | "timeout" | "retries" | "errors" | "latency";

/** A check: what it measures on which page, and how samples judge it. */
export interface Check {
    kind: CheckKind;
    name: string;
    page: string;
    declared: string;
    judge: (samples: Sample[]) => Verdict;
}

export interface Verdict {
    measured: string;
    /** The 95% interval of a measured share, when the check measures one. */
    interval?: [number, number];
    pass: boolean;
}

/** What a slow service's caller sees, given its mesh policy. */
export interface Outcome {
    fails: boolean;
    /** When the caller gets its answer (or its error), in ms. */
    ms: number;
    /** Tries Envoy makes: the first and its retries. */
    tries: number;
}

/** Envoy retries a try that hit its per-try timeout only on these conditions. */
const RETRIES_TIMEOUTS = ["5xx", "gateway-error"];

export function expectedOutcome(policy: ServicePolicy): Outcome {
    const latency = durationMs(policy.extraLatency ?? "0") ?? 0;
    const timeout = policy.timeout ? durationMs(policy.timeout)! : Infinity;
    const perTry = policy.retries?.perTryTimeout ? durationMs(policy.retries.perTryTimeout)! : Infinity;
    if (latency < Math.min(timeout, perTry)) return { fails: false, ms: latency, tries: 1 };
    const conditions = (policy.retries?.retryOn ?? "").split(",").map((c) => c.trim());
    const retried = policy.retries !== undefined && perTry < Infinity && conditions.some((c) => RETRIES_TIMEOUTS.includes(c));
    const tries = retried ? policy.retries!.attempts + 1 : 1;
    return { fails: true, ms: Math.min(timeout, tries * perTry), tries };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const onPage = (samples: Sample[], page: string) => samples.filter((s) => s.page === page);
const isError = (s: Sample) => s.status >= 400;

/** A share check: passes when the expected share lies inside the measured 95% interval. */
function shareCheck(kind: CheckKind, name: string, page: string, expected: number, what: string, hit: (s: Sample) => boolean): Check {
    return {
        kind,
        name,
        page,
        declared: `${percent(expected)} ${what}`,
        judge: (samples) => {
            const mine = onPage(samples, page);
            const hits = mine.filter(hit).length;
            const interval = wilson(hits, mine.length);
            return {
                measured: `${percent(mine.length ? hits / mine.length : 0)} (${hits}/${mine.length})`,
                interval,
                pass: mine.length > 0 && expected >= interval[0] && expected <= interval[1],
            };
        },
    };
}

/**
 * The window the median must fall in: 10% early at most (timers), late by a quarter plus 250ms
 * (scheduling, the frontend's own work) and Envoy's retry back-off (25ms base, at most 250ms a retry).
 */
export function tolerance(outcome: Outcome): [number, number] {
    return [outcome.ms * 0.9 - 50, outcome.ms * 1.25 + 250 + (outcome.tries - 1) * 250];
}

function resilienceCheck(service: string, policy: ServicePolicy): Check | undefined {
    const probe = probePage(service, true);
    if (probe === undefined) return undefined;
    const outcome = expectedOutcome(policy);
    const kind: CheckKind = policy.retries ? "retries" : "timeout";
    const [low, high] = tolerance(outcome);
    const declared = outcome.fails
        ? `fails after ${seconds(outcome.ms)}${outcome.tries > 1 ? ` (${outcome.tries} tries)` : ""}`
        : `answers after ${seconds(outcome.ms)}`;
    return {
        kind,
        name: `${kind}: ${service}`,
        page: probe.page,
        declared,
        judge: (samples) => {
            const mine = onPage(samples, probe.page);
            const wanted = mine.filter((s) => isError(s) === outcome.fails);
            const median = quantile(
                wanted.map((s) => s.ms),
                0.5,
            );
            const interval = wilson(wanted.length, mine.length);
            const inTime = median >= low && median <= high;
            return {
                measured: `${percent(mine.length ? wanted.length / mine.length : 0)} ${outcome.fails ? "failed" : "answered"}, median ${Number.isNaN(median) ? "-" : seconds(median)}`,
                interval,
                // Every probe must behave so: the interval of the share has to reach 100%.
                pass: mine.length > 0 && interval[1] >= 1 && inTime,
            };
        },
    };
}

/** Everything a scenario declares that a client of the shop can observe, as checks. */
export function planChecks(scenario: Scenario, options: { maxLatencyMs: number }): { checks: Check[]; skipped: string[] } {
    const checks: Check[] = [];
    const skipped: string[] = [];
    const home = "home";

    for (const version of Object.keys(FRONTEND_VERSIONS) as FrontendVersion[]) {
        const share = (scenario.frontend[version] ?? 0) / 100;
        if (share === 0 && version !== "original") continue;
        checks.push(shareCheck("split", `split: ${version}`, home, share, `answered by ${version} (${VERSION_HEADER})`, (s) => s.version === version));
    }

    let faults = false;
    for (const [service, policy] of Object.entries(scenario.services)) {
        if (!policy) continue;
        if (policy.delay) {
            faults = true;
            const probe = probePage(service, false);
            if (!probe) skipped.push(`delay on ${service}: no page of the shop calls it`);
            else {
                const threshold = durationMs(policy.delay.fixedDelay)! * 0.9;
                const expected = atLeastOnce(policy.delay.percentage / 100, probe.calls);
                checks.push(
                    shareCheck(
                        "delay",
                        `delay: ${service}`,
                        probe.page,
                        expected,
                        `of ${probe.page} pages slower than ${seconds(threshold)}`,
                        (s) => s.ms >= threshold,
                    ),
                );
            }
        }
        if (policy.abort) {
            faults = true;
            const probe = probePage(service, true);
            if (!probe) skipped.push(`abort on ${service}: no page fails when it does`);
            else {
                // The frontend answers a failed backend call with its own error page, HTTP 500.
                const status = service === FRONTEND ? policy.abort.httpStatus : 500;
                const expected = atLeastOnce(policy.abort.percentage / 100, probe.calls);
                checks.push(
                    shareCheck("abort", `abort: ${service}`, probe.page, expected, `of ${probe.page} pages answered ${status}`, (s) => s.status === status),
                );
            }
        }
        if (policy.timeout || policy.retries || policy.extraLatency) {
            faults = true;
            const check = resilienceCheck(service, policy);
            if (check) checks.push(check);
            else skipped.push(`timeout/retries on ${service}: no page fails when it does`);
        }
    }

    if (!faults) {
        checks.push(shareCheck("errors", "baseline: errors", home, 0, "of home pages answered with an error", isError));
        checks.push({
            kind: "latency",
            name: "baseline: latency",
            page: home,
            declared: `p95 under ${seconds(options.maxLatencyMs)}`,
            judge: (samples) => {
                const p95 = quantile(
                    onPage(samples, home).map((s) => s.ms),
                    0.95,
                );
                return { measured: `p95 ${Number.isNaN(p95) ? "-" : seconds(p95)}`, pass: p95 <= options.maxLatencyMs };
            },
        });
    }
    return { checks, skipped };
}

/** The pages the checks need, with their paths. */
export function pagesFor(checks: Check[]): { page: string; path: string }[] {
    return [...new Set(checks.map((c) => c.page))].map((page) => ({ page, path: SHOP_PAGES[page].path }));
}
