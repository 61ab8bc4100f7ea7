import { ScenarioInput } from "./scenario";

/** Steps 1-5 of the reference lab: the shop behind the Istio ingress, every request to the original frontend. */
export const baseline: ScenarioInput = {
    description: "Baseline lab: all frontend traffic to the original version",
    frontend: { original: 100 },
};
