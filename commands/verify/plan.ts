/**
 * From a scenario to the measurements that prove it: which page to probe for each declared behaviour,
 * what share or duration to expect there, and how a set of samples judges it. Pure functions.
 */
import { BoutiqueRelease, FRONTEND } from "../../catalog/boutique";
import { CALL_GRAPHS, CHECKOUT_ONLY, FrontendCode, PageName, SHOP_PAGE_NAMES, ShopPage, callsTo, frontendCode, pageCalls } from "./callgraph";
import { durationMs } from "../../config/duration";
import { FRONTEND_VERSIONS, FrontendVersion, Scenario, ServicePolicy } from "../../stacks";
import { VERSION_HEADER } from "../../components/routing/objects";
import { Ending, Faults, Outcome, expectedOutcome, medianMs, mix, pageEndings, probability, scenarioFaults } from "./model";
import { quantile, wilson } from "./stats";

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
    page: PageName;
    declared: string;
    judge: (samples: Sample[]) => Verdict;
}

export interface Verdict {
    measured: string;
    /** The 95% interval of a measured share, when the check measures one. */
    interval?: [number, number];
    pass: boolean;
}

/** What the plan needs to know besides the scenario. */
export interface PlanOptions {
    /** Baseline: the 95th percentile of home page times must stay under this. */
    maxLatencyMs: number;
    /** The frontend code each version runs (undefined: unknown); see frontendCodes. */
    codes: Readonly<Record<FrontendVersion, FrontendCode | undefined>>;
}

/**
 * The code each routed frontend version runs: `original` the release's own frontend, the others by
 * their image. Issue 11 makes v1's image configurable: pass the configured image here instead of
 * the built-in one, and nothing else changes.
 */
export function frontendCodes(
    release: BoutiqueRelease,
    images: Readonly<Record<FrontendVersion, string | undefined>>,
): Record<FrontendVersion, FrontendCode | undefined> {
    return Object.fromEntries((Object.keys(FRONTEND_VERSIONS) as FrontendVersion[]).map((v) => [v, frontendCode(release, images[v])])) as Record<
        FrontendVersion,
        FrontendCode | undefined
    >;
}

/** The images the scenario's versions run today (built in). */
export const BUILT_IN_IMAGES: Readonly<Record<FrontendVersion, string | undefined>> = Object.fromEntries(
    Object.entries(FRONTEND_VERSIONS).map(([v, { image }]) => [v, image]),
) as Record<FrontendVersion, string | undefined>;

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const seconds = (ms: number) => (Number.isNaN(ms) ? "-" : `${(ms / 1000).toFixed(2)}s`);
const onPage = (samples: Sample[], page: string) => samples.filter((s) => s.page === page);
const isError = (s: { status: number }) => s.status >= 400;
const inInterval = (share: number, interval: [number, number]) => share >= interval[0] - 1e-9 && share <= interval[1] + 1e-9;

/** A share check: passes when the expected share lies inside the measured 95% interval. */
function shareCheck(kind: CheckKind, name: string, page: PageName, expected: number, what: string, hit: (s: Sample) => boolean): Check {
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
                pass: mine.length > 0 && inInterval(expected, interval),
            };
        },
    };
}

/**
 * The window a median time must fall in: 10% early at most (timers), late by a quarter plus 250ms
 * (scheduling, the frontend's own work) and Envoy's retry back-off (25ms base, at most 250ms a retry).
 */
export function tolerance(outcome: Pick<Outcome, "ms" | "tries">): [number, number] {
    return [outcome.ms * 0.9 - 50, outcome.ms * 1.25 + 250 + (outcome.tries - 1) * 250];
}

/** A routed version: its share of the traffic and its call graph. */
interface Routed {
    version: FrontendVersion;
    weight: number;
    pages?: Readonly<Record<PageName, ShopPage>>;
}

/** Calls to the service a page makes, averaged over the routed versions (the frontend route: one per page). */
function exposure(routed: Routed[], page: PageName, service: string, fatalOnly: boolean): number {
    return routed.reduce((sum, r) => {
        if (service === FRONTEND) return sum + r.weight;
        const calls = callsTo(r.pages![page], service);
        return sum + r.weight * (fatalOnly ? calls.fatal : calls.calls);
    }, 0);
}

