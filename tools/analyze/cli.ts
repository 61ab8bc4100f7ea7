/**
 * npm run analyze -- <stack> [--config FILE]
 *
 * Evaluates a stack offline and cross-checks its mesh (tools/analyze/analyze.ts). One line per finding;
 * exit 1 when there is an error, 0 otherwise.
 */
import { analyze, formatFinding, RULES } from "./analyze";
import { STACK_OPTIONS, evaluateTarget, parseCommand, runAsScript, runCommand, stackTarget } from "../../commands/args";
import { stackNames } from "../../config/project";

const USAGE = `usage: npm run analyze -- <stack> [--config FILE]

  <stack>         reads Pulumi.<stack>.yaml from the project (stacks: ${stackNames().join(", ")})
  --config FILE   reads FILE, in the same format, instead

rules:
${Object.entries(RULES)
    .map(([code, summary]) => `  ${code}  ${summary}`)
    .join("\n")}`;

export function main(argv: string[]): Promise<number> {
    return runCommand("analyze", USAGE, argv, async () => {
        const { values, positionals } = parseCommand(argv, STACK_OPTIONS, 1);
        const target = stackTarget(positionals[0], values.config);
        const evaluation = await evaluateTarget("analyze", target);
        const findings = analyze(evaluation);
        for (const finding of findings) console.log(formatFinding(finding));
        const errors = findings.filter((f) => f.severity === "error").length;
        const warnings = findings.length - errors;
        console.log(`${target.shown}: ${errors} error(s), ${warnings} warning(s), ${evaluation.resources.length} resources checked`);
        return errors > 0 ? 1 : 0;
    });
}

runAsScript(module, main);
