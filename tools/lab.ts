/**
 * npm run lab -- <up|preview|refresh|down|outputs> <stack> [--all]
 *
 * The lab's lifecycle on the Pulumi Automation API: a local file backend in the project folder by
 * default, the stack created or selected, the program run in this process, the engine's progress
 * streamed, the engine's change counts after every run and a short summary after `up`.
 * Everything that can be checked before the engine starts is checked first, with a clear message.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { OutputMap } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";
import { expandHome } from "../components/cluster";
import { ConfigError, LabConfig } from "../config/schema";
import { loadStackFile } from "../config/stack";
import { UsageError, runAsScript } from "./cli";
import { PROJECT_DIR, stackFile, stackNames } from "./evaluate";
import { ENGINE_COMMANDS, openStack, runEngine } from "./lab-engine";

const COMMANDS = [...ENGINE_COMMANDS, "outputs"] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `usage: npm run lab -- <up|preview|refresh|down|outputs> <stack> [--all]

  up        create or update the stack's lab, then print where to open the shop and the dashboards
  preview   show what up would change
  refresh   read the stack's resources back from the cluster into its state
  down      destroy the stack's lab in dependency order, then remove its state (the stack file stays)
  outputs   print the stack's outputs
  <stack>   a stack file of the project: ${stackNames().join(", ")}
  --all     every stack file (up, preview, refresh, down), one after another

After up, preview, refresh and down one line gives the engine's counts:
  lab: <stack> <command>: create=<n> update=<n> replace=<n> delete=<n> same=<n>

environment:
  PULUMI_BACKEND_URL         state backend (default: file://<project folder>, state in .pulumi/)
  PULUMI_CONFIG_PASSPHRASE   passphrase of the stack's secrets (default for the local backend: empty)

Before the engine starts, the stack file is validated, the Pulumi CLI looked for, and the cluster
(or, for a kind cluster, docker and kind) checked.`;

export interface LabArgs {
    command: Command;
    stacks: string[];
}

export function parseLabArgs(argv: string[]): LabArgs {
    if (argv.includes("--help") || argv.includes("-h")) throw new UsageError("");
    const all = argv.includes("--all");
    const unknown = argv.find((a) => a.startsWith("-") && a !== "--all");
    if (unknown) throw new UsageError(`unknown option ${unknown}`);
    const [command, stack, extra] = argv.filter((a) => !a.startsWith("-"));
    if (!COMMANDS.includes(command as Command)) throw new UsageError(command ? `unknown command ${command}` : "name a command");
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    if (all && stack !== undefined) throw new UsageError("give a stack or --all, not both");
    if (all && command === "outputs") throw new UsageError("outputs takes one stack");
    if (!all && stack === undefined) throw new UsageError("name a stack, or --all");
    if (stack !== undefined && !stackNames().includes(stack)) throw new UsageError(`no stack file Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    return { command: command as Command, stacks: all ? stackNames() : [stack!] };
}

/** A check that failed before the engine started: a message, exit 1. */
export class PreflightError extends Error {}

/** The Pulumi CLI, which the Automation API drives. */
export function checkPulumiCli(
    run: (file: string, args: string[]) => string = (f, a) => execFileSync(f, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
): string {
    try {
        return run("pulumi", ["version"]).trim();
    } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        throw new PreflightError(
            missing
                ? "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh)"
                : `the Pulumi CLI does not run: ${(error as Error).message}`,
        );
    }
}

function onPath(tool: string): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

