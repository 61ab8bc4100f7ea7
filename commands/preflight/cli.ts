/**
 * The Pulumi CLI for a laptop that has none: the lab offers to install it with the Automation API's own
 * installer into a folder of the user's cache, and from then on puts that folder first on PATH.
 *
 * What the installer does (@pulumi/pulumi 3.248.0 automation/cmd.js, PulumiCommand.install): when
 * `<root>/bin/pulumi version` does not already answer, it downloads https://get.pulumi.com/install.sh
 * (automation/download.js, fetch with a 120 s deadline) into a temporary file and runs
 * `/bin/sh <script> --no-edit-path --install-root <root> --version <version>` (install.ps1 on Windows);
 * then it checks `<root>/bin/pulumi version`. What install.sh itself downloads was not read here: it is
 * fetched at run time.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import { CliMissing, PreflightError, RunTool, checkPulumiCli, lockedVersion, onPath } from "./tools";

/** Installs Pulumi `version` so that `<root>/bin/pulumi` runs. */
export type Installer = (root: string, version: string) => Promise<void>;

export const automationInstaller: Installer = async (root, version) => {
    await PulumiCommand.install({ root, version: new SemVer(version) });
};

/** The CLI's version: the SDK's, as package-lock.json pins it (the Automation API asks for at least that). */
export const cliVersion = () => lockedVersion("@pulumi/pulumi");

/** Where the lab installs the CLI: $XDG_CACHE_HOME (or ~/.cache)/boutique-mesh/pulumi-<version>. */
export function cliRoot(env: NodeJS.ProcessEnv, version = cliVersion()): string {
    const cache = env.XDG_CACHE_HOME ?? path.join(env.HOME ?? os.homedir(), ".cache");
    return path.join(cache, "boutique-mesh", `pulumi-${version}`);
}

/** True in CI: the lab never installs anything there unless told to. */
export function inCi(env: NodeJS.ProcessEnv): boolean {
    const ci = (env.CI ?? "").toLowerCase();
    return ci !== "" && ci !== "false" && ci !== "0";
}

export interface CliOptions {
    /** --install-cli: install without asking. */
    install: boolean;
    run: RunTool;
    /** The environment the lab and the Automation API run in: a CLI the lab installed goes first on its PATH. */
    env: NodeJS.ProcessEnv;
    note: (text: string) => void;
    /** Asks a yes/no question on the terminal; undefined when there is none to ask on. */
    ask?: (question: string) => Promise<boolean>;
    installer?: Installer;
    version?: string;
}

function prependPath(env: NodeJS.ProcessEnv, dir: string): void {
    const entries = (env.PATH ?? "").split(path.delimiter).filter((p) => p !== "");
    if (entries[0] !== dir) env.PATH = [dir, ...entries.filter((p) => p !== dir)].join(path.delimiter);
}

/**
 * Puts the CLI the lab installed first on `env`'s PATH when no `pulumi` is on it; true when it did. For the
 * commands that call the CLI without the lab's preflight (verify reading a stack's output).
 */
export function useLabCli(env: NodeJS.ProcessEnv, version = cliVersion()): boolean {
    if (onPath("pulumi", env)) return false;
    const bin = path.join(cliRoot(env, version), "bin");
    if (!fs.existsSync(path.join(bin, "pulumi"))) return false;
    prependPath(env, bin);
    return true;
}

/**
 * The Pulumi CLI the lab runs: the one on PATH, else the one it installed earlier, else, when asked to or
 * when the user says yes, one installed now. Returns the line the lab notes.
 */
export async function ensurePulumiCli(options: CliOptions): Promise<string> {
    const { run, env, note } = options;
    try {
        return checkPulumiCli(run);
    } catch (error) {
        if (!(error instanceof CliMissing)) throw error;
    }
    const version = options.version ?? cliVersion();
    const root = cliRoot(env, version);
    const bin = path.join(root, "bin");
    if (useLabCli(env, version)) return `${checkPulumiCli(run)} (installed by the lab in ${root})`;
    const how = `run again with --install-cli to install Pulumi ${version} into ${root}, or install it yourself: https://www.pulumi.com/docs/install/`;
    if (!options.install) {
        if (inCi(env)) throw new PreflightError(`the Pulumi CLI is not installed, and the lab installs nothing in CI unasked: ${how}`);
        if (!options.ask) throw new PreflightError(`the Pulumi CLI is not installed: ${how}`);
        const yes = await options.ask(`The Pulumi CLI is not installed. Install Pulumi ${version} into ${root} now? [y/N] `);
        if (!yes) throw new PreflightError(`the Pulumi CLI is not installed: ${how}`);
    }
    note(`installing the Pulumi CLI ${version} into ${root}: the Automation API's installer downloads https://get.pulumi.com/install.sh and runs it`);
    const started = Date.now();
    const ticker = setInterval(() => note(`  still installing the Pulumi CLI (${Math.round((Date.now() - started) / 1000)} s)`), 15_000);
    try {
        await (options.installer ?? automationInstaller)(root, version);
    } catch (error) {
        throw new PreflightError(`installing the Pulumi CLI ${version} into ${root} failed: ${(error as Error).message.split("\n")[0]}`);
    } finally {
        clearInterval(ticker);
    }
    if (!fs.existsSync(path.join(bin, "pulumi"))) throw new PreflightError(`the installer left no ${path.join(bin, "pulumi")}`);
    prependPath(env, bin);
    return `${checkPulumiCli(run)} (installed in ${Math.round((Date.now() - started) / 1000)} s into ${root}; later runs use it)`;
}
