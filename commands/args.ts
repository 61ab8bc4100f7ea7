/**
 * The command line shared by the offline tools: `<stack> | --config FILE`, a few options, and the
 * same exits everywhere (0 done, 1 the lab or its config is wrong, 2 bad command line).
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config/schema";
import { Evaluation, evaluateStack, stackFile, stackNames } from "../mocks/evaluate";

/** A bad command line: usage on stderr, exit 2. An empty message asks for the usage alone. */
export class UsageError extends Error {}

/** Which stack file a command reads. */
export interface StackTarget {
    stack: string;
    file: string;
    /** The file as the user would name it, for messages. */
    shown: string;
}

export interface CommandLine {
    target: StackTarget;
    /** Options that take a value, by name without the dashes. */
    values: Record<string, string>;
    /** Options without a value that were given. */
    flags: Set<string>;
}

/** Parses `<stack> [--config FILE]` plus the named options. */
export function parseCommandLine(argv: string[], valueOptions: string[] = [], flagOptions: string[] = []): CommandLine {
    let stack: string | undefined;
    const values: Record<string, string> = {};
    const flags = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const option = arg.replace(/^--/, "");
        if (arg === "--help" || arg === "-h") throw new UsageError("");
        if (arg.startsWith("-") && (option === "config" || valueOptions.includes(option))) {
            const next = argv[++i];
            if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value`);
            values[option] = next;
        } else if (arg.startsWith("-") && flagOptions.includes(option)) flags.add(option);
        else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else if (stack === undefined) stack = arg;
        else throw new UsageError(`unexpected argument ${arg}`);
    }
    const file = values.config;
    if (stack === undefined && file === undefined) throw new UsageError("name a stack or give --config FILE");
    const resolved = file ?? stackFile(stack!);
    if (!fs.existsSync(resolved)) {
        throw new UsageError(file ? `no such file: ${file}` : `no stack file Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    }
    const target = { stack: stack ?? path.basename(resolved).replace(/^Pulumi\.|\.ya?ml$/g, ""), file: resolved, shown: file ?? `Pulumi.${stack}.yaml` };
    return { target, values, flags };
}

/**
 * Runs a command on one evaluated stack. `run` returns the exit code; a usage error exits 2 with the
 * usage, an invalid config exits 1 with its message. Nothing reaches stdout unless `run` writes it.
 */
export async function runOnStack<Line extends CommandLine>(
    command: string,
    usage: string,
    argv: string[],
    parse: (argv: string[]) => Line,
    run: (evaluation: Evaluation, line: Line) => number,
): Promise<number> {
    let line: Line;
    try {
        line = parse(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`${error.message ? `${command}: ${error.message}\n\n` : ""}${usage}\n`);
        return error.message ? 2 : 0;
    }
    let evaluation: Evaluation;
    try {
        evaluation = await evaluateStack(line.target.stack, line.target.file);
    } catch (error) {
        process.stderr.write(`${command}: ${line.target.shown}: ${error instanceof Error ? error.message : String(error)}\n`);
        return error instanceof ConfigError ? 1 : 3;
    }
    for (const warning of evaluation.warnings) process.stderr.write(`${command}: ${line.target.shown}: warning: ${warning}\n`);
    return run(evaluation, line);
}

/** `main(argv)` when the file is run as a script, with its exit code. */
export function runAsScript(module: NodeModule, main: (argv: string[]) => Promise<number>): void {
    if (require.main === module) main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
