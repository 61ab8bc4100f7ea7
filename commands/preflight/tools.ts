/**
 * Before the engine starts: the Pulumi CLI and the provider plugins the stacks need, each failure a
 * PreflightError with a message that says what to do. The checks take the tools they run as
 * arguments; the specs stand in for them.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LabConfig } from "../../config/schema";
import { PROJECT_DIR } from "../../config/project";

/** A check that failed before the engine started: a message, exit 1. */
export class PreflightError extends Error {}

/** No `pulumi` on PATH at all (not one that fails): the lab can offer to install it (commands/preflight/cli.ts). */
export class CliMissing extends PreflightError {}

/** Runs a tool and returns its stdout; throws when it cannot start or exits non-zero. */
export type RunTool = (file: string, args: string[]) => string;
export const runTool: RunTool = (file, args) => execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export function firstLine(error: unknown): string {
    const stderr = (error as { stderr?: string }).stderr;
    return (stderr?.trim() || (error as Error).message).split("\n")[0];
}

/** The Pulumi CLI, which the Automation API drives. */
export function checkPulumiCli(run: RunTool = runTool): string {
    try {
        return run("pulumi", ["version"]).trim();
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            throw new CliMissing("the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh)");
        }
        throw new PreflightError(`the Pulumi CLI does not run: ${(error as Error).message}`);
    }
}

export function onPath(tool: string, env: NodeJS.ProcessEnv = process.env): boolean {
    return (env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

// ---------------------------------------------------------------------------------------------------
// Provider plugins

/** A provider plugin the config needs, at the version package-lock.json pins its SDK to. */
export interface PluginNeed {
    name: "kubernetes" | "random" | "command";
    version: string;
    /** What in the config needs it. */
    why: string;
}

/** The version package-lock.json installs of an npm package. */
export function lockedVersion(pkg: string, lockFile = path.join(PROJECT_DIR, "package-lock.json")): string {
    const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages: Record<string, { version?: string }> };
    const version = lock.packages[`node_modules/${pkg}`]?.version;
    if (!version) throw new Error(`${lockFile} does not pin ${pkg}`);
    return version;
}

/** The versions package-lock.json installs of the provider SDKs (each SDK asks the engine for its own version). */
export function lockedVersions(lockFile = path.join(PROJECT_DIR, "package-lock.json")): Record<PluginNeed["name"], string> {
    const version = (name: PluginNeed["name"]) => lockedVersion(`@pulumi/${name}`, lockFile);
    return { kubernetes: version("kubernetes"), random: version("random"), command: version("command") };
}

/** Every plugin the lab may use, each once at its locked version: for a state whose stack file cannot say which. */
export function everyPlugin(why: string, versions = lockedVersions()): PluginNeed[] {
    return (Object.entries(versions) as [PluginNeed["name"], string][]).map(([name, version]) => ({ name, version, why }));
}

/**
 * The plugins the program will ask for: kubernetes always; random only for a secret it generates
 * (components/addons/addons.ts: Grafana's admin password, Kiali's signing key); command only for a kind
 * cluster (components/cluster/cluster.ts) or image copies (components/images/mirroring.ts).
 */
export function requiredPlugins(config: LabConfig, versions = lockedVersions()): PluginNeed[] {
    const { grafana, kiali } = config.addons;
    const generated = [
        ...(grafana.enabled && grafana.adminPassword === undefined ? ["Grafana's admin password"] : []),
        ...(kiali.enabled && kiali.signingKey === undefined ? ["Kiali's signing key"] : []),
    ];
    const commands = [...(config.cluster.kind.enabled ? ["cluster.kind"] : []), ...(config.images.copy.enabled ? ["images.copy"] : [])];
    return [
        { name: "kubernetes", version: versions.kubernetes, why: "every object of the lab" },
        ...(generated.length > 0 ? [{ name: "random" as const, version: versions.random, why: `generating ${generated.join(" and ")}` }] : []),
        ...(commands.length > 0 ? [{ name: "command" as const, version: versions.command, why: commands.join(" and ") }] : []),
    ];
}

/** The union of several stacks' needs, each plugin once. */
export function mergeNeeds(needs: PluginNeed[][]): PluginNeed[] {
    const merged = new Map<string, PluginNeed>();
    for (const need of needs.flat()) {
        const seen = merged.get(need.name);
        merged.set(need.name, seen && !seen.why.includes(need.why) ? { ...seen, why: `${seen.why}; ${need.why}` } : (seen ?? need));
    }
    return [...merged.values()];
}

/**
 * Each plugin in Pulumi's plugin cache at its exact version (`pulumi plugin ls --json`, which lists the
 * cache: pulumi/pulumi v3.248.0 pkg/cmd/pulumi/plugin/plugin_list.go), or, as the engine also takes
 * it, a `pulumi-resource-<name>` on PATH unless PULUMI_IGNORE_AMBIENT_PLUGINS is set
 * (sdk/go/common/workspace/plugins.go getPluginInfoAndPath). A missing one is installed with
 * `pulumi plugin install`; when that fails the message says how to install it by hand. Returns a
 * line per plugin.
 */
export function checkPlugins(
    needs: PluginNeed[],
    run: RunTool = runTool,
    env: NodeJS.ProcessEnv = process.env,
    note: (text: string) => void = () => undefined,
): string[] {
    let installed: { name: string; kind: string; version: string }[];
    try {
        installed = (JSON.parse(run("pulumi", ["plugin", "ls", "--json"]) || "[]") as typeof installed | null) ?? [];
    } catch (error) {
        throw new PreflightError(`cannot list Pulumi's plugins (pulumi plugin ls --json): ${firstLine(error)}`);
    }
    const ambient = !["1", "true"].includes(String(env.PULUMI_IGNORE_AMBIENT_PLUGINS ?? "").toLowerCase());
    return needs.map(({ name, version, why }) => {
        if (installed.some((p) => p.kind === "resource" && p.name === name && p.version === version)) return `plugin ${name} ${version}`;
        if (ambient && onPath(`pulumi-resource-${name}`, env)) return `plugin ${name} from PATH (pulumi-resource-${name})`;
        const install = ["plugin", "install", "resource", name, version];
        // A download, the slowest step before the engine: said before it starts, with its time after.
        note(`installing plugin ${name} ${version} (for ${why}): pulumi ${install.join(" ")} downloads it`);
        const started = Date.now();
        try {
            run("pulumi", install);
        } catch (error) {
            throw new PreflightError(
                `the Pulumi plugin resource ${name} ${version} (for ${why}) is missing and could not be installed: ${firstLine(error)}\n` +
                    `  install it with: pulumi ${install.join(" ")}\n` +
                    `  or, offline, from a binary: pulumi ${install.join(" ")} --file <path to pulumi-resource-${name}>`,
            );
        }
        return `plugin ${name} ${version} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`;
    });
}

// ---------------------------------------------------------------------------------------------------
// The cluster
