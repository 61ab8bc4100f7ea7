/**
 * npm run mutate [-- FILE|FOLDER ... | --changed [--base REF]] [--force] [--ignore-static] [--concurrency N]
 *
 * Mutation testing with StrykerJS (tools/mutation/stryker.config.mjs), at low CPU priority: every file of the scope,
 * the named files, or the files of the scope changed against REF (default main), committed or not.
 * Stryker prints its own score table (raw); this then prints, per file, the score with the equivalent
 * mutants of tools/mutation/equivalent-mutants.yaml set aside, and every other mutant that no test killed.
 * Exit 0 when each file scores at least 85% and every survivor is accounted for, 1 otherwise,
 * 2 on a bad command line.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { parse as parseYaml } from "yaml";
import { UsageError, parseCommand, runAsScript, runCommand } from "../../commands/args";

const ROOT = path.resolve(__dirname, "..", "..");
const CONFIG = path.join(__dirname, "stryker.config.mjs");
const REPORT = path.join(ROOT, "reports", "mutation", "mutation.json");
export const EQUIVALENTS_FILE = path.join(__dirname, "equivalent-mutants.yaml");
/** The score each file must reach, in percent. */
export const GOAL = 85;

const USAGE = `usage: npm run mutate [-- FILE|FOLDER ... | --changed [--base REF]] [--force] [--ignore-static] [--concurrency N]
  FILE|FOLDER   mutate only these (default: every file of the scope in tools/mutation/stryker.config.mjs)
  --changed     only the files of the scope changed against --base REF (default main), committed or not
  --force       ignore the results kept from earlier runs (reports/stryker-incremental.json)
  --ignore-static  leave out the mutants of code that runs when a module loads (each restarts the tests);
                the scores then cover the other mutants only, and the results are kept apart
  --concurrency at most N worker processes (default 2)`;

/** A mutant known to behave like the original program, with the reason. */
export interface Equivalent {
    file: string;
    mutator: string;
    /** The code Stryker replaces, exactly. */
    original: string;
    /** What Stryker puts there, exactly. */
    replacement: string;
    /** Text of the line the mutant starts on, when the same change is possible elsewhere in the file. */
    line?: string;
    reason: string;
}

/** One mutant of Stryker's JSON report (mutation-testing-report-schema), the fields used here. */
interface ReportMutant {
    mutatorName: string;
    replacement: string;
    location: { start: { line: number; column: number }; end: { line: number; column: number } };
    status: string;
}

interface Report {
    files: Record<string, { source: string; mutants: ReportMutant[] }>;
}

/** How one file fared. */
export interface FileScore {
    file: string;
    killed: number;
    survived: number;
    equivalent: number;
    /** Killed / (killed + survived), in percent; equivalent mutants and invalid ones (compile or runtime errors) are left out. */
    score: number;
    /** Survivors (and mutants no test reached) not listed as equivalent, one line each. */
    unexplained: string[];
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/** The code a mutant replaces, from its 1-based line and column location. */
function originalText(source: string, location: ReportMutant["location"]): string {
    const lines = source.split("\n");
    const offset = (p: { line: number; column: number }) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    return source.slice(offset(location.start), offset(location.end));
}

const oneLine = (text: string) => {
    const flat = text.replace(/\s+/g, " ");
    return flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
};

/** Scores per file, and the equivalent-mutant entries that matched no surviving mutant of a file in the report. */
export function scoreReport(report: Report, equivalents: Equivalent[]): { scores: FileScore[]; stale: Equivalent[] } {
    const used = new Set<Equivalent>();
    const scores = Object.entries(report.files)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([file, { source, mutants }]) => {
            const result: FileScore = { file, killed: 0, survived: 0, equivalent: 0, score: 100, unexplained: [] };
            for (const mutant of mutants) {
                if (DETECTED.has(mutant.status)) result.killed++;
                if (!UNDETECTED.has(mutant.status)) continue;
                const original = originalText(source, mutant.location);
                const text = source.split("\n")[mutant.location.start.line - 1];
                const known = equivalents.find(
                    (e) =>
                        e.file === file &&
                        e.mutator === mutant.mutatorName &&
                        e.original === original &&
                        e.replacement === mutant.replacement &&
                        (e.line === undefined || text.includes(e.line)),
                );
                if (known) {
                    used.add(known);
                    result.equivalent++;
                    continue;
                }
                result.survived++;
                const { line, column } = mutant.location.start;
                const what = mutant.status === "NoCoverage" ? " (no test runs this code)" : "";
                result.unexplained.push(`${file}:${line}:${column} ${mutant.mutatorName}: ${oneLine(original)} -> ${oneLine(mutant.replacement)}${what}`);
            }
            const valid = result.killed + result.survived;
            result.score = valid === 0 ? 100 : (100 * result.killed) / valid;
            return result;
        });
    const files = new Set(Object.keys(report.files));
    return { scores, stale: equivalents.filter((e) => files.has(e.file) && !used.has(e)) };
}

export function readEquivalents(file = EQUIVALENTS_FILE): Equivalent[] {
    const entries = (parseYaml(fs.readFileSync(file, "utf8")) ?? []) as Partial<Equivalent>[];
    for (const [i, e] of entries.entries()) {
        const missing = (["file", "mutator", "original", "replacement", "reason"] as const).filter((k) => typeof e[k] !== "string" || e[k] === "");
        if (missing.length > 0) throw new Error(`${path.relative(ROOT, file)}: entry ${i + 1} lacks ${missing.join(", ")}`);
    }
    return entries as Equivalent[];
}

