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

/** The presets, validated (and defaults applied) by the same schema as the stack's overrides. */
export const SCENARIOS = Object.fromEntries(SCENARIO_NAMES.map((name) => [name, scenarioSchema.parse(PRESETS[name])])) as Record<ScenarioName, Scenario>;

/** The scenario a stack runs: its preset, adjusted by `boutique-mesh:traffic`. */
export function resolveScenario(name: ScenarioName, overrides?: ScenarioOverrides): Scenario {
    return applyOverrides(SCENARIOS[name], overrides);
}

export * from "./scenario";
