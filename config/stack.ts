/**
 * From Pulumi's flat config map ("boutique-mesh:istio" -> JSON text) to the validated LabConfig.
 * The Pulumi program, the offline renderer and the tests all come through here.
 */
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, LabConfig, PROJECT, parseLabConfig } from "./schema";

/** Pulumi's runtime config: fully qualified key -> value, objects as JSON text. */
export type FlatConfig = Readonly<Record<string, string>>;

/**
 * Keys of the Kubernetes provider's own namespace do nothing here: every resource uses the lab's
 * explicit provider. Rejecting them beats a setting silently ignored.
 */
const PROVIDER_HINTS: Readonly<Record<string, string>> = {
    "kubernetes:kubeconfig": `${PROJECT}:cluster.kubeconfig`,
    "kubernetes:context": `${PROJECT}:cluster.context`,
};

/** Turns the flat map into the nested object the schema reads. */
export function unflattenConfig(flat: FlatConfig): Record<string, unknown> {
    const problems: string[] = [];
    const nested: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(flat)) {
        if (key.startsWith("kubernetes:")) {
            const instead = PROVIDER_HINTS[key];
            problems.push(`${key} is not used (the lab's Kubernetes provider is explicit)${instead ? `; set ${instead} instead` : ""}`);
            continue;
        }
        if (!key.startsWith(`${PROJECT}:`)) continue;
        const name = key.slice(PROJECT.length + 1);
        // Pulumi stores structured values as JSON and scalars as their text.
        const structured = /^\s*[[{]/.test(text);
        if (!structured) {
            nested[name] = text;
            continue;
        }
        try {
            nested[name] = JSON.parse(text);
        } catch {
            problems.push(`${key} = ${JSON.stringify(text)}: not valid JSON`);
        }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return nested;
}

/** The inverse of unflattenConfig: a nested config object in Pulumi's flat form. */
export function flattenConfig(nested: Record<string, unknown>): FlatConfig {
    return Object.fromEntries(
        Object.entries(nested).map(([name, value]) => [`${PROJECT}:${name}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/** Validates Pulumi's flat config; throws ConfigError naming every bad key. */
export function labConfigFrom(flat: FlatConfig): LabConfig {
    return parseLabConfig(unflattenConfig(flat));
}

/**
 * Reads a `Pulumi.<stack>.yaml` file into Pulumi's flat form, as the CLI hands it to the program.
 * Values marked `secure` cannot be decrypted offline; they come through as a placeholder.
 */
export function readStackFile(file: string): FlatConfig {
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        const qualified = key.includes(":") ? key : `${PROJECT}:${key}`;
        if (value !== null && typeof value === "object" && "secure" in value) flat[qualified] = "[secret]";
        else flat[qualified] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}
