import { ScenarioInput } from "./scenario";

/** Step 7 of the reference lab: 30% of frontend traffic to the tagged v1 frontend. */
export const canary: ScenarioInput = {
    description: "Traffic splitting: 70% to the original frontend, 30% to v1",
    frontend: { original: 70, v1: 30 },
};
