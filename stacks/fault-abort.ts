import { ScenarioInput } from "./scenario";

/** Step 8 of the reference lab, second half: half of productcatalogservice's requests fail with HTTP 500. */
export const faultAbort: ScenarioInput = {
    description: "Fault injection: 50% of productcatalogservice requests aborted with HTTP 500",
    frontend: { original: 100 },
    services: { productcatalogservice: { abort: { percentage: 50, httpStatus: 500 } } },
};
