import { strict as assert } from "assert";
import { ConfigError, LabConfigInput, PROJECT, parseLabConfig } from "../../config/schema";
import { FlatConfig } from "../../config/stack";

/** The problems a configuration is rejected with, one line each, or [] when it is accepted. */
export function configProblems(input: unknown): string[] {
    try {
        parseLabConfig(input);
        return [];
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.problems;
    }
}

/** Fails unless the configuration is rejected with, for each pattern, a problem that matches it. */
export function rejects(input: unknown, ...patterns: RegExp[]): void {
    const found = configProblems(input);
    assert.ok(found.length > 0, `accepted ${JSON.stringify(input)}`);
    for (const pattern of patterns) {
        assert.ok(
            found.some((p) => pattern.test(p)),
            `no problem matches ${pattern}:\n${found.join("\n")}`,
        );
    }
}

/** A configuration that gives productcatalogservice this traffic policy, and nothing else. */
export const pcs = (policy: object): LabConfigInput => ({ traffic: { services: { productcatalogservice: policy } } });

/** The inverse of unflattenConfig: a nested config object in Pulumi's flat form. */
export function flattenConfig(nested: Record<string, unknown>): FlatConfig {
    return Object.fromEntries(Object.entries(nested).map(([name, value]) => [`${PROJECT}:${name}`, typeof value === "string" ? value : JSON.stringify(value)]));
}
