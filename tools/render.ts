/**
 * npm run render -- <stack> [--config FILE] [--format json|yaml]
 *
 * Evaluates the Pulumi program offline (mocks: no Pulumi CLI, no cluster) and prints what it declares.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { ConfigError } from "../config/schema";
import { DeclaredResource, Evaluation, evaluateStack, stackFile, stackNames } from "./evaluate";

const USAGE = `usage: npm run render -- <stack> [--config FILE] [--format json|yaml]

  <stack>         reads Pulumi.<stack>.yaml from the project (stacks: ${stackNames().join(", ")})
  --config FILE   reads FILE, in the same format, instead
  --format        json (default): one element per resource {type, name, inputs, parent, dependsOn, provider}
                  yaml: the Kubernetes objects as one multi-document manifest; charts as reference and values`;

/** A bad command line: usage on stderr, exit 2. */
class UsageError extends Error {}

interface Options {
    stack: string;
    file: string;
    /** The file as the user would name it, for messages. */
    shown: string;
    format: "json" | "yaml";
}

export function parseArgs(argv: string[]): Options {
    let stack: string | undefined;
    let file: string | undefined;
    let format = "json";
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const next = argv[++i];
            if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value`);
            return next;
        };
        if (arg === "--config") file = value();
        else if (arg === "--format") format = value();
        else if (arg === "--help" || arg === "-h") throw new UsageError("");
        else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else if (stack === undefined) stack = arg;
        else throw new UsageError(`unexpected argument ${arg}`);
    }
    if (format !== "json" && format !== "yaml") throw new UsageError(`--format must be json or yaml, not ${format}`);
    if (stack === undefined && file === undefined) throw new UsageError("name a stack or give --config FILE");
    const resolved = file ?? stackFile(stack!);
    if (!fs.existsSync(resolved)) {
        throw new UsageError(file ? `no such file: ${file}` : `no stack file Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    }
    return {
        stack: stack ?? path.basename(resolved).replace(/^Pulumi\.|\.ya?ml$/g, ""),
        file: resolved,
        shown: file ?? `Pulumi.${stack}.yaml`,
        format,
    };
}

/** One JSON element per declared resource, with only the relations that are known. */
export function toJson(evaluation: Evaluation): string {
    const entries = evaluation.resources.map((r) => ({
        type: r.type,
        name: r.name,
        inputs: r.inputs,
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.dependsOn.length > 0 ? { dependsOn: r.dependsOn } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
    }));
    return JSON.stringify(entries, null, 2);
}

function chartDocument(r: DeclaredResource): string {
    const { chart, version, repositoryOpts, name, namespace, values } = r.inputs;
    const source = repositoryOpts?.repo ? `${repositoryOpts.repo} ${chart}` : chart;
    const header = `# Helm chart ${source} ${version}, release ${name} in ${namespace} (Pulumi resource ${r.name}); rendered by Pulumi at deploy time`;
    return `${header}\n${stringify({ chart, version, ...(repositoryOpts ? { repository: repositoryOpts.repo } : {}), release: name, namespace, values })}`;
}

/** Kubernetes objects as a manifest; charts as their reference and values. */
export function toYaml(evaluation: Evaluation): string {
    const documents = evaluation.resources.flatMap((r) => {
        if (r.type === "kubernetes:helm.sh/v4:Chart") return [chartDocument(r)];
        if (r.type.startsWith("kubernetes:") && typeof r.inputs.kind === "string") return [stringify(r.inputs)];
        return [];
    });
    return documents.map((d) => `---\n${d}`).join("");
}

async function main(argv: string[]): Promise<number> {
    let options: Options;
    try {
        options = parseArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`${error.message ? `render: ${error.message}\n\n` : ""}${USAGE}\n`);
        return error.message ? 2 : 0;
    }
    try {
        const evaluation = await evaluateStack(options.stack, options.file);
        process.stdout.write(`${options.format === "json" ? toJson(evaluation) : toYaml(evaluation)}\n`);
        return 0;
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`render: ${options.shown}: ${message}\n`);
        return error instanceof ConfigError ? 1 : 3;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
