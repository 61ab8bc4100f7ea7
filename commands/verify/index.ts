/**
 * npm run verify -- <stack> [--config FILE] [--url URL] [--shop NAME] [--requests N] [--concurrency C] [--max-seconds S] [--max-latency MS] [--json]
 *
 * Measures through the ingress that the stack's scenario really happens (README, "Verify a scenario").
 * Exit 0 when every check passes, 1 when one fails or the shop cannot be reached, 2 on a bad command line or config.
 */
import { execFileSync } from "child_process";
import { loadStackFile } from "../../config/stack";
import { ShopSpec, labShops, urlOnHost } from "../../components/shop/shops";
import { STACK_OPTIONS, StackTarget, UsageError, parseCommand, runAsScript, runCommand, stackTarget } from "../args";
import { PROJECT_DIR, engineEnvironment, stackNames } from "../../config/project";
import { useLabCli } from "../preflight/cli";
import { BUILT_IN_IMAGES, Check, Verdict, frontendCodes, pagesFor, planChecks } from "./plan";
import { probe } from "./probe";

const USAGE = `usage: npm run verify -- <stack> [--config FILE] [--url URL] [--shop NAME] [--requests N] [--concurrency C] [--max-seconds S] [--max-latency MS] [--json]

  <stack>            reads the scenario from Pulumi.<stack>.yaml (stacks: ${stackNames().join(", ")})
  --config FILE      reads FILE, in the same format, instead
  --url URL          the shop's URL (default: the stack's shopUrl output, through the Pulumi CLI); in a
                     classroom, the ingress's, which each shop is measured through under its own host
  --shop NAME        a classroom's one shop to measure (default: every shop, then a table of their verdicts)
  --requests N       requests per probed page (default 200; at least 10)
  --concurrency C    requests in flight at once (default 10)
  --max-seconds S    stop sending after S seconds and judge what was measured (default 300)
  --max-latency MS   baseline: the 95th percentile of page times must stay under MS (default 2000)
  --json             print the result as JSON instead of a table

exit: 0 every check passed, 1 a check failed or the shop could not be reached, 2 bad command line or config`;

const OPTIONS = {
    ...STACK_OPTIONS,
    url: { type: "string" },
    requests: { type: "string" },
    concurrency: { type: "string" },
    "max-seconds": { type: "string" },
    "max-latency": { type: "string" },
    json: { type: "boolean" },
    shop: { type: "string" },
} as const;

interface Options {
    target: StackTarget;
    url?: string;
    requests: number;
    concurrency: number;
    maxSeconds: number;
    maxLatencyMs: number;
    json: boolean;
    /** A classroom's one shop to measure; all of them when absent. */
    shop?: string;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name}: must be a whole number from ${min} to ${max}, not ${text}`);
    return value;
}

export function parseVerifyArgs(argv: string[]): Options {
    const { values, positionals } = parseCommand(argv, OPTIONS, 1);
    return {
        target: stackTarget(positionals[0], values.config),
        url: values.url,
        requests: integer("requests", values.requests, 200, 10, 10_000),
        concurrency: integer("concurrency", values.concurrency, 10, 1, 200),
        maxSeconds: integer("max-seconds", values["max-seconds"], 300, 1, 3600),
        maxLatencyMs: integer("max-latency", values["max-latency"], 2000, 1, 600_000),
        json: values.json ?? false,
        ...(values.shop !== undefined ? { shop: values.shop } : {}),
    };
}

/**
 * The stack's shopUrl output, through the Pulumi CLI, from the backend `npm run lab` keeps the stack in
 * (commands/engine.ts, engineEnvironment), not whatever backend the CLI is logged in to.
 */
export function stackUrl(stack: string, env: NodeJS.ProcessEnv = process.env): string {
    // The CLI the lab installed, when there is no other (commands/preflight/cli.ts).
    useLabCli(env);
    try {
        return execFileSync("pulumi", ["stack", "output", "shopUrl", "--stack", stack], {
            encoding: "utf8",
            cwd: PROJECT_DIR,
            env: { ...env, ...engineEnvironment(env) },
            stdio: ["ignore", "pipe", "pipe"],
        }).trim();
    } catch (error) {
        const reason =
            (error as NodeJS.ErrnoException).code === "ENOENT"
                ? "the Pulumi CLI is not installed"
                : String((error as { stderr?: string }).stderr ?? error).trim();
        throw new UsageError(`no --url given and the stack's shopUrl output is not available (${reason}); pass --url`);
    }
}

