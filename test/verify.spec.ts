import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { stringify } from "yaml";
import { FRONTEND_V1_IMAGE } from "../catalog/boutique";
import {
    CALL_GRAPHS,
    CHECKOUT_ONLY,
    Call,
    FrontendCode,
    PageName,
    SAMPLE_PRODUCT,
    SHOP_PAGE_NAMES,
    ShopPage,
    VERIFY_SESSION_COOKIE,
    callsTo,
    frontendCode,
    pageCalls,
} from "../commands/verify/callgraph";
import { SCENARIOS, Scenario, ScenarioName, scenarioSchema } from "../stacks";
import { main, stackUrl } from "../commands/verify";
import { PROJECT_DIR } from "../config/project";
import { Ending, expectedOutcome, mix, pageEndings, probability, scenarioFaults } from "../commands/verify/model";
import { BUILT_IN_IMAGES, frontendCodes, planChecks } from "../commands/verify/plan";
import { quantile, wilson } from "../commands/verify/stats";
import { atLeastOnce } from "./support/random";
import { Behaviour, startShop } from "./support/shop-emulator";
import { captureStderr } from "./support/stderr";

/** A stack file with the given config, in a temporary folder. */
function stackFileWith(config: Record<string, unknown>): string {
    const file = path.join(scratch("verify-"), "Pulumi.test.yaml");
    fs.writeFileSync(file, stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`boutique-mesh:${k}`, v])) }));
    return file;
}

/** Captures what main prints while it runs. */
async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const [log, write] = [console.log, process.stderr.write];
    console.log = (line: string) => out.push(line);
    process.stderr.write = (chunk: string) => (err.push(String(chunk)), true);
    try {
        const code = await run();
        return { code, out: out.join("\n"), err: err.join("") };
    } finally {
        console.log = log;
        process.stderr.write = write;
    }
}

/** Runs verify against an emulated shop; returns its exit code and what it printed. */
async function verify(config: Record<string, unknown>, behaviour: Behaviour, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
    const shop = await startShop(behaviour);
    try {
        return await captured(() => main(["--config", stackFileWith(config), "--url", shop.url, "--concurrency", "20", ...extra]));
    } finally {
        await shop.close();
    }
}

const original = { original: 100 };
/** Delay checks compare page times: fewer requests at once keep the emulated page's own time small beside the delay. */
const TIMED = ["--requests", "100", "--concurrency", "10"];
const codes = frontendCodes("v0.10.6", BUILT_IN_IMAGES);
const scenario = (input: Record<string, unknown>): Scenario => scenarioSchema.parse({ description: "test", frontend: original, ...input });
const plan = (s: Scenario) => planChecks(s, { maxLatencyMs: 2000, codes });
const planned = (s: Scenario) =>
    plan(s)
        .checks.filter((c) => c.kind !== "split")
        .map((c) => `${c.name}@${c.page}: ${c.declared}`);
