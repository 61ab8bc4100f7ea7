import { strict as assert } from "assert";
import { ConfigError, LabConfigInput, parseLabConfig } from "../../config/schema";

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