/** The API server of the kubeconfig context the lab targets. */
export function clusterServer(config: LabConfig): { server: string; context: string; kubeconfig: string } {
    const kubeconfig = expandHome(config.cluster.kubeconfig ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config"));
    if (!fs.existsSync(kubeconfig))
        throw new PreflightError(`no kubeconfig at ${kubeconfig}: set boutique-mesh:cluster.kubeconfig, KUBECONFIG, or enable boutique-mesh:cluster.kind`);
    const doc = (parseYaml(fs.readFileSync(kubeconfig, "utf8")) ?? {}) as {
        "current-context"?: string;
        contexts?: { name: string; context: { cluster: string } }[];
        clusters?: { name: string; cluster: { server: string } }[];
    };
    const context = config.cluster.context ?? doc["current-context"];
    const entry = doc.contexts?.find((c) => c.name === context);
    if (!context || !entry) {
        throw new PreflightError(
            `${kubeconfig} has no context ${context ?? "(no current context)"}; contexts: ${(doc.contexts ?? []).map((c) => c.name).join(", ") || "none"}`,
        );
    }
    const server = doc.clusters?.find((c) => c.name === entry.context.cluster)?.cluster.server;
    if (!server) throw new PreflightError(`${kubeconfig}: context ${context} names cluster ${entry.context.cluster}, which has no server`);
    return { server, context, kubeconfig };
}

/** Opens a TCP connection to the API server: enough to tell "no cluster" from "a cluster". */
export async function checkCluster(config: LabConfig, timeoutMs = 5000): Promise<string> {
    if (config.cluster.kind.enabled) {
        const missing = ["docker", "kind"].filter((tool) => !onPath(tool));
        if (missing.length > 0)
            throw new PreflightError(`boutique-mesh:cluster.kind needs ${missing.join(" and ")} on PATH: https://kind.sigs.k8s.io/docs/user/quick-start/`);
        return "a kind cluster the lab creates";
    }
    const { server, context } = clusterServer(config);
    const url = new URL(server);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port, timeout: timeoutMs });
        socket.once("connect", () => (socket.destroy(), resolve()));
        socket.once("timeout", () => (socket.destroy(), reject(new Error(`no answer within ${timeoutMs}ms`))));
        socket.once("error", reject);
    }).catch((error: Error) => {
        throw new PreflightError(`no cluster reachable at ${server} (context ${context}): ${error.message}`);
    });
    return `${server} (context ${context})`;
}

/** The backend and passphrase the engine runs with: the environment's, or a file backend here. */
export function engineEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const backend = env.PULUMI_BACKEND_URL ?? `file://${PROJECT_DIR}`;
    const passphrase = env.PULUMI_CONFIG_PASSPHRASE ?? (env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined && backend.startsWith("file://") ? "" : undefined);
    return { PULUMI_BACKEND_URL: backend, ...(passphrase !== undefined ? { PULUMI_CONFIG_PASSPHRASE: passphrase } : {}) };
}

/** What to print after `up`: where to open the shop and the dashboards. */
export function summary(stack: string, outputs: OutputMap): string {
    const value = (key: string) => outputs[key]?.value;
    const lines = [
        `lab ${stack} is up: scenario ${value("scenario")}, Istio ${value("istioVersion")}, shop in namespace ${value("namespace")}`,
        `  shop        ${value("shopUrl")}  (${value("shopAccess")})`,
        `              ${value("shopPortForward")}`,
    ];
    const dashboards = (value("dashboards") ?? {}) as Record<string, { url: string; portForward: string; nodePort?: number }>;
    for (const [name, access] of Object.entries(dashboards)) {
        lines.push(`  ${name.padEnd(10)}  ${access.url}  (${access.portForward}${access.nodePort ? `; or node port ${access.nodePort}` : ""})`);
    }
    if (outputs.grafanaAdminPassword?.value) lines.push(`  grafana admin password: pulumi stack output --show-secrets grafanaAdminPassword --stack ${stack}`);
    lines.push(`  ${(value("images") as string[] | undefined)?.length ?? 0} images pulled; list them with: npm run lab -- outputs ${stack}`);
    return lines.join("\n");
}

async function run(command: Command, stackName: string): Promise<void> {
    const stack = await openStack(stackName, engineEnvironment());
    if (command === "outputs") {
        const outputs = await stack.outputs();
        console.log(JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2));
        return;
    }
    const outputs = await runEngine(command, stackName, stack);
    if (command === "up" && outputs) console.log(`\n${summary(stackName, outputs)}`);
}

export async function main(argv: string[]): Promise<number> {
    let args: LabArgs;
    try {
        args = parseLabArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`${error.message ? `lab: ${error.message}\n\n` : ""}${USAGE}\n`);
        return error.message ? 2 : 0;
    }
    try {
        // Every stack file first: a bad one stops the run before any engine starts.
        const configs = args.stacks.map((stack) => {
            try {
                return { stack, config: loadStackFile(stackFile(stack)) };
            } catch (error) {
                if (error instanceof ConfigError) throw new PreflightError(`Pulumi.${stack}.yaml: ${error.message}`);
                throw error;
            }
        });
        process.stderr.write(`lab: ${checkPulumiCli()}\n`);
        for (const { stack, config } of configs) {
            if (args.command === "up" || args.command === "preview") process.stderr.write(`lab: ${stack}: cluster ${await checkCluster(config)}\n`);
        }
        for (const { stack } of configs) await run(args.command, stack);
        return 0;
    } catch (error) {
        process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
    }
}

runAsScript(module, main);