/** The endings of one page of one frontend code under a scenario. */
const endings = (code: FrontendCode, page: PageName, s: Scenario): Ending[] => pageEndings(CALL_GRAPHS[code][page], scenarioFaults(s));
const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

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

    describe("the call graph, as read in the upstream frontend", () => {
        it("names the upstream file, function and tag of every step and call", () => {
            const sources = Object.values(CALL_GRAPHS).flatMap((pages) =>
                Object.values(pages).flatMap((page) => [page.source, ...page.steps.map((s) => s.source), ...pageCalls(page).map(({ call }) => call.source)]),
            );
            assert.ok(sources.length > 50);
            for (const source of sources) {
                assert.match(source.tag, /^v0\.(10\.6|2\.1)$/);
                assert.match(source.file, /^src\/(frontend\/(handlers|rpc)\.go|recommendationservice\/recommendation_server\.py)$/);
                assert.match(source.func, /^[A-Za-z][\w.]+$/);
            }
        });

        // Counts read in handlers.go and rpc.go: (calls made when nothing fails, calls whose failure fails the page).
        const expected: Record<FrontendCode, Record<PageName, Record<string, [number, number]>>> = {
            "v0.10": {
                // homeHandler: GetSupportedCurrencies + one Convert per product (9 in products.json); chooseAd logs.
                home: { currencyservice: [10, 10], productcatalogservice: [1, 1], cartservice: [1, 1], adservice: [1, 0], recommendationservice: [0, 0] },
                // productHandler: GetProduct; getRecommendations (logged): ListRecommendations, whose server lists
                // the catalog, then GetProduct for 5 ids.
                product: { productcatalogservice: [7, 1], currencyservice: [2, 2], cartservice: [1, 1], recommendationservice: [1, 0], adservice: [1, 0] },
                // viewCartHandler: no ad; getShippingQuote: GetQuote, then a Convert.
                cart: {
                    currencyservice: [2, 2],
                    cartservice: [1, 1],
                    recommendationservice: [1, 0],
                    productcatalogservice: [6, 0],
                    shippingservice: [1, 1],
                    adservice: [0, 0],
                },
            },
            "v0.2": {
                home: { currencyservice: [10, 10], productcatalogservice: [1, 1], cartservice: [1, 1], adservice: [1, 0] },
                // v0.2.1: a failed recommendation renders the error page.
                product: { productcatalogservice: [7, 7], recommendationservice: [1, 1], adservice: [1, 0] },
                cart: { recommendationservice: [1, 1], productcatalogservice: [6, 6], shippingservice: [1, 1] },
            },
        };
        for (const [code, pages] of Object.entries(expected) as [FrontendCode, Record<PageName, Record<string, [number, number]>>][]) {
            for (const [page, services] of Object.entries(pages) as [PageName, Record<string, [number, number]>][]) {
                it(`${code} ${page}: ${Object.entries(services)
                    .map(([s, [n, f]]) => `${s} ${n}/${f}`)
                    .join(", ")}`, () => {
                    for (const [service, [calls, fatal]] of Object.entries(services)) {
                        assert.deepEqual(callsTo(CALL_GRAPHS[code][page], service), { calls, fatal }, `${code} ${page} ${service}`);
                    }
                });
            }
        }

        it("each page step by step: its path, each step's upstream function, whether it is fatal, each call's method", () => {
            // Read in microservices-demo v0.10.6: main.go routes GET /, /product/{id} and /cart; rpc.go's functions
            // and the gRPC methods they call; products.json's first product OLJCESPC7Z; chooseAd in handlers.go.
            const call = (c: Call): string =>
                `${c.service}.${c.method}×${c.times}${c.deadlineMs ? ` within ${c.deadlineMs}ms` : ""}${c.nested ? ` (${c.nested.map(call).join(", ")})` : ""}`;
            const outline = (page: ShopPage) => [
                page.path,
                ...page.steps.map((s) => `${s.source.file.split("/").pop()}:${s.source.func}${s.fatal ? " fatal" : ""}: ${s.calls.map(call).join(", ")}`),
            ];
            const currencies = "rpc.go:getCurrencies fatal: currencyservice.GetSupportedCurrencies×1";
            const cart = "rpc.go:getCart fatal: cartservice.GetCart×1";
            const ad = "handlers.go:chooseAd: adservice.GetAds×1 within 100ms";
            const recommendations = (fatal: boolean) =>
                `rpc.go:getRecommendations${fatal ? " fatal" : ""}: recommendationservice.ListRecommendations×1 (productcatalogservice.ListProducts×1), productcatalogservice.GetProduct×5`;
            for (const [code, fatal] of [
                ["v0.10", false],
                ["v0.2", true],
            ] as [FrontendCode, boolean][]) {
                const pages = CALL_GRAPHS[code];
                assert.deepEqual(
                    outline(pages.home),
                    [
                        "/",
                        currencies,
                        "rpc.go:getProducts fatal: productcatalogservice.ListProducts×1",
                        cart,
                        "rpc.go:convertCurrency fatal: currencyservice.Convert×9",
                        ad,
                    ],
                    code,
                );
                assert.deepEqual(
                    outline(pages.product),
                    [
                        "/product/OLJCESPC7Z",
                        "rpc.go:getProduct fatal: productcatalogservice.GetProduct×1",
                        currencies,
                        cart,
                        "rpc.go:convertCurrency fatal: currencyservice.Convert×1",
                        recommendations(fatal),
                        ad,
                    ],
                    code,
                );
                assert.deepEqual(
                    outline(pages.cart),
                    ["/cart", currencies, cart, recommendations(fatal), "rpc.go:getShippingQuote fatal: shippingservice.GetQuote×1, currencyservice.Convert×1"],
                    code,
                );
                assert.deepEqual(
                    Object.values(pages).map((p) => p.source.func),
                    ["homeHandler", "productHandler", "viewCartHandler"],
                );
                for (const step of Object.values(pages).flatMap((p) => p.steps))
                    assert.equal(step.name, step.source.func, "a step is named after its function");
            }
            // main.go: cookieSessionID = "shop_" + "session-id".
            assert.equal(VERIFY_SESSION_COOKIE, "shop_session-id=boutique-mesh-verify");
            assert.equal(SAMPLE_PRODUCT, "OLJCESPC7Z");
            assert.deepEqual([...CHECKOUT_ONLY].sort(), ["checkoutservice", "emailservice", "paymentservice"]);
        });

        it("nothing calls checkout, payment or email from a page verify probes", () => {
            for (const pages of Object.values(CALL_GRAPHS)) {
                for (const page of SHOP_PAGE_NAMES) {
                    for (const service of ["checkoutservice", "paymentservice", "emailservice"]) assert.equal(callsTo(pages[page], service).calls, 0);
                }
            }
        });

        it("the original frontend runs the release's code; v1's Tetrate image the v0.2 code (a guess); an unknown image, unknown code", () => {
            assert.equal(frontendCode("v0.10.6", undefined), "v0.10");
            assert.equal(frontendCode("v0.10.6", FRONTEND_V1_IMAGE), "v0.2");
            assert.equal(frontendCode("v0.10.6", "registry.example/frontend:dev"), undefined);
            assert.deepEqual(codes, { original: "v0.10", v1: "v0.2" });
        });
    });

    describe("what a page does under a scenario", () => {
        it("ads: a 50% / 1s delay adds 100ms (getAd's deadline) to half the home pages, which still answer", () => {
            const s = scenario({ services: { adservice: { delay: { percentage: 50, fixedDelay: "1s" } } } });
            assert.deepEqual(
                endings("v0.10", "home", s).sort((a, b) => a.ms - b.ms),
                [
                    { p: 0.5, ms: 0, status: 200 },
                    { p: 0.5, ms: 100, status: 200 },
                ],
            );
        });

        it("product page: only the first GetProduct fails it (v0.10); any of the 7 catalog calls does in v0.2", () => {
            const s = scenario({ services: { productcatalogservice: { abort: { percentage: 50, httpStatus: 500 } } } });
            near(
                probability(endings("v0.10", "product", s), (e) => e.status === 500),
                0.5,
                "v0.10",
            );
            near(
                probability(endings("v0.2", "product", s), (e) => e.status === 500),
                1 - 0.5 ** 7,
                "v0.2",
            );
        });

        it("getRecommendations stops at its first failed call; delays add up over the calls made", () => {
            // Every catalog call delayed 10ms, half of them aborted: a page that gets past the first GetProduct
            // (10ms) makes k more catalog calls, k = 1..6, until the first abort: k with chance 0.5^k (k < 6).
            const s = scenario({
                services: { productcatalogservice: { delay: { percentage: 100, fixedDelay: "10ms" }, abort: { percentage: 50, httpStatus: 500 } } },
            });
            const answered = endings("v0.10", "product", s).filter((e) => e.status === 200);
            const mean = answered.reduce((sum, e) => sum + e.p * e.ms, 0) / probability(answered, () => true);
            const calls = [1, 2, 3, 4, 5].reduce((sum, k) => sum + k * 0.5 ** k, 0) + 6 * 0.5 ** 5;
            near(mean, 10 + 10 * calls, "mean added time of the rendered product pages");
        });

        it("cart page: shipping fails it; currencyservice twice (currencies, the quote's conversion)", () => {
            const shipping = scenario({ services: { shippingservice: { abort: { percentage: 50, httpStatus: 500 } } } });
            near(
                probability(endings("v0.10", "cart", shipping), (e) => e.status === 500),
                0.5,
                "shipping",
            );
            const currency = scenario({ services: { currencyservice: { abort: { percentage: 20, httpStatus: 500 } } } });
            near(
                probability(endings("v0.10", "cart", currency), (e) => e.status === 500),
                1 - 0.8 ** 2,
                "currency",
            );
        });

        it("a canary split weighs each version's page: 30% v1 x 50% recommendation aborts = 15% failed product pages", () => {
            const s = scenario({ services: { recommendationservice: { abort: { percentage: 50, httpStatus: 500 } } } });
            const mixed = mix([
                { weight: 0.7, endings: endings("v0.10", "product", s) },
                { weight: 0.3, endings: endings("v0.2", "product", s) },
            ]);
            near(
                probability(mixed, (e) => e.status === 500),
                0.15,
                "failed",
            );
        });

        it("the frontend's own route: its abort answers its status, its timeout 504", () => {
            const s = scenario({
                services: { frontend: { abort: { percentage: 30, httpStatus: 503 }, timeout: "1s" }, productcatalogservice: { extraLatency: "2s" } },
            });
            const e = endings("v0.10", "home", s);
            near(
                probability(e, (x) => x.status === 503),
                0.3,
                "503",
            );
            near(
                probability(e, (x) => x.status === 504 && x.ms === 1000),
                0.7,
                "504 after 1s",
            );
        });
    });

    describe("plans each check on the page whose calls show it", () => {
        it("plans the checks of every preset", () => {
            const names = (name: ScenarioName) => plan(SCENARIOS[name]).checks.map((c) => `${c.name}@${c.page}`);
            assert.deepEqual(names("baseline"), ["split: original@home", "baseline: errors@home", "baseline: latency@home"]);
            assert.deepEqual(names("canary"), ["split: original@home", "split: v1@home", "baseline: errors@home", "baseline: latency@home"]);
            assert.deepEqual(names("fault-delay"), ["split: original@home", "delay: recommendationservice@product"]);
            assert.deepEqual(names("fault-abort"), ["split: original@home", "abort: productcatalogservice@home"]);
            assert.deepEqual(names("timeout"), ["split: original@home", "timeout: productcatalogservice@home"]);
            assert.deepEqual(names("retry"), ["split: original@home", "retries: productcatalogservice@home"]);
        });

        it("adservice: 0.10s slower, not 0.90s, and its abort fails no page", () => {
            const s = scenario({ services: { adservice: { delay: { percentage: 50, fixedDelay: "1s" }, abort: { percentage: 50, httpStatus: 500 } } } });
            assert.deepEqual(planned(s), ["delay: adservice@home: 50.0% of home pages about 0.10s slower"]);
            assert.deepEqual(plan(s).skipped, ["abort on adservice: no page fails when it does (the frontend only logs its failures)"]);
        });

        it("shippingservice on the cart page; checkout, payment and email skipped with the reason", () => {
            const s = scenario({
                services: {
                    shippingservice: { delay: { percentage: 50, fixedDelay: "1s" }, abort: { percentage: 20, httpStatus: 503 } },
                    paymentservice: { delay: { percentage: 50, fixedDelay: "1s" } },
                },
            });
            // The cart page (1 GetQuote) fails when shipping does, whatever the status Istio answered it with.
            assert.deepEqual(planned(s), [
                "delay: shippingservice@cart: 50.0% of cart pages about 1.00s slower",
                "abort: shippingservice@cart: 20.0% of cart pages answered 500",
            ]);
            assert.deepEqual(plan(s).skipped, ["delay on paymentservice: only POST /cart/checkout reaches it, and verify sends only GETs"]);
        });

        it("a recommendation abort: skipped on the original frontend alone, 15% of product pages in the canary", () => {
            const abort = { recommendationservice: { abort: { percentage: 50, httpStatus: 500 } } };
            assert.deepEqual(planned(scenario({ services: abort })), []);
            assert.deepEqual(plan(scenario({ services: abort })).skipped, [
                "abort on recommendationservice: no page fails when it does (the frontend only logs its failures)",
            ]);
            assert.deepEqual(planned(scenario({ frontend: { original: 70, v1: 30 }, services: abort })), [
                "abort: recommendationservice@product: 15.0% of product pages answered 500",
            ]);
        });

        it("a page already probed for one check takes another check it shows as plainly", () => {
            const s = scenario({
                services: {
                    productcatalogservice: { abort: { percentage: 50, httpStatus: 500 } },
                    recommendationservice: { delay: { percentage: 50, fixedDelay: "1s" } },
                },
            });
            // Half the product pages fail at their first GetProduct, before any recommendation.
            assert.deepEqual(planned(s), [
                "abort: productcatalogservice@product: 50.0% of product pages answered 500",
                "delay: recommendationservice@product: 25.0% of product pages about 1.00s slower",
            ]);
        });

        it("skips the fault checks when a routed version runs code verify does not know", () => {
            const s = scenario({ frontend: { original: 70, v1: 30 }, services: { shippingservice: { abort: { percentage: 50, httpStatus: 500 } } } });
            const { checks, skipped } = planChecks(s, { maxLatencyMs: 2000, codes: { original: "v0.10", v1: undefined } });
            assert.deepEqual(
                checks.map((c) => c.name),
                ["split: original", "split: v1"],
            );
            assert.deepEqual(skipped, ["abort on shippingservice: verify does not know the calls of frontend v1 (its image's code)"]);
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

        it("delay 50% on recommendationservice: passes 50%, fails 10%", async () => {
            const config = { scenario: "fault-delay", traffic: { services: { recommendationservice: { delay: { percentage: 50, fixedDelay: "150ms" } } } } };
            const delayed = (p: number): Behaviour => ({ weights: original, backends: { recommendationservice: { delay: { p, ms: 150 } } } });
            const right = await verify(config, delayed(0.5), TIMED);
            assert.equal(right.code, 0, right.out);
            const wrong = await verify(config, delayed(0.1), TIMED);
            assert.equal(wrong.code, 1, wrong.out);
            assert.match(wrong.out, /delay: recommendationservice +product .* FAIL/);
        });

        it("delay on adservice: passes pages 100ms slower (the ad deadline), fails pages slowed by the whole delay or too few", async () => {
            const config = { scenario: "baseline", traffic: { services: { adservice: { delay: { percentage: 50, fixedDelay: "500ms" } } } } };
            const delayed = (p: number): Behaviour => ({ weights: original, backends: { adservice: { delay: { p, ms: 500 } } } });
            // 100ms is all the deadline lets through: few requests at once, so the page's own time stays small beside it.
            const right = await verify(config, delayed(0.5), ["--requests", "100", "--concurrency", "5"]);
            assert.equal(right.code, 0, right.out);
            assert.match(
                right.out,
                /delay: adservice +home +50\.0% of home pages about 0\.10s slower +\d+\.\d% \(\d+\/100\) over [\d.]+s, median \+0\.1\ds .* pass/,
            );
            const noDeadline = await verify(config, { ...delayed(0.5), adDeadlineMs: null }, ["--requests", "40"]);
            assert.equal(noDeadline.code, 1, noDeadline.out);
            assert.match(noDeadline.out, /delay: adservice .* median \+0\.5\ds .* FAIL/);
            const fewer = await verify(config, delayed(0.1), ["--requests", "100", "--concurrency", "5"]);
            assert.equal(fewer.code, 1, fewer.out);
        });

        it("abort 50% on productcatalogservice (home page): passes 50%, fails 10%", async () => {
            const aborted = (p: number): Behaviour => ({ weights: original, backends: { productcatalogservice: { abort: { p } } } });
            const right = await verify({ scenario: "fault-abort" }, aborted(0.5));
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /abort: productcatalogservice +home +50\.0% of home pages answered 500 .* pass/);
            const wrong = await verify({ scenario: "fault-abort" }, aborted(0.1));
            assert.equal(wrong.code, 1, wrong.out);
        });

        it("abort 50% on productcatalogservice judged on the product page: passes 50%, fails a frontend that fails on every catalog call", async () => {
            // fault-abort and fault-delay at once: the product page, probed for the delay, also shows the abort.
            const config = { scenario: "fault-abort", traffic: { services: { recommendationservice: { delay: { percentage: 50, fixedDelay: "150ms" } } } } };
            const lab = (code: "v0.10" | "v0.2"): Behaviour => ({
                weights: original,
                code: { original: code },
                backends: { productcatalogservice: { abort: { p: 0.5 } }, recommendationservice: { delay: { p: 0.5, ms: 150 } } },
            });
            const right = await verify(config, lab("v0.10"), TIMED);
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /abort: productcatalogservice +product +50\.0% of product pages answered 500 .* pass/);
            assert.match(right.out, /delay: recommendationservice +product +25\.0% of product pages about 0\.15s slower .* pass/);
            const wrong = await verify(config, lab("v0.2"), TIMED);
            assert.equal(wrong.code, 1, wrong.out);
            assert.match(wrong.out, /abort: productcatalogservice +product .* FAIL/);
        });

        it("shippingservice on the cart page: a delay passes 50% and fails 10%, an abort passes 50% and fails 10%", async () => {
            const delayConfig = { scenario: "baseline", traffic: { services: { shippingservice: { delay: { percentage: 50, fixedDelay: "150ms" } } } } };
            const delayed = (p: number): Behaviour => ({ weights: original, backends: { shippingservice: { delay: { p, ms: 150 } } } });
            const right = await verify(delayConfig, delayed(0.5), TIMED);
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /delay: shippingservice +cart +50\.0% of cart pages about 0\.15s slower .* pass/);
            const wrong = await verify(delayConfig, delayed(0.1), TIMED);
            assert.equal(wrong.code, 1, wrong.out);

            const abortConfig = { scenario: "baseline", traffic: { services: { shippingservice: { abort: { percentage: 50, httpStatus: 503 } } } } };
            const aborted = (p: number): Behaviour => ({ weights: original, backends: { shippingservice: { abort: { p } } } });
            const rightAbort = await verify(abortConfig, aborted(0.5));
            assert.equal(rightAbort.code, 0, rightAbort.out);
            assert.match(rightAbort.out, /abort: shippingservice +cart +50\.0% of cart pages answered 500 .* pass/);
            const wrongAbort = await verify(abortConfig, aborted(0.1));
            assert.equal(wrongAbort.code, 1, wrongAbort.out);
        });

        it("canary and a recommendation abort: passes 15% failed product pages (v1 only), fails when v1 also ignores the failure", async () => {
            const config = { scenario: "canary", traffic: { services: { recommendationservice: { abort: { percentage: 50, httpStatus: 500 } } } } };
            const lab = (v1: "v0.10" | "v0.2"): Behaviour => ({
                weights: { original: 70, v1: 30 },
                code: { original: "v0.10", v1 },
                backends: { recommendationservice: { abort: { p: 0.5 } } },
            });
            const right = await verify(config, lab("v0.2"));
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /abort: recommendationservice +product +15\.0% of product pages answered 500 .* pass/);
            const wrong = await verify(config, lab("v0.10"));
            assert.equal(wrong.code, 1, wrong.out);
            assert.match(wrong.out, /abort: recommendationservice +product +15\.0% of product pages answered 500 +0\.0% \(0\/200\) .* FAIL/);
        });

        it("a v1 frontend image of the stack's own, whose code verify does not know: its checks are skipped, not guessed", async () => {
            const config = {
                scenario: "canary",
                traffic: { services: { recommendationservice: { abort: { percentage: 50, httpStatus: 500 } } } },
                boutique: { frontendV1: { image: "registry.example/shop/frontend:2.0.0", version: "2.0.0" } },
            };
            const run = await verify(config, { weights: { original: 70, v1: 30 }, code: { original: "v0.10", v1: "v0.2" }, backends: {} });
            assert.doesNotMatch(run.out, /abort: recommendationservice +product/);
            assert.match(run.out, /verify does not know the calls of frontend v1 \(its image's code\)/);
        });

        it("timeout: passes failures at the timeout, fails failures that come later", async () => {
            const config = { scenario: "timeout", traffic: { services: { productcatalogservice: { extraLatency: "600ms", timeout: "150ms" } } } };
            const slow = (ms: number): Behaviour => ({ weights: original, backends: { productcatalogservice: { slow: { ms, fails: true } } } });
            const right = await verify(config, slow(150), ["--requests", "40"]);
            assert.equal(right.code, 0, right.out);
            const late = await verify(config, slow(600), ["--requests", "40"]);
            assert.equal(late.code, 1, late.out);
            assert.match(late.out, /timeout: productcatalogservice +home +fails after 0\.15s +100\.0% failed, median 0\.6\ds .* FAIL/);
        });

        it("retries: passes failures after every try, fails when the first timeout ends the request", async () => {
            const config = {
                scenario: "retry",
                traffic: {
                    services: { productcatalogservice: { extraLatency: "900ms", retries: { attempts: 3, perTryTimeout: "100ms", retryOn: "gateway-error" } } },
                },
            };
            const slow = (ms: number): Behaviour => ({ weights: original, backends: { productcatalogservice: { slow: { ms, fails: true } } } });
            const right = await verify(config, slow(400), ["--requests", "40"]);
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /fails after 0\.40s \(4 tries\)/);
            const noRetry = await verify(config, slow(100), ["--requests", "40"]);
            assert.equal(noRetry.code, 1, noRetry.out);
        });

        it("baseline: passes 100% original without errors, fails on a stray version or errors", async () => {
            const right = await verify({ scenario: "baseline" }, { weights: original });
            assert.equal(right.code, 0, right.out);
            assert.match(right.out, /200 responses \(0 without an answer\) from http:\/\/127\.0\.0\.1:\d+\/ in [\d.]+s; 3 passed, 0 failed/);
            const stray = await verify({ scenario: "baseline" }, { weights: { original: 98, v1: 2 } });
            assert.equal(stray.code, 1, stray.out);
            const errors = await verify({ scenario: "baseline" }, { weights: original, frontend: { abort: { p: 0.05, status: 503 } } });
            assert.equal(errors.code, 1, errors.out);
            assert.match(errors.out, /baseline: errors .* FAIL/);
        });
    });

    describe("fails a lab that misbehaves only in part, or only in one respect", () => {
        it("baseline: fails when pages are slower than --max-latency, and only then", async () => {
            const slow: Behaviour = { weights: original, backends: { productcatalogservice: { slow: { ms: 120, fails: false } } } };
            const fast = await verify({ scenario: "baseline" }, slow, ["--requests", "20", "--max-latency", "2000"]);
            assert.equal(fast.code, 0, fast.out);
            const late = await verify({ scenario: "baseline" }, slow, ["--requests", "20", "--max-latency", "100"]);
            assert.equal(late.code, 1, late.out);
            assert.match(late.out, /baseline: latency +home +p95 under 0\.10s +p95 \d\.\d\ds +- +FAIL/);
            assert.match(late.out, /baseline: errors .* pass/);
        });

        it("timeout: fails when some pages answer instead of failing at the timeout", async () => {
            const config = { scenario: "timeout", traffic: { services: { productcatalogservice: { extraLatency: "600ms", timeout: "150ms" } } } };
            // Every call takes 150ms; a tenth of them answer where the timeout should fail them all.
            const partial = await verify(config, { weights: original, backends: { productcatalogservice: { delay: { p: 1, ms: 150 }, abort: { p: 0.9 } } } }, [
                "--requests",
                "40",
            ]);
            assert.equal(partial.code, 1, partial.out);
            assert.match(partial.out, /timeout: productcatalogservice +home +fails after 0\.15s +(8\d|9\d)\.\d% failed, median [\d.]+s .* FAIL/);
        });

        it("retries: fails when some pages answer instead of failing after every try", async () => {
            const config = {
                scenario: "retry",
                traffic: {
                    services: { productcatalogservice: { extraLatency: "900ms", retries: { attempts: 3, perTryTimeout: "100ms", retryOn: "gateway-error" } } },
                },
            };
            const partial = await verify(config, { weights: original, backends: { productcatalogservice: { delay: { p: 1, ms: 400 }, abort: { p: 0.9 } } } }, [
                "--requests",
                "40",
            ]);
            assert.equal(partial.code, 1, partial.out);
            assert.match(partial.out, /retries: productcatalogservice .* FAIL/);
        });

        it("abort: a backend abort of any status fails pages with the frontend's 500, a frontend abort shows its own status", async () => {
            const backend503 = { scenario: "fault-abort", traffic: { services: { productcatalogservice: { abort: { percentage: 50, httpStatus: 503 } } } } };
            const as500 = await verify(backend503, { weights: original, backends: { productcatalogservice: { abort: { p: 0.5 } } } });
            assert.equal(as500.code, 0, as500.out);
            assert.match(as500.out, /abort: productcatalogservice +home +50\.0% of home pages answered 500/);
            // Pages answered with the abort's own status, as if the frontend passed it through: wrong.
            const as503 = await verify(backend503, { weights: original, frontend: { abort: { p: 0.5, status: 503 } } });
            assert.equal(as503.code, 1, as503.out);
            assert.match(as503.out, /abort: productcatalogservice .* FAIL/);

            const frontend503 = { scenario: "baseline", traffic: { services: { frontend: { abort: { percentage: 50, httpStatus: 503 } } } } };
            const own = await verify(frontend503, { weights: original, frontend: { abort: { p: 0.5, status: 503 } } });
            assert.equal(own.code, 0, own.out);
            assert.match(own.out, /abort: frontend +home +50\.0% of home pages answered 503/);
            const wrong = await verify(frontend503, { weights: original, frontend: { abort: { p: 0.5, status: 500 } } });
            assert.equal(wrong.code, 1, wrong.out);
        });
    });

    it("prints its usage on --help, with every option in the synopsis", async () => {
        const { value: code, out } = await captureStderr(() => main(["--help"]));
        assert.equal(code, 0);
        const [synopsis] = out.split("\n");
        assert.match(synopsis, /^usage: npm run verify -- <stack> /);
        for (const option of ["--config", "--url", "--requests", "--concurrency", "--max-seconds", "--max-latency", "--json"]) {
            assert.ok(synopsis.includes(option), `the synopsis names ${option}`);
        }
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

    it("exits 1 when the shop cannot be reached, 2 on a bad command line, each with one line and no stack trace", async () => {
        const shop = await startShop({ weights: original });
        const url = shop.url;
        await shop.close();
        const refused = await captured(() => main(["dev", "--url", url, "--requests", "10"]));
        assert.equal(refused.code, 1);
        assert.match(refused.err, /^verify: could not reach the shop at http:\/\/127\.0\.0\.1:\d+\/: .*(ECONNREFUSED|connect)/m);
        assert.doesNotMatch(refused.err, /\n\s+at /, "no stack trace");
        const usage = await captured(() => main(["dev", "--url", url, "--requests", "5"]));
        assert.equal(usage.code, 2);
        assert.match(usage.err, /^verify: --requests: must be a whole number from 10 to 10000, not 5$/m);
        const notUrl = await captured(() => main(["dev", "--url", "not a url"]));
        assert.equal(notUrl.code, 2);
        assert.match(notUrl.err, /^verify: --url: not a URL: not a url$/m);
    });

    it("stops at the first requests a shop leaves unanswered instead of sending them all", async () => {
        let connections = 0;
        const silent = net.createServer((socket) => {
            connections++;
            socket.destroy();
        });
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        try {
            const { port } = silent.address() as net.AddressInfo;
            const result = await captured(() => main(["dev", "--url", `http://127.0.0.1:${port}/`, "--requests", "1000", "--concurrency", "10"]));
            assert.equal(result.code, 1);
            assert.match(result.err, /could not reach the shop .*\(stopped after \d+ unanswered requests\)/);
            assert.ok(connections <= 10, `${connections} connections: no more than the requests in flight when the first went unanswered`);
        } finally {
            await new Promise((resolve) => silent.close(resolve));
        }
    });
});

