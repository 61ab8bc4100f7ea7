import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { SCENARIOS } from "../stacks";
import { main } from "../tools/verify";
import { expectedOutcome, planChecks } from "../tools/verify/plan";
import { atLeastOnce, quantile, wilson } from "../tools/verify/stats";
import { Behaviour, startShop } from "./support/shop-emulator";

/** A stack file with the given config, in a temporary folder. */
function stackFileWith(config: Record<string, unknown>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "verify-")), "Pulumi.test.yaml");
    fs.writeFileSync(file, stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`boutique-mesh:${k}`, v])) }));
    return file;
}

/** Runs verify against an emulated shop; returns its exit code and what it printed. */
async function verify(config: Record<string, unknown>, behaviour: Behaviour, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
    const shop = await startShop(behaviour);
    const out: string[] = [];
    const err: string[] = [];
    const [log, write] = [console.log, process.stderr.write];
    console.log = (line: string) => out.push(line);
    process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
        const code = await main(["--config", stackFileWith(config), "--url", shop.url, "--concurrency", "20", ...extra]);
        return { code, out: out.join("\n"), err: err.join("") };
    } finally {
        console.log = log;
        process.stderr.write = write;
        await shop.close();
    }
}

const original = { original: 100 };

describe("verify: measuring a scenario through the ingress", function () {
    this.timeout(60_000);

    describe("statistics", () => {
        it("Wilson interval: known values, and it stays within [0, 1]", () => {
            const [low, high] = wilson(30, 100);
            assert.ok(Math.abs(low - 0.2189) < 0.001 && Math.abs(high - 0.3958) < 0.001, `${low} ${high}`);
            assert.deepEqual(
                wilson(0, 50).map((x) => Number(x.toFixed(4))),
                [0, 0.0713],
            );
            assert.equal(wilson(0, 200)[0], 0, "exactly 0: a declared 0% must fit");
            assert.equal(wilson(200, 200)[1], 1);
            assert.ok(wilson(199, 200)[1] < 1, "one miss out of 200 no longer reaches 100%");
        });

        it("200 requests tell 70/30 from 50/50: the 95% interval at 30% excludes 50% and the other way round", () => {
            assert.ok(wilson(60, 200)[1] < 0.5);
            assert.ok(wilson(100, 200)[0] > 0.3);
        });

        it("a page making k calls to a service hit with p is hit with 1-(1-p)^k", () => {
            assert.equal(atLeastOnce(0.5, 1), 0.5);
            assert.equal(atLeastOnce(0.5, 2), 0.75);
            assert.equal(quantile([5, 1, 3], 0.5), 3);
        });
    });

    describe("expected outcome of a slow service", () => {
        it("timeout 2s in front of 6s: fails after 2s", () => {
            assert.deepEqual(expectedOutcome(SCENARIOS.timeout.services.productcatalogservice!), { fails: true, ms: 2000, tries: 1 });
        });
        it("3 retries of 1s on gateway-error: fails after 4 tries, 4s", () => {
            assert.deepEqual(expectedOutcome(SCENARIOS.retry.services.productcatalogservice!), { fails: true, ms: 4000, tries: 4 });
        });
        it("the reference lab's bare retries: Envoy does not retry a per-try timeout, fails after 1s", () => {
            assert.deepEqual(expectedOutcome({ extraLatency: "6s", retries: { attempts: 3, perTryTimeout: "1s" } }), { fails: true, ms: 1000, tries: 1 });
        });
        it("an overall timeout caps the retries; a fast service just answers", () => {
            assert.deepEqual(expectedOutcome({ extraLatency: "6s", timeout: "2500ms", retries: { attempts: 3, perTryTimeout: "1s", retryOn: "5xx" } }), {
                fails: true,
                ms: 2500,
                tries: 4,
            });
            assert.deepEqual(expectedOutcome({ extraLatency: "500ms", timeout: "2s" }), { fails: false, ms: 500, tries: 1 });
        });
    });

    describe("probes the page whose calls the upstream frontend makes", () => {
        it("plans the checks of every preset", () => {
            const plan = (name: keyof typeof SCENARIOS) => planChecks(SCENARIOS[name], { maxLatencyMs: 2000 }).checks.map((c) => `${c.name}@${c.page}`);
            assert.deepEqual(plan("baseline"), ["split: original@home", "baseline: errors@home", "baseline: latency@home"]);
            assert.deepEqual(plan("canary"), ["split: original@home", "split: v1@home", "baseline: errors@home", "baseline: latency@home"]);
            assert.deepEqual(plan("fault-delay"), ["split: original@home", "delay: recommendationservice@product"]);
            assert.deepEqual(plan("fault-abort"), ["split: original@home", "abort: productcatalogservice@home"]);
            assert.deepEqual(plan("timeout"), ["split: original@home", "timeout: productcatalogservice@home"]);
            assert.deepEqual(plan("retry"), ["split: original@home", "retries: productcatalogservice@home"]);
        });

        it("says what it cannot see: services no page calls", () => {
            const { skipped } = planChecks(
                { ...SCENARIOS.baseline, services: { paymentservice: { delay: { percentage: 50, fixedDelay: "1s" } } } },
                { maxLatencyMs: 2000 },
            );
            assert.deepEqual(skipped, ["delay on paymentservice: no page of the shop calls it"]);
        });
    });

    describe("passes the right behaviour and fails the wrong one", () => {
        it("split 70/30: passes 70/30, fails 50/50", async () => {
            const right = await verify({ scenario: "canary" }, { weights: { original: 70, v1: 30 } });
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /split: v1 +home +30\.0% answered by v1 \(x-boutique-version\) +\d+\.\d% \(\d+\/200\) +\[\d+\.\d%, \d+\.\d%\] +pass/);
            const wrong = await verify({ scenario: "canary" }, { weights: { original: 50, v1: 50 } });
            assert.equal(wrong.code, 1, wrong.out);
            assert.match(wrong.out, /split: v1 .* FAIL/);
        });

        it("delay 50%: passes 50%, fails 10%", async () => {
            const config = { scenario: "fault-delay", traffic: { services: { recommendationservice: { delay: { percentage: 50, fixedDelay: "150ms" } } } } };
            const right = await verify(config, { weights: original, pages: { product: { delay: { p: 0.5, ms: 150 } } } }, ["--requests", "100"]);
            assert.equal(right.code, 0, right.out);
            const wrong = await verify(config, { weights: original, pages: { product: { delay: { p: 0.1, ms: 150 } } } }, ["--requests", "100"]);
            assert.equal(wrong.code, 1, wrong.out);
            assert.match(wrong.out, /delay: recommendationservice +product .* FAIL/);
        });

        it("abort 50% with HTTP 500: passes 50%, fails 10%", async () => {
            const right = await verify({ scenario: "fault-abort" }, { weights: original, pages: { home: { abort: { p: 0.5, status: 500 } } } });
            assert.equal(right.code, 0, right.out);
            const wrong = await verify({ scenario: "fault-abort" }, { weights: original, pages: { home: { abort: { p: 0.1, status: 500 } } } });
            assert.equal(wrong.code, 1, wrong.out);
        });

        it("timeout: passes failures at the timeout, fails when there is no timeout", async () => {
            const config = { scenario: "timeout", traffic: { services: { productcatalogservice: { extraLatency: "600ms", timeout: "150ms" } } } };
            const right = await verify(config, { weights: original, pages: { home: { slow: { ms: 150, status: 500 } } } }, ["--requests", "40"]);
            assert.equal(right.code, 0, right.out);
            const noTimeout = await verify(config, { weights: original, pages: { home: { slow: { ms: 600, status: 500 } } } }, ["--requests", "40"]);
            assert.equal(noTimeout.code, 1, noTimeout.out);
            assert.match(noTimeout.out, /timeout: productcatalogservice +home +fails after 0\.15s +100\.0% failed, median 0\.6\ds .* FAIL/);
        });

        it("retries: passes failures after every try, fails when the first timeout ends the request", async () => {
            const config = {
                scenario: "retry",
                traffic: {
                    services: { productcatalogservice: { extraLatency: "900ms", retries: { attempts: 3, perTryTimeout: "100ms", retryOn: "gateway-error" } } },
                },
            };
            const right = await verify(config, { weights: original, pages: { home: { slow: { ms: 400, status: 500 } } } }, ["--requests", "40"]);
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /fails after 0\.40s \(4 tries\)/);
            const noRetry = await verify(config, { weights: original, pages: { home: { slow: { ms: 100, status: 500 } } } }, ["--requests", "40"]);
            assert.equal(noRetry.code, 1, noRetry.out);
        });

        it("baseline: passes 100% original without errors, fails on a stray version or errors", async () => {
            const right = await verify({ scenario: "baseline" }, { weights: original });
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /200 responses \(0 without an answer\) from http:\/\/127\.0\.0\.1:\d+\/ in [\d.]+s; 3 passed, 0 failed/);
            const stray = await verify({ scenario: "baseline" }, { weights: { original: 98, v1: 2 } });
            assert.equal(stray.code, 1, stray.out);
            const errors = await verify({ scenario: "baseline" }, { weights: original, pages: { home: { abort: { p: 0.05, status: 503 } } } });
            assert.equal(errors.code, 1, errors.out);
            assert.match(errors.out, /baseline: errors .* FAIL/);
        });
    });

    it("prints JSON with every check on --json", async () => {
        const { code, out } = await verify({ scenario: "canary" }, { weights: { original: 70, v1: 30 } }, ["--json"]);
        assert.equal(code, 0);
        const result = JSON.parse(out);
        assert.equal(result.scenario, "canary");
        assert.equal(result.responses, 200);
        assert.deepEqual(
            result.checks.map((c: { name: string; pass: boolean }) => [c.name, c.pass]),
            [
                ["split: original", true],
                ["split: v1", true],
                ["baseline: errors", true],
                ["baseline: latency", true],
            ],
        );
        assert.equal(result.checks[1].interval.length, 2);
    });

    it("exits 2 when the shop cannot be reached, or on a bad command line", async () => {
        const shop = await startShop({ weights: original });
        const url = shop.url;
        await shop.close();
        const write = process.stderr.write;
        const err: string[] = [];
        process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
        try {
            assert.equal(await main(["dev", "--url", url, "--requests", "10"]), 2);
            assert.match(err.join(""), /could not reach the shop at http:\/\/127\.0\.0\.1:\d+\/: .*(ECONNREFUSED|connect)/);
            assert.equal(await main(["dev", "--url", url, "--requests", "5"]), 2);
            assert.match(err.join(""), /--requests must be a whole number from 10 to 10000, not 5/);
            assert.equal(await main(["dev", "--url", "not a url"]), 2);
        } finally {
            process.stderr.write = write;
        }
    });
});
