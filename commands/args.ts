/**
 * The one command-line convention of every command (lab, render, policy-config, verify, analyze, bench,
 * mutate), on Node's own parser (node:util parseArgs):
 *   - `--help` or `-h` prints the usage on stdout and exits 0;
 *   - an error prints `<command>: <what>: <why>` on stderr, never a stack trace;
 *   - exit codes: 0 done, 1 failed (a check, a preflight, the engine), 2 bad command line or bad config.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../config/schema";
import { Evaluation, evaluateStack } from "../mocks/evaluate";
import { stackFile, stackNames } from "../config/project";

/** The exit codes of every command, documented once (docs/tools.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A bad command line: `<command>: <message>` on stderr, exit 2. */
export class UsageError extends Error {}

/** A command's options: `string` ones take a value, `boolean` ones do not. */
export type Options = Record<string, { type: "string" | "boolean" }>;

export type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean };

export interface Parsed<O extends Options> {
    values: Values<O>;
    positionals: string[];
}

/** What node:util's parser says, in this convention's words (the option name, then what is wrong). */
function usageError(error: unknown): UsageError {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`unknown option ${option ?? message}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
        return new UsageError(/argument missing/.test(message) ? `${option}: needs a value` : `${option}: takes no value`);
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(`unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? message}`);
    return new UsageError(message);
}

/** Parses argv strictly: the given options only, at most `maxPositionals` positional arguments. */
export function parseCommand<O extends Options>(argv: string[], options: O, maxPositionals = 0): Parsed<O> {
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
        throw usageError(error);
    }
    if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${parsed.positionals[maxPositionals]}`);
    return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * Runs a command: `--help` answered first, then `run`; every error it throws becomes one line on stderr
 * and its exit code (UsageError and ConfigError 2, anything else 1).
 */
export async function runCommand(name: string, usage: string, argv: string[], run: () => number | Promise<number>): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(`${usage}\n`);
        return EXIT.ok;
    }
    try {
        return await run();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`${name}: ${message}\n`);
        if (error instanceof UsageError) process.stderr.write(`(npm run ${name} -- --help shows the usage)\n`);
        return error instanceof UsageError || error instanceof ConfigError ? EXIT.usage : EXIT.failed;
    }
}

/** Which stack file a command reads. */
export interface StackTarget {
    stack: string;
    file: string;
    /** The file as the user would name it, for messages. */
    shown: string;
}

/** The options of every command that reads one stack file: `<stack>` or `--config FILE`. */
export const STACK_OPTIONS = { config: { type: "string" } } as const;

/** The stack file named by `<stack>` (a stack file of the project) or `--config FILE`. */
export function stackTarget(stack: string | undefined, file: string | undefined): StackTarget {
    if (stack === undefined && file === undefined) throw new UsageError("name a stack or give --config FILE");
    if (file !== undefined) {
        if (!fs.existsSync(file)) throw new UsageError(`--config: no such file: ${file}`);
        return { stack: stack ?? path.basename(file).replace(/^Pulumi\.|\.ya?ml$/g, ""), file, shown: file };
    }
    if (!fs.existsSync(stackFile(stack!))) throw new UsageError(`no stack file Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    return { stack: stack!, file: stackFile(stack!), shown: `Pulumi.${stack}.yaml` };
}

/** The stack evaluated offline, its warnings on stderr; a bad config is a ConfigError naming the file. */
export async function evaluateTarget(name: string, target: StackTarget): Promise<Evaluation> {
    let evaluation: Evaluation;
    try {
        evaluation = await evaluateStack(target.stack, target.file);
    } catch (error) {
        if (error instanceof ConfigError) throw new ConfigError(error.problems, target.shown);
        throw error;
    }
    for (const warning of evaluation.warnings) process.stderr.write(`${name}: ${target.shown}: warning: ${warning}\n`);
    return evaluation;
}

/** `main(argv)` when the file is run as a script, with its exit code. */
export function runAsScript(module: NodeModule, main: (argv: string[]) => Promise<number>): void {
    if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
