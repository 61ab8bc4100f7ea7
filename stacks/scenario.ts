/**
 * The scenario model: what one stack asks of the mesh's traffic, as plain typed data.
 * Presets live next to this file, one per step of the reference lab; a stack's config names one.
 */

/** Frontend versions a scenario can route to; the key is the DestinationRule subset name. */
export const FRONTEND_VERSIONS = {
    /** The release's own frontend, labelled `version: original` from the first deploy. */
    original: { label: "original" },
} as const;

export type FrontendVersion = keyof typeof FRONTEND_VERSIONS;

/** A traffic scenario. */
export interface Scenario {
    /** One line for people: which step of the reference lab this is. */
    description: string;
    /** Percentage of frontend requests per version, ingress and in-mesh alike; the shares sum to 100. */
    frontend: Readonly<Partial<Record<FrontendVersion, number>>>;
}