/** Turns a scope pattern with `*` (no `/` across) into a test on a project-relative path. */
const matcher = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);

function changedFiles(ref: string): string[] {
    const git = (...args: string[]) => {
        const result = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
        if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.trim()}`);
        return result.stdout.split("\n").filter(Boolean);
    };
    const base = git("merge-base", ref, "HEAD")[0];
    return [...new Set([...git("diff", "--name-only", base), ...git("ls-files", "--others", "--exclude-standard")])];
}

const OPTIONS = {
    changed: { type: "boolean" },
    base: { type: "string" },
    force: { type: "boolean" },
    "ignore-static": { type: "boolean" },
    concurrency: { type: "string" },
} as const;

export function main(argv: string[]): Promise<number> {
    return runCommand("mutate", USAGE, argv, () => runMutation(argv));
}

async function runMutation(argv: string[]): Promise<number> {
    const { SCOPE } = (await import(pathToFileURL(CONFIG).href)) as { SCOPE: string[] };
    const inScope = (file: string) => SCOPE.some((pattern) => matcher(pattern).test(file));
    const { values, positionals } = parseCommand(argv, OPTIONS, Infinity);
    const concurrency = values.concurrency ?? "2";
    if (!/^[12]$/.test(concurrency)) throw new UsageError(`--concurrency: must be 1 or 2, not ${concurrency}`);
    if (values.base !== undefined && !values.changed) throw new UsageError("--base goes with --changed");
    const changed = values.changed ? (values.base ?? "main") : undefined;
    const extra = [
        ...(values.force ? ["--force"] : []),
        ...(values["ignore-static"] ? ["--ignoreStatic", "--incrementalFile", "reports/stryker-incremental-nostatic.json"] : []),
    ];
    const named = positionals.map((arg) => {
        const relative = path.relative(ROOT, path.resolve(arg));
        if (!fs.existsSync(path.join(ROOT, relative))) throw new UsageError(`no such file or folder: ${arg}`);
        return fs.statSync(path.join(ROOT, relative)).isDirectory() ? `${relative}/**/*.ts` : relative;
    });
    if (changed !== undefined && named.length > 0) throw new UsageError("give files or --changed, not both");
    let mutate = named;
    if (changed !== undefined) {
        try {
            mutate = changedFiles(changed).filter(inScope);
        } catch (error) {
            throw new UsageError(`--base: ${(error as Error).message}`);
        }
        if (mutate.length === 0) {
            console.log(`mutate: no file of the scope changed against ${changed}`);
            return 0;
        }
    }

    // Lowest priority but one: the machine's other work goes first; the workers inherit it.
    os.setPriority(10);
    const args = [path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", CONFIG, "--concurrency", concurrency, ...extra];
    if (mutate.length > 0) args.push("--mutate", mutate.join(","));
    console.log(`mutate: ${mutate.length > 0 ? mutate.join(", ") : "the whole scope"}`);
    const started = Date.now();
    fs.rmSync(REPORT, { force: true });
    const stryker = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
    if (stryker.status !== 0 || !fs.existsSync(REPORT)) {
        process.stderr.write(`mutate: stryker failed (exit ${stryker.status ?? stryker.signal})\n`);
        return 1;
    }

    const { scores, stale } = scoreReport(JSON.parse(fs.readFileSync(REPORT, "utf8")) as Report, readEquivalents());
    if (extra.includes("--ignoreStatic")) console.log("\nstatic mutants left out (--ignore-static): the scores below cover the others only");
    console.log(`\nmutation score per file, equivalent mutants (${path.relative(ROOT, EQUIVALENTS_FILE)}) set aside; goal ${GOAL}%:`);
    const width = Math.max(...scores.map((s) => s.file.length));
    console.log(`  ${"file".padEnd(width)}  score   killed  survived  equivalent`);
    for (const s of scores) {
        const mark = s.score < GOAL ? "  < goal" : "";
        console.log(
            `  ${s.file.padEnd(width)}  ${s.score.toFixed(1).padStart(5)}%  ${String(s.killed).padStart(6)}  ${String(s.survived).padStart(8)}  ${String(s.equivalent).padStart(10)}${mark}`,
        );
    }
    const unexplained = scores.flatMap((s) => s.unexplained);
    if (unexplained.length > 0) {
        console.log(`\nsurviving mutants (kill each with a test, or list it in ${path.relative(ROOT, EQUIVALENTS_FILE)} with the reason):`);
        for (const line of unexplained) console.log(`  ${line}`);
    }
    for (const e of stale)
        console.log(`\nstale entry in ${path.relative(ROOT, EQUIVALENTS_FILE)}: ${e.file} ${e.mutator}: ${oneLine(e.original)} (no such surviving mutant)`);
    console.log(`\nmutate: ${((Date.now() - started) / 60_000).toFixed(1)} min`);
    return scores.every((s) => s.score >= GOAL) && unexplained.length === 0 && stale.length === 0 ? 0 : 1;
}

runAsScript(module, main);