/** The pages that show the service's fault most plainly: the fewest (fatal) calls to it, and at least one. */
function bestPages(routed: Routed[], service: string, fatalOnly: boolean): PageName[] {
    const scored = SHOP_PAGE_NAMES.map((page) => ({ page, score: exposure(routed, page, service, fatalOnly) })).filter((s) => s.score > 0);
    const best = Math.min(...scored.map((s) => s.score));
    return scored.filter((s) => Math.abs(s.score - best) < 1e-9).map((s) => s.page);
}

/** Why a service's fault cannot be seen on the pages verify probes. */
function unseen(routed: Routed[], service: string, fatalOnly: boolean): string {
    if (CHECKOUT_ONLY.includes(service)) return "only POST /cart/checkout reaches it, and verify sends only GETs";
    if (fatalOnly && bestPages(routed, service, false).length > 0) return "no page fails when it does (the frontend only logs its failures)";
    return "no page of the shop calls it";
}

/** The delay one delayed call adds on the page: the fault's delay, cut short by the caller's deadline. */
function addedByOneDelay(routed: Routed[], page: PageName, service: string, delayMs: number): number {
    if (service === FRONTEND) return delayMs;
    const deadlines = routed.flatMap((r) =>
        pageCalls(r.pages![page])
            .filter(({ call }) => call.service === service)
            .map(({ call }) => call.deadlineMs ?? Infinity),
    );
    return Math.min(delayMs, ...deadlines);
}

/**
 * A delay check: the share of pages at least half a delayed call's time slower than the page would be
 * without that delay (`undelayed`: the same scenario with this service's delay taken out; its fastest
 * ending is the reference), and their median extra time. In the samples the reference is measured, not
 * assumed: the median of the fastest share the model expects undelayed (when at least 20% are; else the
 * model's own).
 */
function delayCheck(service: string, page: PageName, endings: Ending[], undelayed: Ending[], addedMs: number): Check {
    const base = Math.min(...undelayed.map((e) => e.ms));
    const half = addedMs / 2;
    const slowed = (e: Ending) => e.ms - base >= half;
    const expected = probability(endings, slowed);
    const extra = medianMs(endings, slowed) - base;
    const [low, high] = tolerance({ ms: extra, tries: 1 });
    return {
        kind: "delay",
        name: `delay: ${service}`,
        page,
        declared: `${percent(expected)} of ${page} pages about ${seconds(extra)} slower`,
        judge: (samples) => {
            const mine = onPage(samples, page);
            const times = mine.map((s) => s.ms);
            const reference = 1 - expected >= 0.2 ? quantile(times, (1 - expected) / 2) : base;
            const hits = times.filter((ms) => ms >= reference + half).map((ms) => ms - reference);
            const interval = wilson(hits.length, mine.length);
            const median = quantile(hits, 0.5);
            const inTime = hits.length === 0 ? expected === 0 : median >= low && median <= high;
            return {
                measured: `${percent(mine.length ? hits.length / mine.length : 0)} (${hits.length}/${mine.length}) over ${seconds(reference + half)}, median +${seconds(median)}`,
                interval,
                pass: mine.length > 0 && inInterval(expected, interval) && inTime,
            };
        },
    };
}

/** A timeout or retries check: the share of pages that fail (or answer) as the policy implies, and their median time. */
function resilienceCheck(service: string, policy: ServicePolicy, page: PageName, endings: Ending[]): Check {
    const outcome = expectedOutcome(policy);
    const kind: CheckKind = policy.retries ? "retries" : "timeout";
    const wanted = (s: { status: number }) => isError(s) === outcome.fails;
    const expected = probability(endings, wanted);
    const ms = medianMs(endings, wanted);
    const [low, high] = tolerance({ ms, tries: outcome.tries });
    const verb = outcome.fails ? "fails" : "answers";
    const share = Math.abs(expected - 1) < 1e-9 ? "" : `${percent(expected)} `;
    return {
        kind,
        name: `${kind}: ${service}`,
        page,
        declared: `${share}${verb} after ${seconds(ms)}${outcome.tries > 1 ? ` (${outcome.tries} tries)` : ""}`,
        judge: (samples) => {
            const mine = onPage(samples, page);
            const hits = mine.filter(wanted);
            const median = quantile(
                hits.map((s) => s.ms),
                0.5,
            );
            const interval = wilson(hits.length, mine.length);
            return {
                measured: `${percent(mine.length ? hits.length / mine.length : 0)} ${outcome.fails ? "failed" : "answered"}, median ${seconds(median)}`,
                interval,
                pass: mine.length > 0 && inInterval(expected, interval) && median >= low && median <= high,
            };
        },
    };
}

