import { ScenarioInput } from "./scenario";

/**
 * Step 9 of the reference lab, second half: the slow productcatalogservice (6s) retried 3 times, 1s
 * per try. Envoy retries a per-try timeout only when retryOn has 5xx, gateway-error or reset, which Istio's
 * default conditions lack; without them the first 1s timeout would end the request with no retry.
 */
export const retry: ScenarioInput = {
    description: "Resilience: productcatalogservice answers after 6s, retried 3 times with 1s per try",
    frontend: { original: 100 },
    services: {
        productcatalogservice: {
            extraLatency: "6s",
            retries: { attempts: 3, perTryTimeout: "1s", retryOn: "gateway-error,connect-failure,refused-stream" },
        },
    },
};
