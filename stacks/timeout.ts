import { ScenarioInput } from "./scenario";

/** Step 9 of the reference lab, first half: a slow productcatalogservice (6s) behind a 2s timeout. */
export const timeout: ScenarioInput = {
    description: "Resilience: productcatalogservice answers after 6s, the mesh gives up after 2s",
    frontend: { original: 100 },
    services: { productcatalogservice: { extraLatency: "6s", timeout: "2s" } },
};
