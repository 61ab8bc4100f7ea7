/**
 * npm run render -- <stack> [--config FILE] [--format json|yaml]
 *
 * Evaluates the Pulumi program offline (mocks: no Pulumi CLI, no cluster) and prints what it declares.
 */
import { stringify } from "yaml";
import { STACK_OPTIONS, StackTarget, UsageError, evaluateTarget, parseCommand, runAsScript, runCommand, stackTarget } from "./args";
import { ChartInputs, DeclaredResource, Evaluation } from "../mocks/evaluate";
import { stackNames } from "../config/project";

const USAGE = `usage: npm run render -- <stack> [--config FILE] [--format json|yaml]

  <stack>         reads Pulumi.<stack>.yaml from the project (stacks: ${stackNames().join(", ")})
  --config FILE   reads FILE, in the same format, instead
  --format        json (default): one element per resource {type, name, inputs, parent, dependsOn, provider}
                  yaml: the Kubernetes objects as one multi-document manifest; charts as reference and values`;

const OPTIONS = { ...STACK_OPTIONS, format: { type: "string" } } as const;

export function parseArgs(argv: string[]): { target: StackTarget; format: "json" | "yaml" } {
    const { values, positionals } = parseCommand(argv, OPTIONS, 1);
    const format = values.format ?? "json";
    if (format !== "json" && format !== "yaml") throw new UsageError(`--format: must be json or yaml, not ${format}`);
    return { target: stackTarget(positionals[0], values.config), format };
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
    const { chart, version, repositoryOpts, name, namespace, values } = r.inputs as ChartInputs;
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
    return runCommand("render", USAGE, argv, async () => {
        const { target, format } = parseArgs(argv);
        const evaluation = await evaluateTarget("render", target);
        process.stdout.write(`${format === "json" ? toJson(evaluation) : toYaml(evaluation)}\n`);
        return 0;
    });
}

runAsScript(module, main);
