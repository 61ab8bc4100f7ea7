/**
 * npm run -s policy-config -- <stack> [--config FILE]
 *
 * Prints the policy pack's config for a stack (its image mirrors) as JSON, for
 * `pulumi preview --policy-pack policy --policy-pack-config <file>`.
 */
import { loadStackFile } from "../config/stack";
import { ConfigError } from "../config/schema";
import { policies } from "../policy/policies";
import { UsageError, parseCommandLine, runAsScript } from "./args";

/** The pack's config: every policy gets the same settings. */
export function policyConfig(stackFile: string): Record<string, unknown> {
    const config = loadStackFile(stackFile);
    const settings = { mirrors: config.images.mirrors };
    return Object.fromEntries(policies.filter((p) => p.configSchema !== undefined).map((p) => [p.name, settings]));
}

export async function main(argv: string[]): Promise<number> {
    try {
        const { target } = parseCommandLine(argv);
        process.stdout.write(`${JSON.stringify(policyConfig(target.file), null, 2)}\n`);
        return 0;
    } catch (error) {
        if (error instanceof UsageError) {
            process.stderr.write(`policy-config: ${error.message || "usage"}\nusage: npm run -s policy-config -- <stack> [--config FILE]\n`);
            return 2;
        }
        if (error instanceof ConfigError) {
            process.stderr.write(`policy-config: ${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

runAsScript(module, main);
