/**
 * The project as a user has it, in a folder of the run's own: the program, its stack files pointed at the
 * e2e's cluster and loopback repositories, and `npm run lab` to drive it. The repository's own stack
 * files, state and plugin cache are never touched.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { PROJECT_DIR, shippedStacks } from "../config/project";
import { Evaluation } from "../mocks/evaluate";
import { diffEvaluations, summarize } from "../tools/bench/diff";

/** What the program needs at run time; tests, docs and the e2e itself stay behind. */
const PROJECT_FILES = [
    "Pulumi.yaml",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "index.ts",
    "catalog",
    "components",
    "config",
    "policy",
    "stacks",
    "commands",
    "mocks",
];

/** Copies the project into `dir` (node_modules linked, not copied) with the stack files it ships. */
export function copyProject(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const entry of [...PROJECT_FILES, ...shippedStacks().map((stack) => `Pulumi.${stack}.yaml`)]) {
        fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
}

/**
 * The last commit before the project's files moved into domain folders (issue 20). A lab brought up
 * by its program must update in place with today's: every URN the same, nothing to change.
 */
export const BEFORE_LAYOUT = "8a584d8558061ab9ec952de5a12fee03f195070c";

/**
 * Whether this clone holds `commit`. A shallow clone may not (then false: the caller says so); a full
 * clone of this repository always does, so there its absence is an error.
 */
export function hasCommit(commit: string): boolean {
    const git = (...args: string[]) => spawnSync("git", args, { cwd: PROJECT_DIR, encoding: "utf8" });
    if (git("cat-file", "-e", `${commit}^{commit}`).status === 0) return true;
    if (git("rev-parse", "--is-shallow-repository").stdout.trim() === "true") return false;
    throw new Error(`commit ${commit} is not in this clone of the repository, which is not shallow either`);
}

/** What a program switch keeps in the project copy: the stack files (with the run's config) and node_modules. */
const KEPT = /^(Pulumi\..+\.yaml|node_modules)$/;

/**
 * Replaces the program in the project copy `dir` with the one of an earlier commit of this repository
 * (its tree without stack files, tests, docs and the e2e), or with today's when no commit is given.
 * The state lives outside the copy; the stack files and their config stay.
 */
