/**
 * npm run render -- <stack> [--config FILE] [--format json|yaml]
 *
 * Evaluates the Pulumi program offline (mocks: no Pulumi CLI, no cluster) and prints what it declares.
 */
import { stringify } from "yaml";
import { CommandLine, UsageError, parseCommandLine, runAsScript, runOnStack } from "./args";
import { DeclaredResource, Evaluation, stackNames } from "../mocks/evaluate";

const USAGE = `usage: npm run render -- <stack> [--config FILE] [--format json|yaml]

  <stack>         reads Pulumi.<stack>.yaml from the project (stacks: ${stackNames().join(", ")})
  --config FILE   reads FILE, in the same format, instead
  --format        json (default): one element per resource {type, name, inputs, parent, dependsOn, provider}
                  yaml: the Kubernetes objects as one multi-document manifest; charts as reference and values`;

export function parseArgs(argv: string[]): CommandLine & { format: "json" | "yaml" } {
    const line = parseCommandLine(argv, ["format"]);
    const format = line.values.format ?? "json";
    if (format !== "json" && format !== "yaml") throw new UsageError(`--format must be json or yaml, not ${format}`);
    return { ...line, format };
}

/** What a chart's transforms change in its objects, by name (components/chart-transforms.ts). */
const transformNames = (r: DeclaredResource) => (r.transforms.length > 0 ? { transforms: r.transforms } : {});

/** One JSON element per declared resource, with only the relations that are known. */
export function toJson(evaluation: Evaluation): string {
    const entries = evaluation.resources.map((r) => ({
        type: r.type,
        name: r.name,
        inputs: r.inputs,
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.dependsOn.length > 0 ? { dependsOn: r.dependsOn } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
        ...transformNames(r),
    }));
    return JSON.stringify(entries, null, 2);
}

function chartDocument(r: DeclaredResource): string {
    const { chart, version, repositoryOpts, name, namespace, values } = r.inputs;
    const source = repositoryOpts?.repo ? `${repositoryOpts.repo} ${chart}` : chart;
    const header = `# Helm chart ${source} ${version}, release ${name} in ${namespace} (Pulumi resource ${r.name}); rendered by Pulumi at deploy time`;
    const reference = { chart, version, ...(repositoryOpts ? { repository: repositoryOpts.repo } : {}), release: name, namespace };
    return `${header}\n${stringify({ ...reference, ...transformNames(r), values })}`;
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

export function main(argv: string[]): Promise<number> {
    return runOnStack("render", USAGE, argv, parseArgs, (evaluation, { format }) => {
        process.stdout.write(`${format === "json" ? toJson(evaluation) : toYaml(evaluation)}\n`);
        return 0;
    });
}

runAsScript(module, main);
