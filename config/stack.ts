/**
 * From Pulumi's flat config map ("boutique-mesh:istio" -> JSON text) to the validated LabConfig.
 * The Pulumi program, the offline renderer and the tests all come through here.
 */
import { valueAt } from "./object-path";
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, LabConfig, PROJECT, SECRET_PLACEHOLDER, parseLabConfig } from "./schema";

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

/** Keys whose values must come from a secret (`pulumi config set --secret --path ...`). */
const MUST_BE_SECRET: readonly string[][] = [
    ["addons", "grafana", "adminPassword"],
    ["addons", "kiali", "signingKey"],
    ["images", "copy", "credentials"],
];

/**
 * Validates Pulumi's flat config; throws ConfigError naming every bad key. `secretKeys` are the
 * top-level keys Pulumi holds as secrets: a password anywhere else would sit in the stack file in
 * plain text.
 */
export function labConfigFrom(flat: FlatConfig, secretKeys: readonly string[] = []): LabConfig {
    const nested = unflattenConfig(flat);
    const config = parseLabConfig(nested);
    const exposed = MUST_BE_SECRET.filter((path) => valueAt(nested, path) !== undefined && !secretKeys.includes(`${PROJECT}:${path[0]}`));
    if (exposed.length > 0) {
        throw new ConfigError(
            exposed.map((path) => {
                const key = `${PROJECT}:${path.join(".")}`;
                return `${key} is in plain text; set it with: pulumi config set --secret --path '${key}' <value>`;
            }),
        );
    }
    return config;
}

/** Reads and validates a stack file, as the program would receive it. */
export function loadStackFile(file: string): LabConfig {
    const { config, secretKeys } = readStackFile(file);
    return labConfigFrom(config, secretKeys);
}

/** A stack file as Pulumi hands it to the program: flat values, and which keys are secret. */
export interface StackConfig {
    config: FlatConfig;
    secretKeys: string[];
}

/** Replaces `{secure: ...}` leaves; reports whether there was one. */
function withoutCiphertext(value: unknown): { value: unknown; secret: boolean } {
    if (value === null || typeof value !== "object") return { value, secret: false };
    if (!Array.isArray(value) && "secure" in value) return { value: SECRET_PLACEHOLDER, secret: true };
    let secret = false;
    const entries = Object.entries(value).map(([k, v]) => {
        const inner = withoutCiphertext(v);
        secret ||= inner.secret;
        return [k, inner.value] as const;
    });
    return { value: Array.isArray(value) ? entries.map(([, v]) => v) : Object.fromEntries(entries), secret };
}

/**
 * Reads a `Pulumi.<stack>.yaml` file into Pulumi's flat form, as the CLI hands it to the program.
 * Values marked `secure` cannot be decrypted offline; they come through as SECRET_PLACEHOLDER.
 */
export function readStackFile(file: string): StackConfig {
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(doc?.config ?? {})) {
        const qualified = key.includes(":") ? key : `${PROJECT}:${key}`;
        const { value, secret } = withoutCiphertext(raw);
        if (secret) secretKeys.push(qualified);
        config[qualified] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { config, secretKeys };
}
