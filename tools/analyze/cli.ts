/**
 * npm run analyze -- <stack> [--config FILE]
 *
 * Evaluates a stack offline and cross-checks its mesh (tools/analyze/analyze.ts). One line per finding;
 * exit 1 when there is an error, 0 otherwise.
 */
import { analyze, formatFinding, RULES } from "./analyze";
import { parseCommandLine, runAsScript, runOnStack } from "../../commands/args";
import { stackNames } from "../../mocks/evaluate";

const USAGE = `usage: npm run analyze -- <stack> [--config FILE]

  <stack>         reads Pulumi.<stack>.yaml from the project (stacks: ${stackNames().join(", ")})
  --config FILE   reads FILE, in the same format, instead

rules:
${Object.entries(RULES)
    .map(([code, summary]) => `  ${code}  ${summary}`)
    .join("\n")}`;

export function main(argv: string[]): Promise<number> {
    return runOnStack(
        "analyze",
        USAGE,
        argv,
        (args) => parseCommandLine(args),
        (evaluation, line) => {
            const findings = analyze(evaluation);
            for (const finding of findings) console.log(formatFinding(finding));
            const errors = findings.filter((f) => f.severity === "error").length;
            const warnings = findings.length - errors;
            console.log(`${line.target.shown}: ${errors} error(s), ${warnings} warning(s), ${evaluation.resources.length} resources checked`);
            return errors > 0 ? 1 : 0;
        },
    );
}

runAsScript(module, main);
