/**
 * The scenario model: what one stack asks of the mesh's traffic, as plain typed data, and the schema
 * that validates it. Presets live next to this file, one per step of the reference lab; a stack's
 * config names one and may adjust it with `boutique-mesh:traffic`.
 */
import { z } from "zod";
import { BOUTIQUE_SERVICES, FRONTEND_V1_IMAGE, FRONTEND_V1_VERSION, ROUTABLE_SERVICES } from "../catalog/boutique";
import { DURATION_HELP, durationMs } from "../config/duration";

/**
 * Frontend versions a scenario can route to; the key is the DestinationRule subset name. The label and
 * image here are the defaults, the reference lab's: a stack sets v1's with `boutique.frontendV1`, and
 * the lab deploys what components/shop/workloads.ts frontendVersions() makes of its config.
 */
export const FRONTEND_VERSIONS = {
    /** The release's own frontend, labelled `version: original` from the first deploy. */
    original: { label: "original", image: undefined },
    /** A second frontend, Tetrate's tagged one by default; deployed only while a scenario sends it traffic. */
    v1: { label: FRONTEND_V1_VERSION, image: FRONTEND_V1_IMAGE },
} as const;

export type FrontendVersion = keyof typeof FRONTEND_VERSIONS;
const VERSION_NAMES = Object.keys(FRONTEND_VERSIONS) as [FrontendVersion, ...FrontendVersion[]];

const percentage = z.number().min(0, "must be a percentage from 0 to 100").max(100, "must be a percentage from 0 to 100");

/** A Go duration ("6s", "1500ms"), as EXTRA_LATENCY takes it. */
export const goDuration = z.string().refine((t) => durationMs(t) !== undefined, DURATION_HELP);

/** A duration Istio accepts: a Go duration of at least 1ms, which its CRDs require. */
const meshDuration = goDuration.refine((t) => (durationMs(t) ?? 1) >= 1, "must be at least 1ms (Istio's minimum)");