export function switchProgram(dir: string, commit?: string): void {
    for (const entry of fs.readdirSync(dir)) if (!KEPT.test(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    if (commit === undefined) {
        for (const entry of PROJECT_FILES) fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
        return;
    }
    const archive = spawnSync("git", ["archive", "--format=tar", commit, "--", ".", ":!Pulumi.*.yaml", ":!test", ":!e2e", ":!docs"], {
        cwd: PROJECT_DIR,
        maxBuffer: 256 * 2 ** 20,
    });
    if (archive.status !== 0) {
        throw new Error(`git archive ${commit} failed (a clone with this repository's history is needed): ${archive.stderr.toString().trim()}`);
    }
    const tar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (tar.status !== 0) throw new Error(`tar -x of commit ${commit} failed: ${tar.stderr.toString().trim()}`);
}

/** Sets plain (non-secret) config keys in a stack file, keeping its comments. */
export function setStackConfig(file: string, values: Record<string, unknown>): void {
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    // An object's keys are set one by one: what the stack file has beside them stays.
    for (const [key, value] of Object.entries(values)) {
        if (value !== null && typeof value === "object" && !Array.isArray(value))
            for (const [field, inner] of Object.entries(value)) doc.setIn(["config", key, field], inner);
        else doc.setIn(["config", key], value);
    }
    fs.writeFileSync(file, doc.toString());
}

/** The engine's change counts, as `npm run lab` prints them from the Automation API's summary. */
export interface Changes {
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
}

/** What the engine should do between two evaluations, as the offline diff (`npm run bench`) predicts it. */
export function predictedChanges(from: Evaluation, to: Evaluation): Omit<Changes, "same"> {
    const counts = summarize(diffEvaluations(from, to));
    return { create: counts.added, update: counts.changed, replace: counts.replaced, delete: counts.removed };
}

export interface LabRun {
    code: number;
    seconds: number;
    output: string;
    /** The last summary line's counts, when the command printed one. */
    changes?: Changes;
    /** The command ran past its limit and was interrupted. */
    limitExceeded?: boolean;
}

const SUMMARY = /^lab: (\S+) (\S+): create=(\d+) update=(\d+) replace=(\d+) delete=(\d+) same=(\d+)$/m;

export function parseChanges(output: string): Changes | undefined {
    const lines = output.split("\n").filter((l) => SUMMARY.test(l));
    const m = lines.length > 0 ? SUMMARY.exec(lines[lines.length - 1]) : null;
    if (!m) return undefined;
    const [create, update, replace, del, same] = m.slice(3).map(Number);
    return { create, update, replace, delete: del, same };
}

/** How long one lab command may take before the e2e ends it: far above the slowest seen (90 s). */
export const LAB_COMMAND_LIMIT_MS = 10 * 60_000;

/** Runs `npm run lab -- <args>` in the project copy, logging everything to `log`. */
/** A child's stdout and stderr, appended to a log file as they come; returns what it printed so far. */
export function teeOutput(child: ChildProcess, log: string): () => string {
    let output = "";
    const collect = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        fs.appendFileSync(log, chunk);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    return () => output;
}

export class Lab {
    /** Commands still running, each the leader of its own process group (npm, node, the CLI, its plugins). */
    private readonly running = new Set<ChildProcess>();

    constructor(
        readonly dir: string,
        readonly env: NodeJS.ProcessEnv,
        readonly log: string,
        /** Where each command's end is reported (its seconds and the engine's counts): the e2e's progress. */
        private readonly note: (text: string) => void = () => undefined,
    ) {}

    /**
     * Starts a lab command without waiting for it (for the outage test). A command still running after
     * `limitMs` is ended as a user would end it, Ctrl-C to its process group, then killed 60 s later; its
     * result then says `limitExceeded`.
     */
    start(args: string[], limitMs = LAB_COMMAND_LIMIT_MS): { child: ChildProcess; done: Promise<LabRun>; output: () => string } {
        const started = Date.now();
        fs.appendFileSync(this.log, `\n===== npm run lab -- ${args.join(" ")}\n`);
        const child = spawn("npm", ["run", "-s", "lab", "--", ...args], { cwd: this.dir, env: this.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        this.running.add(child);
        const output = teeOutput(child, this.log);
        let limitExceeded = false;
        const interrupt = setTimeout(() => {
            limitExceeded = true;
            signalGroup(child, "SIGINT");
        }, limitMs);
        const kill = setTimeout(() => signalGroup(child, "SIGKILL"), limitMs + 60_000);
        const done = new Promise<LabRun>((resolve) =>
            child.on("close", (code) => {
                clearTimeout(interrupt);
                clearTimeout(kill);
                this.running.delete(child);
                const seconds = (Date.now() - started) / 1000;
                const changes = parseChanges(output());
                const counts = changes ? `: create=${changes.create} update=${changes.update} replace=${changes.replace} delete=${changes.delete}` : "";
                this.note(`npm run lab -- ${args.join(" ")} ${code === 0 ? "done" : `exited ${code}`} in ${seconds.toFixed(1)} s${counts}`);
                resolve({ code: code ?? 1, seconds, output: output(), changes, limitExceeded });
            }),
        );
        return { child, done, output };
    }

    run(args: string[]): Promise<LabRun> {
        return this.start(args).done;
    }

    /** The Pulumi CLI in the project copy, as a user would run it next to the lab. */
    pulumi(args: string[]): string {
        const result = spawnSync("pulumi", args, { cwd: this.dir, env: this.env, encoding: "utf8" });
        fs.appendFileSync(this.log, `\n===== pulumi ${args.join(" ")}\n${result.stdout}${result.stderr}`);
        if (result.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${result.status}): ${result.stderr.trim()}`);
        return result.stdout;
    }

    /** Kills every command still running, so a failed test never leaves an engine behind. */
    stop(): void {
        for (const child of this.running) signalGroup(child, "SIGKILL");
    }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        process.kill(-child.pid!, signal);
    } catch {
        // the group has already exited
    }
}
