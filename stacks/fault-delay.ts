import { ScenarioInput } from "./scenario";

/** Step 8 of the reference lab, first half: half of recommendationservice's requests wait 5s. */
export const faultDelay: ScenarioInput = {
    description: "Fault injection: 50% of recommendationservice requests delayed by 5s",
    frontend: { original: 100 },
    services: { recommendationservice: { delay: { percentage: 50, fixedDelay: "5s" } } },
};
