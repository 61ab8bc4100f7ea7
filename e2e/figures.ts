/** The e2e's figures: tool builds and each lifecycle phase, as a table on stdout. */
import { Run } from "./harness";

export function printFigures(run: Run): void {
    const lines = ["", "e2e figures", "", "tool                          version   build     size"];
    for (const t of run.tools) {
        lines.push(
            `${t.tool.padEnd(29)} ${t.version.padEnd(9)} ${(t.fresh ? `${t.seconds}s` : `cached (built in ${t.seconds}s)`).padEnd(9)} ${(t.bytes / 2 ** 20).toFixed(0)} MiB`,
        );
    }
    // A build's time depends on Go's own caches (GOCACHE, GOMODCACHE), warm or not: it is what this
    // machine took when the tool was built, not a cold figure.
    const total = run.tools.reduce((sum, t) => sum + t.seconds, 0);
    lines.push(`builds of every tool, as recorded: ${total}s`, "", "phase                                 seconds  create  update  replace  delete");
    for (const f of run.figures) {
        const n = (v?: number) => String(v ?? "").padStart(6);
        lines.push(`${f.phase.padEnd(37)} ${f.seconds.toFixed(1).padStart(7)}  ${n(f.create)}  ${n(f.update)}  ${n(f.replace).padStart(7)}  ${n(f.delete)}`);
    }
    console.log(lines.join("\n"));
}