function progress(done: number, total: number): void {
    if (process.stderr.isTTY) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} requests`);
        if (done === total) process.stderr.write("\n");
    } else if (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0) {
        process.stderr.write(`${done}/${total} requests\n`);
    }
}

function table(rows: string[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows
        .map((r) =>
            r
                .map((cell, i) => cell.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

const formatInterval = (interval?: [number, number]) => (interval ? `[${(interval[0] * 100).toFixed(1)}%, ${(interval[1] * 100).toFixed(1)}%]` : "-");

export function main(argv: string[]): Promise<number> {
    return runCommand("verify", USAGE, argv, () => verify(parseVerifyArgs(argv)));
}

/** What one shop's measurement found, as --json prints it. */
interface ShopReport {
    shop?: string;
    scenario: string;
    url: string;
    responses: number;
    unanswered: number;
    elapsedMs: number;
    passed: boolean;
    checks: { kind: string; name: string; page: string; declared: string; measured: string; interval: [number, number] | null; pass: boolean }[];
    skipped: string[];
}

/** The shops to measure: the one --shop names, else every shop of the stack. */
export function chosenShops(shops: ShopSpec[], name: string | undefined): ShopSpec[] {
    if (name === undefined) return shops;
    const found = shops.filter((shop) => shop.classroom?.name === name);
    if (found.length === 0) {
        const names = shops.flatMap((shop) => (shop.classroom ? [shop.classroom.name] : []));
        throw new UsageError(
            `--shop: no shop ${name} in this stack; ${names.length > 0 ? `its shops: ${names.join(", ")}` : "it has one shop, without a name (no boutique-mesh:shops)"}`,
        );
    }
    return found;
}

/** A classroom shop's URL and Host header: the lab's URL, which reaches the shared ingress, under the shop's host. */
export function shopTarget(labUrl: string, shop: ShopSpec): { url: string; host?: string } {
    if (shop.classroom === undefined) return { url: labUrl };
    const url = urlOnHost(labUrl, shop.classroom.host);
    return { url: url.toString(), host: url.host };
}

async function verify(options: Options): Promise<number> {
    const config = loadStackFile(options.target.file);
    // The frontend images the lab runs: the release's, and boutique.frontendV1's.
    const codes = frontendCodes(config.boutique.release, { ...BUILT_IN_IMAGES, v1: config.boutique.frontendV1.image });
    const shops = chosenShops(labShops(config), options.shop);
    const labUrl = options.url ?? stackUrl(options.target.stack);
    if (!URL.canParse(labUrl)) throw new UsageError(`--url: not a URL: ${labUrl}`);
    const classroom = config.shops !== undefined;

    const reports: ShopReport[] = [];
    for (const shop of shops) {
        const { checks, skipped } = planChecks(shop.scenario, { maxLatencyMs: options.maxLatencyMs, codes });
        const { url, host } = shopTarget(labUrl, shop);
        if (classroom && !options.json) console.log(`${reports.length > 0 ? "\n" : ""}shop ${shop.classroom!.name}: scenario ${shop.scenarioName}, ${url}`);
        const result = await probe({
            url: labUrl,
            ...(host ? { host } : {}),
            pages: pagesFor(checks),
            requests: options.requests,
            concurrency: options.concurrency,
            requestTimeoutMs: 30_000,
            deadlineMs: options.maxSeconds * 1000,
            onProgress: progress,
        });
        if (result.unreachable || result.samples.length === 0 || result.failures.length > result.samples.length) {
            if (result.unreachable && process.stderr.isTTY) process.stderr.write("\n");
            const stopped = result.unreachable ? ` (stopped after ${result.failures.length} unanswered requests)` : "";
            throw new Error(`could not reach the shop at ${url}: ${result.failures[0] ?? "no request completed"}${stopped}`);
        }
        const verdicts: (Check & Verdict)[] = checks.map((check) => ({ ...check, ...check.judge(result.samples) }));
        const report: ShopReport = {
            ...(shop.classroom ? { shop: shop.classroom.name } : {}),
            scenario: shop.scenarioName,
            url,
            responses: result.samples.length,
            unanswered: result.failures.length,
            elapsedMs: Math.round(result.elapsedMs),
            passed: verdicts.every((v) => v.pass),
            checks: verdicts.map(({ kind, name, page, declared, measured, interval, pass }) => ({
                kind,
                name,
                page,
                declared,
                measured,
                interval: interval ?? null,
                pass,
            })),
            skipped,
        };
        reports.push(report);
        if (!options.json) {
            const rows = [
                ["check", "page", "declared", "measured", "95% interval", "verdict"],
                ...verdicts.map((v) => [v.name, v.page, v.declared, v.measured, formatInterval(v.interval), v.pass ? "pass" : "FAIL"]),
            ];
            console.log(table(rows));
            for (const note of skipped) console.log(`skipped: ${note}`);
            const summary = `${result.samples.length} responses (${result.failures.length} without an answer) from ${url} in ${(result.elapsedMs / 1000).toFixed(1)}s`;
            console.log(`${summary}; ${verdicts.filter((v) => v.pass).length} passed, ${verdicts.filter((v) => !v.pass).length} failed`);
        }
    }
    const passed = reports.every((r) => r.passed);
    if (options.json) {
        const stack = options.target.stack;
        console.log(JSON.stringify(classroom ? { stack, passed, shops: reports } : { stack, ...reports[0] }, null, 2));
    } else if (classroom) {
        console.log(`\n${table(shopSummary(reports))}`);
    }
    return passed ? 0 : 1;
}

/** The classroom's summary: a row per shop with its scenario and verdict, and the checks that failed. */
export function shopSummary(reports: ShopReport[]): string[][] {
    return [
        ["shop", "scenario", "verdict"],
        ...reports.map((r) => {
            const failed = r.checks.filter((c) => !c.pass).map((c) => c.name);
            return [r.shop ?? "", r.scenario, failed.length === 0 ? `pass (${r.checks.length} checks)` : `FAIL: ${failed.join(", ")}`];
        }),
    ];
}

runAsScript(module, main);
