import { Scenario } from "./scenario";

/** Step 5 of the reference lab: the shop behind the Istio ingress, every request to the original frontend. */
export const baseline: Scenario = {
    description: "Baseline lab: all frontend traffic to the original version",
    frontend: { original: 100 },
};
