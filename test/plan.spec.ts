/**
 * verify's plan, check by check: which checks a scenario yields, and how each judges samples made up here
 * (status, time, version), so that every bound of a verdict is tried on both sides.
 */
import { strict as assert } from "assert";
import { Scenario, scenarioSchema } from "../stacks";
import { BUILT_IN_IMAGES, Check, PlanOptions, Sample, frontendCodes, planChecks, tolerance } from "../commands/verify/plan";

const scenario = (input: Record<string, unknown>): Scenario => scenarioSchema.parse({ description: "test", frontend: { original: 100 }, ...input });
const plan = (s: Scenario, options: Partial<PlanOptions> = {}) =>
    planChecks(s, { maxLatencyMs: 2000, codes: frontendCodes("v0.10.6", BUILT_IN_IMAGES), ...options });
const only = (s: Scenario, kind: Check["kind"]): Check => {
    const found = plan(s).checks.filter((c) => c.kind === kind);
    assert.equal(found.length, 1, `one ${kind} check: ${found.map((c) => c.name).join(", ")}`);
    return found[0];
};
const named = (s: Scenario, name: string): Check => {
    const found = plan(s).checks.find((c) => c.name === name);
    assert.ok(found, `a check named ${name}`);
    return found;
};
/** n samples of a page, each with this status and time. */
const samples = (n: number, page: string, ms: number, status = 200, version = "original"): Sample[] =>
    Array.from({ length: n }, () => ({ page, ms, status, version }));

