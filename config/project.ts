/**
 * The project on disk: its folder, its program and its stack files. A user's own stack files count for
 * the commands (`npm run lab -- up --all` brings them up too); the tests and the pull-request workflow
 * judge only the stacks the project ships, the ones git tracks, so a `Pulumi.mylab.yaml` breaks nothing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..");
export const PROGRAM = path.join(PROJECT_DIR, "index.ts");

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

/** The path of `Pulumi.<stack>.yaml` in the project. */
export function stackFile(stack: string): string {
    return path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
}

/** Every stack file in the project folder, by stack name: the project's and the user's own. */
export function stackNames(): string[] {
    return namesOf(fs.readdirSync(PROJECT_DIR));
}

/**
 * The stacks the project ships: the stack files git tracks. A copy of the project that git does not
 * track (Stryker's sandbox) holds only what was copied: its stack files, every one.
 */
export function shippedStacks(): string[] {
    const git = (...args: string[]) => spawnSync("git", args, { cwd: PROJECT_DIR, encoding: "utf8" });
    if (git("ls-files", "--error-unmatch", "Pulumi.yaml").status !== 0) return stackNames();
    const tracked = git("ls-files", "--", "Pulumi.*.yaml");
    if (tracked.status !== 0) throw new Error(`cannot list the project's stack files with git ls-files: ${tracked.stderr || tracked.error?.message}`);
    return namesOf(tracked.stdout.split("\n"));
}

function namesOf(files: string[]): string[] {
    return files
        .map((f) => STACK_FILE.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The backend and passphrase the engine runs with: the environment's, or a file backend here. */
export function engineEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const backend = env.PULUMI_BACKEND_URL ?? `file://${PROJECT_DIR}`;
    const passphrase = env.PULUMI_CONFIG_PASSPHRASE ?? (env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined && backend.startsWith("file://") ? "" : undefined);
    return { PULUMI_BACKEND_URL: backend, ...(passphrase !== undefined ? { PULUMI_CONFIG_PASSPHRASE: passphrase } : {}) };
}
