/**
 * npm run -s policy-config -- <stack> [--config FILE]
 *
 * Prints the policy pack's config for a stack (its image mirrors) as JSON, for
 * `pulumi preview --policy-pack policy --policy-pack-config <file>`.
 */
import { loadStackFile } from "../config/stack";
import { policies } from "../policy/policies";
import { STACK_OPTIONS, parseCommand, runAsScript, runCommand, stackTarget } from "./args";

/** The pack's config: every policy gets the same settings. */
export function policyConfig(stackFile: string): Record<string, unknown> {
    const config = loadStackFile(stackFile);
    const settings = { mirrors: config.images.mirrors };
    return Object.fromEntries(policies.filter((p) => p.configSchema !== undefined).map((p) => [p.name, settings]));
}

const USAGE = `usage: npm run -s policy-config -- <stack> [--config FILE]

Prints the policy pack's config for the stack (its image mirrors) as JSON on stdout.`;

export function main(argv: string[]): Promise<number> {
    return runCommand("policy-config", USAGE, argv, () => {
        const { values, positionals } = parseCommand(argv, STACK_OPTIONS, 1);
        const target = stackTarget(positionals[0], values.config);
        process.stdout.write(`${JSON.stringify(policyConfig(target.file), null, 2)}\n`);
        return 0;
    });
}

runAsScript(module, main);
