/** The scenario presets a stack can name in `boutique-mesh:scenario`. */
import { baseline } from "./baseline";
import { Scenario } from "./scenario";

export const SCENARIOS = { baseline } as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as [ScenarioName, ...ScenarioName[]];

export { FRONTEND_VERSIONS, FrontendVersion, Scenario } from "./scenario";