describe("verify: the shop's URL from the stack's output", () => {
    it("reads it from the backend npm run lab keeps the stack in, not the one the CLI is logged in to", () => {
        const bin = scratch("pulumi-stand-in-");
        try {
            fs.writeFileSync(path.join(bin, "pulumi"), '#!/bin/sh\necho "$PULUMI_BACKEND_URL|$PWD|$*"\n', { mode: 0o755 });
            const env = { PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, HOME: bin };
            assert.equal(stackUrl("canary", env), `file://${PROJECT_DIR}|${PROJECT_DIR}|stack output shopUrl --stack canary`);
            assert.equal(stackUrl("canary", { ...env, PULUMI_BACKEND_URL: "s3://labs" }), `s3://labs|${PROJECT_DIR}|stack output shopUrl --stack canary`);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });
});

describe("verify: a classroom's shops through one ingress", function () {
    /**
     * The shared ingress: routes by the Host header, as the ingress gateway routes each shop's host (port ignored),
     * and answers 404 to a host no shop has.
     */
    async function ingress(shops: Record<string, Behaviour>): Promise<{ url: string; hosts: string[]; close: () => Promise<void> }> {
        const backends = Object.fromEntries(await Promise.all(Object.entries(shops).map(async ([name, b]) => [name, await startShop(b)] as const)));
        const hosts: string[] = [];
        const server = http.createServer((request, response) => {
            const host = String(request.headers.host);
            hosts.push(host);
            const shop = backends[host.split(".")[0]];
            if (!host.includes(".localhost") || shop === undefined) return void response.writeHead(404).end();
            const target = new URL(request.url ?? "/", shop.url);
            const forwarded = http.get(target, { headers: request.headers }, (answer) => {
                response.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(response);
            });
            forwarded.on("error", () => response.writeHead(502).end());
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
        const close = async () => {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
            await Promise.all(Object.values(backends).map((b) => b.close()));
        };
        return { url, hosts, close };
    }
    const CLASS = { scenario: "baseline", shops: [{ name: "alice" }, { name: "bob", scenario: "canary" }] };
    const REQUESTS = ["--requests", "60", "--concurrency", "20"];

    it("measures every shop under its own host, then a table of shop, scenario and verdict", async () => {
        const lab = await ingress({ alice: { weights: original }, bob: { weights: { original: 70, v1: 30 } } });
        try {
            const result = await captured(() => main(["--config", stackFileWith(CLASS), "--url", lab.url, ...REQUESTS]));
            assert.equal(result.code, 0, result.out);
            const port = new URL(lab.url).port;
            assert.match(result.out, new RegExp(`^shop alice: scenario baseline, http://alice\\.localhost:${port}/\\n`));
            assert.match(result.out, new RegExp(`\\nshop bob: scenario canary, http://bob\\.localhost:${port}/\\n`));
            assert.match(result.out, /\nshop +scenario +verdict\nalice +baseline +pass \(3 checks\)\nbob +canary +pass \(4 checks\)$/);
            assert.deepEqual([...new Set(lab.hosts)].sort(), [`alice.localhost:${port}`, `bob.localhost:${port}`]);
        } finally {
            await lab.close();
        }
    });

    it("fails the shop whose scenario is not what its traffic shows, and only that one", async () => {
        const lab = await ingress({ alice: { weights: original }, bob: { weights: { original: 50, v1: 50 } } });
        try {
            const result = await captured(() => main(["--config", stackFileWith(CLASS), "--url", lab.url, "--json", ...REQUESTS]));
            assert.equal(result.code, 1, result.out);
            const report = JSON.parse(result.out) as {
                passed: boolean;
                shops: { shop: string; scenario: string; passed: boolean; checks: { name: string; pass: boolean }[] }[];
            };
            assert.equal(report.passed, false);
            assert.deepEqual(
                report.shops.map((s) => [s.shop, s.scenario, s.passed]),
                [
                    ["alice", "baseline", true],
                    ["bob", "canary", false],
                ],
            );
            assert.deepEqual(
                report.shops[1].checks.filter((c) => !c.pass).map((c) => c.name),
                ["split: original", "split: v1"],
            );
        } finally {
            await lab.close();
        }
    });

    it("--shop measures one shop alone, and names the stack's shops for a name it does not have", async () => {
        const lab = await ingress({ alice: { weights: original }, bob: { weights: { original: 70, v1: 30 } } });
        try {
            const one = await captured(() => main(["--config", stackFileWith(CLASS), "--url", lab.url, "--shop", "bob", ...REQUESTS]));
            assert.equal(one.code, 0, one.out);
            assert.ok(lab.hosts.every((h) => h.startsWith("bob.")));
            assert.match(one.out, /\nbob +canary +pass \(4 checks\)$/);
            const unknown = await captured(() => main(["--config", stackFileWith(CLASS), "--url", lab.url, "--shop", "zed"]));
            assert.equal(unknown.code, 2);
            assert.match(unknown.err, /^verify: --shop: no shop zed in this stack; its shops: alice, bob\n/);
            const single = await captured(() => main(["--config", stackFileWith({ scenario: "canary" }), "--url", lab.url, "--shop", "alice"]));
            assert.match(single.err, /no shop alice in this stack; it has one shop, without a name \(no boutique-mesh:shops\)/);
        } finally {
            await lab.close();
        }
    });
});
