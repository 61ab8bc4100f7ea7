import { strict as assert } from "assert";
import { SCENARIOS, SCENARIO_NAMES, Scenario, applyOverrides, scenarioOverridesSchema, scenarioSchema, scenarioWarnings } from "../stacks";
import { configProblems, pcs } from "./support/config";

const key = "boutique-mesh:traffic.services.productcatalogservice";

describe("scenario: the schema of a scenario and of its overrides", () => {
    it("has the six presets, one per step of the reference lab, readable as a record", () => {
        const names = ["baseline", "canary", "fault-delay", "fault-abort", "timeout", "retry"];
        assert.deepEqual(SCENARIO_NAMES, names);
        assert.deepEqual(Object.keys(SCENARIOS), names);
        assert.deepEqual(
            Object.values(SCENARIOS).map((s) => s.frontend),
            [{ original: 100 }, { original: 70, v1: 30 }, { original: 100 }, { original: 100 }, { original: 100 }, { original: 100 }],
        );
    });

    it("takes percentages from 0 to 100, bounds included", () => {
        for (const percentage of [0, 0.5, 100]) assert.deepEqual(configProblems(pcs({ delay: { percentage, fixedDelay: "1s" } })), [], String(percentage));
        for (const percentage of [-0.1, 100.1]) {
            assert.deepEqual(configProblems(pcs({ abort: { percentage, httpStatus: 500 } })), [
                `${key}.abort.percentage = ${percentage}: must be a percentage from 0 to 100`,
            ]);
        }
    });

    it("takes a split whose shares sum to 100, a missing version counting 0", () => {
        assert.deepEqual(configProblems({ traffic: { frontend: { original: 100 } } }), []);
        assert.deepEqual(configProblems({ traffic: { frontend: { v1: 100 } } }), []);
        assert.deepEqual(configProblems({ traffic: { frontend: { original: 33.5, v1: 66.5 } } }), []);
        assert.deepEqual(configProblems({ traffic: { frontend: { original: 50 } } }), [
            'boutique-mesh:traffic.frontend = {"original":50}: the shares must sum to 100',
        ]);
        assert.deepEqual(configProblems({ traffic: { frontend: { original: 100, v1: 50 } } }), [
            'boutique-mesh:traffic.frontend = {"original":100,"v1":50}: the shares must sum to 100',
        ]);
    });

    it("takes Go durations, and for the mesh at least Istio's 1ms", () => {
        assert.deepEqual(configProblems(pcs({ timeout: "1ms", extraLatency: "0" })), []);
        assert.deepEqual(configProblems(pcs({ retries: { attempts: 1, perTryTimeout: "1.5s" }, delay: { percentage: 1, fixedDelay: "2m" } })), []);
        for (const field of ["timeout", "extraLatency"]) {
            assert.deepEqual(configProblems(pcs({ [field]: "5x" })), [
                `${key}.${field} = "5x": must be a duration such as 5s, 1500ms or 1m30s (a number and a unit: ns, us, ms, s, m, h; no sign)`,
            ]);
        }
        assert.deepEqual(configProblems(pcs({ timeout: "999us" })), [`${key}.timeout = "999us": must be at least 1ms (Istio's minimum)`]);
        assert.deepEqual(configProblems(pcs({ retries: { attempts: 1, perTryTimeout: "0s" } })), [
            `${key}.retries.perTryTimeout = "0s": must be at least 1ms (Istio's minimum)`,
        ]);
        assert.deepEqual(configProblems(pcs({ delay: { percentage: 1, fixedDelay: "0" } })), [
            `${key}.delay.fixedDelay = "0": must be at least 1ms (Istio's minimum)`,
        ]);
    });

    it("takes an HTTP status from 200 to 599, whole", () => {
        for (const httpStatus of [200, 503, 599]) assert.deepEqual(configProblems(pcs({ abort: { percentage: 1, httpStatus } })), [], String(httpStatus));
        for (const httpStatus of [199, 600]) {
            assert.deepEqual(configProblems(pcs({ abort: { percentage: 1, httpStatus } })), [
                `${key}.abort.httpStatus = ${httpStatus}: must be an HTTP status from 200 to 599`,
            ]);
        }
        assert.equal(configProblems(pcs({ abort: { percentage: 1, httpStatus: 500.5 } })).length, 1);
    });

    it("takes 1 to 10 retries after the first try, whole", () => {
        for (const attempts of [1, 10]) assert.deepEqual(configProblems(pcs({ retries: { attempts } })), [], String(attempts));
        assert.deepEqual(configProblems(pcs({ retries: { attempts: 0 } })), [`${key}.retries.attempts = 0: must be at least 1`]);
        assert.deepEqual(configProblems(pcs({ retries: { attempts: 11 } })), [`${key}.retries.attempts = 11: must be at most 10`]);
        assert.equal(configProblems(pcs({ retries: { attempts: 2.5 } })).length, 1);
        assert.deepEqual(configProblems(pcs({ retries: {} })), [
            `${key}.retries.attempts = nothing: retries need attempts: the number of retries after the first try`,
        ]);
    });

    it("takes Envoy's retry conditions and HTTP status codes, comma-separated", () => {
        // envoyproxy/envoy docs/root/configuration/http/http_filters/router_filter.rst (x-envoy-retry-on and
        // x-envoy-retry-grpc-on), and reset-before-request, new in Envoy 1.31 (Istio 1.23.0 change notes).
        const conditions = [
            "5xx",
            "gateway-error",
            "reset",
            "reset-before-request",
            "connect-failure",
            "envoy-ratelimited",
            "retriable-4xx",
            "refused-stream",
            "retriable-status-codes",
            "retriable-headers",
            "http3-post-connect-failure",
            "cancelled",
            "deadline-exceeded",
            "internal",
            "resource-exhausted",
            "unavailable",
        ];
        for (const retryOn of [...conditions, conditions.join(","), "503", "100,599", "gateway-error, 503 ,unavailable", "5xx, gateway-error"]) {
            assert.deepEqual(configProblems(pcs({ retries: { attempts: 1, retryOn } })), [], retryOn);
        }
        for (const retryOn of ["timeout", "5xx,", "600", "099", "50", "5031", "a500", "5xx;reset", ""]) {
            const found = configProblems(pcs({ retries: { attempts: 1, retryOn } }));
            assert.equal(found.length, 1, retryOn);
            assert.match(
                found[0],
                /retries\.retryOn = .*: must be a comma-separated list of Envoy retry conditions \(5xx, gateway-error, .*, unavailable\) or HTTP status codes$/,
            );
        }
    });

    it("lets only a service that reads a latency variable add latency", () => {
        // Of the release's services only productcatalogservice reads EXTRA_LATENCY (v0.10.6, src/productcatalogservice/server.go).
        assert.deepEqual(configProblems(pcs({ extraLatency: "6s" })), []);
        for (const service of ["frontend", "cartservice", "recommendationservice"]) {
            assert.deepEqual(configProblems({ traffic: { services: { [service]: { extraLatency: "1s" } } } }), [
                `boutique-mesh:traffic.services.${service}.extraLatency = "1s": only productcatalogservice can add latency`,
            ]);
        }
        assert.deepEqual(configProblems({ traffic: { services: { cartservice: { timeout: "1s" } } } }), [], "other policy is fine");
    });

    it("a scenario needs a description and a split; its services default to none", () => {
        assert.deepEqual(scenarioSchema.parse({ description: "x", frontend: { original: 100 } }), {
            description: "x",
            frontend: { original: 100 },
            services: {},
        });
        assert.equal(scenarioSchema.safeParse({ description: "", frontend: { original: 100 } }).success, false);
        assert.equal(scenarioSchema.safeParse({ description: "x" }).success, false);
        assert.deepEqual(scenarioOverridesSchema.parse({}), {});
    });

    describe("overrides", () => {
        const preset: Scenario = {
            description: "preset",
            frontend: { original: 100 },
            services: { productcatalogservice: { extraLatency: "6s", timeout: "2s" }, cartservice: { timeout: "1s" } },
        };
        const before = structuredClone(preset);

        it("change nothing when there are none", () => {
            assert.deepEqual(applyOverrides(preset, undefined), before);
            assert.deepEqual(applyOverrides(preset, {}), before);
        });

        it("replace the split as a whole and merge each service's policy field by field, leaving the preset alone", () => {
            const merged = applyOverrides(preset, {
                frontend: { original: 60, v1: 40 },
                services: { productcatalogservice: { timeout: "3s", abort: { percentage: 5, httpStatus: 503 } }, adservice: { timeout: "1s" } },
            });
            assert.deepEqual(merged, {
                description: "preset",
                frontend: { original: 60, v1: 40 },
                services: {
                    productcatalogservice: { extraLatency: "6s", timeout: "3s", abort: { percentage: 5, httpStatus: 503 } },
                    cartservice: { timeout: "1s" },
                    adservice: { timeout: "1s" },
                },
            });
            assert.deepEqual(preset, before);
        });
    });

    describe("warnings", () => {
        const withRetries = (retries: NonNullable<Scenario["services"]["productcatalogservice"]>["retries"]): Scenario => ({
            description: "x",
            frontend: { original: 100 },
            services: { cartservice: { timeout: "1s" }, productcatalogservice: { retries } },
        });

        it("warn when a per-try timeout would not be retried, naming the service and the conditions", () => {
            assert.deepEqual(scenarioWarnings(withRetries({ attempts: 3, perTryTimeout: "1s" })), [
                "productcatalogservice: retries.perTryTimeout is 1s but retryOn (Istio's default) has none of 5xx, gateway-error, reset, so Envoy will not retry a request whose try timed out",
            ]);
            assert.deepEqual(
                scenarioWarnings(withRetries({ attempts: 3, perTryTimeout: "500ms", retryOn: "unavailable,reset-before-request,connect-failure" })),
                [
                    "productcatalogservice: retries.perTryTimeout is 500ms but retryOn (unavailable,reset-before-request,connect-failure) has none of 5xx, gateway-error, reset, so Envoy will not retry a request whose try timed out",
                ],
            );
        });

        it("stay quiet when Envoy does retry a timed-out try, or there is no per-try timeout", () => {
            for (const retryOn of ["5xx", "gateway-error", "reset", "unavailable, reset ", "reset, gateway-error", "unavailable,5xx "]) {
                assert.deepEqual(scenarioWarnings(withRetries({ attempts: 3, perTryTimeout: "1s", retryOn })), [], retryOn);
            }
            assert.deepEqual(scenarioWarnings(withRetries({ attempts: 3, retryOn: "unavailable" })), []);
            assert.deepEqual(scenarioWarnings(withRetries(undefined)), []);
        });
    });
});
