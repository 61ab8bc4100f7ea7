/** The scenario presets a stack can name in `boutique-mesh:scenario`. */
import { baseline } from "./baseline";
import { canary } from "./canary";
import { faultAbort } from "./fault-abort";
import { faultDelay } from "./fault-delay";
import { retry } from "./retry";
import { Scenario, ScenarioInput, ScenarioOverrides, applyOverrides, scenarioSchema } from "./scenario";
import { timeout } from "./timeout";

/** The presets as written. */
export const PRESETS = {
    baseline,
    canary,
    "fault-delay": faultDelay,
    "fault-abort": faultAbort,
    timeout,
    retry,
} as const satisfies Record<string, ScenarioInput>;

export type ScenarioName = keyof typeof PRESETS;
export const SCENARIO_NAMES = Object.keys(PRESETS) as [ScenarioName, ...ScenarioName[]];

/**
 * The presets, validated (and defaults applied) by the same schema as the stack's overrides. Each is
 * parsed when it is read, not when this module loads: a broken preset then fails the stack that uses
 * it and the spec that checks it, instead of every import of this module.
 */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = Object.defineProperties(
    {} as Record<ScenarioName, Scenario>,
    Object.fromEntries(SCENARIO_NAMES.map((name) => [name, { enumerable: true, get: () => scenarioSchema.parse(PRESETS[name]) }])),
);

/** The scenario a stack runs: its preset, adjusted by `boutique-mesh:traffic`. */
export function resolveScenario(name: ScenarioName, overrides?: ScenarioOverrides): Scenario {
    return applyOverrides(SCENARIOS[name], overrides);
}

export * from "./scenario";