/** Retry conditions Envoy knows (x-envoy-retry-on and x-envoy-retry-grpc-on), or HTTP status codes. */
const RETRY_CONDITIONS = [
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

const retryOn = z
    .string()
    .refine(
        (text) => text.split(",").every((c) => RETRY_CONDITIONS.includes(c.trim()) || /^[1-5]\d\d$/.test(c.trim())),
        `must be a comma-separated list of Envoy retry conditions (${RETRY_CONDITIONS.join(", ")}) or HTTP status codes`,
    );

/** What a scenario may ask of one service's traffic. */
export const servicePolicySchema = z.strictObject({
    /** Delay a share of requests before forwarding them. */
    delay: z.strictObject({ percentage, fixedDelay: meshDuration }).optional(),
    /** Answer a share of requests with an error status instead of forwarding them. */
    abort: z
        .strictObject({
            percentage,
            httpStatus: z.number().int().min(200, "must be an HTTP status from 200 to 599").max(599, "must be an HTTP status from 200 to 599"),
        })
        .optional(),
    /** Give up on a request after this long, retries included. */
    timeout: meshDuration.optional(),
    retries: z
        .strictObject({
            /** Retries after the first try (Istio's `attempts`). */
            attempts: z
                .number({ error: "retries need attempts: the number of retries after the first try" })
                .int()
                .min(1, "must be at least 1")
                .max(10, "must be at most 10"),
            perTryTimeout: meshDuration.optional(),
            /** Envoy's conditions; Istio's default is connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes. */
            retryOn: retryOn.optional(),
        })
        .optional(),
    /** Latency the service adds to every call itself (EXTRA_LATENCY), a Go duration. */
    extraLatency: goDuration.optional(),
});

export type ServicePolicy = z.infer<typeof servicePolicySchema>;

const weightsShape = z.strictObject(
    Object.fromEntries(VERSION_NAMES.map((v) => [v, percentage.optional()])) as Record<FrontendVersion, z.ZodOptional<typeof percentage>>,
);
/** A split: a share per version, summing to 100. */
const weights = weightsShape.refine((w) => Object.values(w).reduce<number>((sum, v) => sum + (v ?? 0), 0) === 100, {
    message: "the shares must sum to 100",
});

/** Policy per service, by catalog name: services reached over HTTP or gRPC, which Istio's HTTP routes act on. Only services that read a latency variable can add latency. */
const services = z.partialRecord(z.enum(ROUTABLE_SERVICES), servicePolicySchema).superRefine((byService, ctx) => {
    const readers = BOUTIQUE_SERVICES.filter((s) => s.latencyVariable).map((s) => s.name);
    for (const [name, policy] of Object.entries(byService)) {
        if (policy?.extraLatency !== undefined && !readers.includes(name)) {
            ctx.addIssue({ code: "custom", path: [name, "extraLatency"], input: policy.extraLatency, message: `only ${readers.join(", ")} can add latency` });
        }
    }
});

/** A scenario: frontend split and per-service policy. */
export const scenarioSchema = z.strictObject({
    /** One line for people: which step of the reference lab this is. */
    description: z.string().min(1),
    /** Percentage of frontend requests per version, ingress and in-mesh alike. */
    frontend: weights,
    /** Faults and resilience per service. */
    services: services.default({}),
});

/** A scenario as presets write it (services optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;

/** Adjustments of a preset in the stack's config (`boutique-mesh:traffic`). */
export const scenarioOverridesSchema = z.strictObject({
    /** Replaces the preset's split as a whole, so it must sum to 100 on its own. */
    frontend: weights.optional(),
    /** Merged into the preset's policy per service, field by field. */
    services: services.optional(),
});
export type ScenarioOverrides = z.infer<typeof scenarioOverridesSchema>;

/** The preset with the stack's overrides applied. Both are valid on their own, and so is the merge. */
export function applyOverrides(preset: Scenario, overrides: ScenarioOverrides | undefined): Scenario {
    if (overrides === undefined) return preset;
    const merged: Scenario["services"] = { ...preset.services };
    for (const [name, policy] of Object.entries(overrides.services ?? {})) merged[name] = { ...merged[name], ...policy };
    return { ...preset, frontend: overrides.frontend ?? preset.frontend, services: merged };
}

/** The retryOn conditions under which Envoy retries a try that hit its per-try timeout. */
export const TIMEOUT_RETRY_CONDITIONS = ["5xx", "gateway-error", "reset"] as const;

/**
 * Whether Envoy retries a try that hit its per-try timeout: only when retryOn has 5xx, gateway-error or
 * reset (envoyproxy/envoy v1.39.0 source/common/router/retry_state_impl.cc 468-477, wouldRetryFromReset:
 * the timeout resets the try; reset-before-request does not count, the request was sent). Istio's default
 * retryOn has none of them. Shown on a real Envoy by e2e/envoy.spec.ts.
 */
export function retriesTimeouts(retries: NonNullable<ServicePolicy["retries"]>): boolean {
    const conditions = (retries.retryOn ?? "").split(",").map((c) => c.trim());
    return TIMEOUT_RETRY_CONDITIONS.some((c) => conditions.includes(c));
}

/** Things a valid scenario may not do as its author expects, for people to read before `pulumi up`. */
export function scenarioWarnings(scenario: Scenario): string[] {
    const warnings: string[] = [];
    for (const [name, policy] of Object.entries(scenario.services)) {
        const retries = policy?.retries;
        if (retries?.perTryTimeout === undefined) continue;
        if (!retriesTimeouts(retries)) {
            warnings.push(
                `${name}: retries.perTryTimeout is ${retries.perTryTimeout} but retryOn (${retries.retryOn ?? "Istio's default"}) has none of ${TIMEOUT_RETRY_CONDITIONS.join(", ")}, ` +
                    "so Envoy will not retry a request whose try timed out",
            );
        }
    }
    return warnings;
}