describe("verify's plan: checks and their verdicts", () => {
    it("gives a median time a window of 0.9x - 50ms to 1.25x + 250ms, and 250ms more per retry", () => {
        assert.deepEqual(tolerance({ ms: 1000, tries: 3 }), [850, 2000]);
        assert.deepEqual(tolerance({ ms: 200, tries: 1 }), [130, 500]);
    });

    describe("a share", () => {
        // Planned in a hook, not when the file loads, so that mutation testing sees which tests cover the plan.
        let split: Check;
        before(() => {
            split = named(scenario({ frontend: { original: 50, v1: 50 } }), "split: original");
        });
        it("counts the samples of its page only, and shows hits over samples", () => {
            const verdict = split.judge([...samples(2, "home", 10), ...samples(2, "home", 10, 200, "v1"), ...samples(5, "cart", 10)]);
            assert.equal(split.name, "split: original");
            assert.equal(verdict.measured, "50.0% (2/4)");
            assert.equal(verdict.pass, true);
        });
        it("fails with no sample at all, or a share outside its interval", () => {
            assert.deepEqual(split.judge([]), { measured: "0.0% (0/0)", interval: [0, 1], pass: false });
            assert.equal(split.judge(samples(40, "home", 10)).pass, false);
        });
        it("checks original's share even when it gets none, and no other version without a share", () => {
            const names = plan(scenario({ frontend: { v1: 100 } })).checks.map((c) => `${c.name}: ${c.declared}`);
            assert.deepEqual(names.slice(0, 2), [
                "split: original: 0.0% answered by original (x-boutique-version)",
                "split: v1: 100.0% answered by v1 (x-boutique-version)",
            ]);
            assert.ok(!plan(scenario({})).checks.some((c) => c.name === "split: v1"));
        });
    });

    describe("the baseline", () => {
        it("counts 4xx as errors, not 3xx", () => {
            const errors = only(scenario({}), "errors");
            assert.equal(errors.declared, "0.0% of home pages answered with an error");
            assert.equal(errors.judge([...samples(9, "home", 10), ...samples(1, "home", 10, 400)]).measured, "10.0% (1/10)");
            assert.equal(errors.judge([...samples(9, "home", 10), ...samples(1, "home", 10, 399)]).measured, "0.0% (0/10)");
        });
        it("passes a 95th percentile equal to --max-latency, and fails one above", () => {
            const latency = only(scenario({}), "latency");
            assert.equal(latency.declared, "p95 under 2.00s");
            assert.deepEqual(latency.judge(samples(20, "home", 2000)), { measured: "p95 2.00s", pass: true });
            assert.equal(latency.judge(samples(20, "home", 2001)).pass, false);
        });
    });

    describe("a delay", () => {
        // 50% of calls to productcatalogservice 500ms late; the home page calls it once.
        let delay: Check;
        before(() => {
            delay = only(scenario({ services: { productcatalogservice: { delay: { percentage: 50, fixedDelay: "500ms" } } } }), "delay");
        });
        it("expects the share of pages delayed, and how much later they are", () => {
            assert.equal(delay.page, "home");
            assert.equal(delay.declared, "50.0% of home pages about 0.50s slower");
        });
        it("measures from the fastest pages, counting those at least half the delay slower", () => {
            // The reference is the 25th percentile (20ms); 270ms is exactly half the delay slower.
            const verdict = delay.judge([...samples(50, "home", 20), ...samples(49, "home", 540), ...samples(1, "home", 270)]);
            assert.equal(verdict.measured, "50.0% (50/100) over 0.27s, median +0.52s");
            assert.equal(verdict.pass, true);
        });
        it("passes a median extra time on either end of its window, and fails one beyond", () => {
            const [low, high] = tolerance({ ms: 500, tries: 1 });
            const at = (extra: number) => delay.judge([...samples(50, "home", 20), ...samples(50, "home", 20 + extra)]);
            assert.equal(at(low).pass, true);
            assert.equal(at(high).pass, true);
            assert.equal(at(low - 1).pass, false);
            assert.equal(at(high + 1).pass, false);
        });
        it("fails with no sample, or when no page is slower", () => {
            assert.equal(delay.judge([]).pass, false);
            assert.equal(delay.judge(samples(100, "home", 20)).pass, false);
            // Three samples, none slower: an interval this wide holds 50%, the missing delay still fails.
            assert.equal(delay.judge(samples(3, "home", 20)).pass, false);
        });
        it("a delay on 0% of calls: passes when no page is slower, fails when some are or with no sample", () => {
            const none = only(scenario({ services: { productcatalogservice: { delay: { percentage: 0, fixedDelay: "500ms" } } } }), "delay");
            assert.equal(none.declared, "0.0% of home pages about - slower");
            assert.equal(none.judge(samples(100, "home", 20)).pass, true);
            assert.equal(none.judge([...samples(50, "home", 20), ...samples(50, "home", 520)]).pass, false);
            assert.equal(none.judge([]).pass, false);
        });
        it("limits the delay to the caller's deadline: the frontend waits 100ms for an ad", () => {
            const ad = only(scenario({ services: { adservice: { delay: { percentage: 50, fixedDelay: "500ms" } } } }), "delay");
            assert.equal(ad.declared, "50.0% of home pages about 0.10s slower");
            // Only adservice's calls have that deadline: a delay of another service on the same page is not cut.
            const verdict = delay.judge([...samples(50, "home", 20), ...samples(50, "home", 520)]);
            assert.match(verdict.measured, / over 0\.27s, /);
        });
        it("sees a delay on every call, measured from the page without it", () => {
            const always = only(scenario({ services: { frontend: { delay: { percentage: 100, fixedDelay: "500ms" } } } }), "delay");
            assert.equal(always.declared, "100.0% of home pages about 0.50s slower");
            assert.equal(always.judge(samples(50, "home", 520)).pass, true);
            assert.equal(always.judge(samples(50, "home", 20)).pass, false, "a mesh that drops the delay fails");
        });
        it("counts a page exactly half the delay slower as slowed (another service's delay of half as much)", () => {
            const both = named(
                scenario({
                    services: {
                        productcatalogservice: { delay: { percentage: 50, fixedDelay: "500ms" } },
                        cartservice: { delay: { percentage: 50, fixedDelay: "250ms" } },
                    },
                }),
                "delay: productcatalogservice",
            );
            assert.equal(both.declared, "75.0% of home pages about 0.50s slower");
        });
        it("measures the extra time from the page without the delay, other faults included", () => {
            const slowAnyway = scenario({
                services: { productcatalogservice: { extraLatency: "600ms" }, frontend: { delay: { percentage: 50, fixedDelay: "500ms" } } },
            });
            const delay = only(slowAnyway, "delay");
            assert.equal(delay.declared, "50.0% of home pages about 0.50s slower");
        });
        it("keeps the other services' delays in the page it measures from", () => {
            const both = named(
                scenario({
                    services: {
                        productcatalogservice: { delay: { percentage: 50, fixedDelay: "500ms" } },
                        frontend: { delay: { percentage: 100, fixedDelay: "300ms" } },
                    },
                }),
                "delay: productcatalogservice",
            );
            assert.equal(both.declared, "50.0% of home pages about 0.50s slower");
        });
        it("takes its reference from the model when fewer than 20% of pages are left alone", () => {
            const most = only(scenario({ services: { frontend: { delay: { percentage: 90, fixedDelay: "500ms" } } } }), "delay");
            assert.equal(most.judge([...samples(10, "home", 20), ...samples(90, "home", 520)]).measured, "90.0% (90/100) over 0.25s, median +0.52s");
        });
    });

    describe("a timeout or retries", () => {
        let timeout: Check;
        before(() => {
            timeout = only(scenario({ services: { productcatalogservice: { timeout: "150ms", extraLatency: "600ms" } } }), "timeout");
        });
        it("expects every page to fail at the timeout", () => {
            assert.equal(timeout.declared, "fails after 0.15s");
            assert.deepEqual(timeout.judge(samples(20, "home", 150, 504)), {
                measured: "100.0% failed, median 0.15s",
                interval: timeout.judge(samples(20, "home", 150, 504)).interval,
                pass: true,
            });
        });
        it("passes a median on either end of its window, fails one beyond, and fails with no sample", () => {
            const [low, high] = tolerance({ ms: 150, tries: 1 });
            assert.equal(timeout.judge(samples(20, "home", low, 504)).pass, true);
            assert.equal(timeout.judge(samples(20, "home", high, 504)).pass, true);
            assert.equal(timeout.judge(samples(20, "home", low - 1, 504)).pass, false);
            assert.equal(timeout.judge(samples(20, "home", high + 1, 504)).pass, false);
            assert.deepEqual(timeout.judge([]).measured, "0.0% failed, median -");
            assert.equal(timeout.judge([]).pass, false);
        });
        it("a slow service without a timeout: pages answer, late", () => {
            const slow = only(scenario({ services: { productcatalogservice: { extraLatency: "600ms" } } }), "timeout");
            assert.equal(slow.declared, "answers after 0.60s");
            assert.equal(slow.judge(samples(20, "home", 600)).measured, "100.0% answered, median 0.60s");
        });
        it("pages that end otherwise (an abort on half the calls): the share that answers", () => {
            const some = only(
                scenario({ services: { productcatalogservice: { extraLatency: "600ms", abort: { percentage: 50, httpStatus: 503 } } } }),
                "timeout",
            );
            assert.equal(some.declared, "50.0% answers after 0.60s");
        });
        it("a timeout alone, or retries alone, is checked too", () => {
            assert.equal(only(scenario({ services: { productcatalogservice: { timeout: "150ms" } } }), "timeout").declared, "answers after 0.00s");
            const retries = { attempts: 2, perTryTimeout: "100ms", retryOn: "gateway-error" };
            assert.equal(only(scenario({ services: { productcatalogservice: { retries } } }), "retries").name, "retries: productcatalogservice");
        });
        it("is skipped where no page fails with the service", () => {
            assert.deepEqual(plan(scenario({ services: { adservice: { timeout: "50ms" } } })).skipped, [
                "timeout/retries on adservice: no page fails when it does (the frontend only logs its failures)",
            ]);
        });
    });

    describe("what cannot be checked", () => {
        it("a service no page calls, whatever the fault", () => {
            const s = scenario({});
            const { skipped } = plan({
                ...s,
                services: { nosuchservice: { delay: { percentage: 50, fixedDelay: "1s" } }, otherservice: { abort: { percentage: 50, httpStatus: 503 } } },
            });
            assert.deepEqual(skipped, ["delay on nosuchservice: no page of the shop calls it", "abort on otherservice: no page of the shop calls it"]);
        });
        it("a fault behind a routed frontend whose code is unknown, naming every such version; an unrouted one does not count", () => {
            const delay = { productcatalogservice: { delay: { percentage: 50, fixedDelay: "500ms" } } };
            const unknown = { original: undefined, v1: undefined };
            assert.deepEqual(plan(scenario({ frontend: { original: 50, v1: 50 }, services: delay }), { codes: unknown }).skipped, [
                "delay on productcatalogservice: verify does not know the calls of frontend original, v1 (its image's code)",
            ]);
            assert.deepEqual(plan(scenario({ services: delay }), { codes: { original: "v0.10", v1: undefined } }).skipped, []);
        });
    });

    it("puts a check that several pages show on a page another check needs anyway", () => {
        // currencyservice's delay shows as plainly on product and cart; shippingservice's only on cart.
        const checks = plan(
            scenario({
                services: {
                    currencyservice: { delay: { percentage: 50, fixedDelay: "200ms" } },
                    productcatalogservice: { abort: { percentage: 50, httpStatus: 503 } },
                    shippingservice: { delay: { percentage: 50, fixedDelay: "200ms" } },
                },
            }),
        ).checks.filter((c) => c.kind !== "split");
        assert.deepEqual(
            checks.map((c) => `${c.name}@${c.page}`),
            ["delay: currencyservice@cart", "abort: productcatalogservice@product", "delay: shippingservice@cart"],
        );
    });
});