/** A check waiting for its page: the pages that show it equally plainly, and how to build it on one. */
interface Pending {
    pages: PageName[];
    build: (page: PageName) => Check;
}

/** Everything a scenario declares that a client of the shop can observe, as checks. */
export function planChecks(scenario: Scenario, options: PlanOptions): { checks: Check[]; skipped: string[] } {
    const checks: Check[] = [];
    const skipped: string[] = [];
    const home: PageName = "home";

    const routed: Routed[] = (Object.keys(FRONTEND_VERSIONS) as FrontendVersion[])
        .map((version) => {
            const code = options.codes[version];
            return { version, weight: (scenario.frontend[version] ?? 0) / 100, ...(code ? { pages: CALL_GRAPHS[code] } : {}) };
        })
        .filter((r) => r.weight > 0);

    for (const version of Object.keys(FRONTEND_VERSIONS) as FrontendVersion[]) {
        const share = (scenario.frontend[version] ?? 0) / 100;
        if (share === 0 && version !== "original") continue;
        checks.push(shareCheck("split", `split: ${version}`, home, share, `answered by ${version} (${VERSION_HEADER})`, (s) => s.version === version));
    }

    const unknown = routed.filter((r) => r.pages === undefined).map((r) => r.version);
    const faults = scenarioFaults(scenario);
    const endingsOf = (page: PageName, f = faults) => mix(routed.map((r) => ({ weight: r.weight, endings: pageEndings(r.pages![page], f) })));
    const withoutDelayOf =
        (service: string): Faults =>
        (s) =>
            s === service ? { ...faults(s), delay: undefined } : faults(s);

    const pending: Pending[] = [];
    let declared = false;
    const want = (what: string, service: string, fatalOnly: boolean, build: (page: PageName) => Check) => {
        if (unknown.length > 0) {
            skipped.push(`${what} on ${service}: verify does not know the calls of frontend ${unknown.join(", ")} (its image's code)`);
            return;
        }
        const pages = bestPages(routed, service, fatalOnly);
        if (pages.length === 0) skipped.push(`${what} on ${service}: ${unseen(routed, service, fatalOnly)}`);
        else pending.push({ pages, build });
    };

    for (const [service, policy] of Object.entries(scenario.services)) {
        if (!policy) continue;
        if (policy.delay) {
            declared = true;
            const delayMs = durationMs(policy.delay.fixedDelay)!;
            want("delay", service, false, (page) =>
                delayCheck(service, page, endingsOf(page), endingsOf(page, withoutDelayOf(service)), addedByOneDelay(routed, page, service, delayMs)),
            );
        }
        if (policy.abort) {
            declared = true;
            // The frontend answers a failed backend call with its own error page, HTTP 500.
            const status = service === FRONTEND ? policy.abort.httpStatus : 500;
            want("abort", service, true, (page) =>
                shareCheck(
                    "abort",
                    `abort: ${service}`,
                    page,
                    probability(endingsOf(page), (e) => e.status === status),
                    `of ${page} pages answered ${status}`,
                    (s) => s.status === status,
                ),
            );
        }
        if (policy.timeout || policy.retries || policy.extraLatency) {
            declared = true;
            want("timeout/retries", service, true, (page) => resilienceCheck(service, policy, page, endingsOf(page)));
        }
    }

    // One page per check; where several pages would do, one probed for another check anyway, else the
    // one most other checks could use, so that fewer pages are probed.
    const chosen = new Set<PageName>(pending.filter((p) => p.pages.length === 1).map((p) => p.pages[0]));
    const uses = (page: PageName) => pending.filter((p) => p.pages.includes(page)).length;
    for (const p of pending) {
        const page = p.pages.find((candidate) => chosen.has(candidate)) ?? [...p.pages].sort((a, b) => uses(b) - uses(a))[0];
        chosen.add(page);
        checks.push(p.build(page));
    }

    if (!declared) {
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
                return { measured: `p95 ${seconds(p95)}`, pass: p95 <= options.maxLatencyMs };
            },
        });
    }
    return { checks, skipped };
}

/** The pages the checks need, with their paths (the same in every frontend generation). */
export function pagesFor(checks: Check[]): { page: PageName; path: string }[] {
    return [...new Set(checks.map((c) => c.page))].map((page) => ({ page, path: CALL_GRAPHS["v0.10"][page].path }));
}
