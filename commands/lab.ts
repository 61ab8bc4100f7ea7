/**
 * npm run lab -- <up|preview|refresh|down|outputs> <stack> [--all]
 *
 * The lab's lifecycle on the Pulumi Automation API: a local file backend in the project folder by
 * default, the stack created or selected, the program run in this process, the engine's progress
 * streamed, the engine's change counts after every run and a short summary after `up`.
 * Everything that can be checked before the engine starts is checked first, with a clear message.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Deployment, OutputMap } from "@pulumi/pulumi/automation";
import { kindClusterName, kubectlFlags } from "../components/cluster/cluster";
import { expandHome } from "../components/cluster/kubeconfig";
import { ConfigError, LabConfig } from "../config/schema";
import { loadStackFile } from "../config/stack";
import type { ClassroomAccess } from "../components/shop/shops";
import { UsageError, parseCommand, runAsScript, runCommand } from "./args";
import { PROJECT_DIR, engineEnvironment, stackFile, stackNames } from "../config/project";

export { engineEnvironment };
import { policyConfig } from "./policy-config";
import { ENGINE_COMMANDS, LabStack, RunOutput, consoleOutput, openStack, runEngine } from "./engine";
import { StepClock, Timings, stateRelations } from "./timings";
import { checkPlugins, everyPlugin, mergeNeeds, PreflightError, requiredPlugins, RunTool, runTool } from "./preflight/tools";
import { Installer, ensurePulumiCli } from "./preflight/cli";
import { chooseCluster, enableKindInStackFile } from "./preflight/default-cluster";
import { PhaseClock } from "./phases";
import { askOnTerminal } from "./prompt";
import { checkTarget, kindInState, recordedContext, StateResource, stateResources } from "./preflight/state";
import { checkCluster, checkKindCollisions, checkSharedClusters, kindState, portFree } from "./preflight/cluster";
import { checkClusterLeftovers, checkNamespaces, checkStoredVersions } from "./preflight/objects";

const COMMANDS = [...ENGINE_COMMANDS, "outputs"] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `usage: npm run lab -- <up|preview|refresh|down|outputs> <stack> [--all] [--timings FILE] [--install-cli] [--no-kind]
       npm run lab -- preview <stack> [--policy | --policy-config FILE]

  up        create or update the stack's lab, then print where to open the shop and the dashboards
  preview   show what up would change
  refresh   read the stack's resources back from the cluster into its state
  down      destroy the stack's lab in dependency order, then remove its state (the stack file stays)
  outputs   print the stack's outputs
  <stack>   a stack file of the project: ${stackNames().join(", ")}
  --all     every stack file (up, preview, refresh, down), one after another
  --policy  preview with the policy pack (policy/), configured with the stack's mirrors
            (npm run -s policy-config -- <stack>); a violation fails the preview
  --policy-config FILE
            the same with another policy config file
  --timings FILE
            write when each resource's step started and ended, and the dependencies the state
            records, as JSON (one stack; npm run e2e's benchmark reads it)
  --install-cli
            when the Pulumi CLI is missing, install it (the Automation API's installer, into
            ~/.cache/boutique-mesh/pulumi-<version>) without asking; on a terminal the lab asks
            first, in CI it installs nothing unless given this
  --no-kind up never creates a kind cluster of its own when the stack names no cluster and no
            kubeconfig exists (by default it does, with Docker and kind, and writes
            boutique-mesh:cluster.kind.enabled: true into the stack file)

After up, preview, refresh and down one line gives the engine's counts:
  lab: <stack> <command>: create=<n> update=<n> replace=<n> delete=<n> same=<n>

environment:
  PULUMI_BACKEND_URL         state backend (default: file://<project folder>, state in .pulumi/)
  PULUMI_CONFIG_PASSPHRASE   passphrase of the stack's secrets (default for the local backend: empty)

Before the engine starts: the stack files are validated; the Pulumi CLI and the provider plugins the
configs need are looked for (a missing plugin is installed); the cluster is checked (for a kind
cluster: docker and kind, its host port, whether it was stopped or deleted); and an up stops when the
current context moved since the last up or another lab holds the namespaces. See docs/lifecycle.md.`;

export interface LabArgs {
    command: Command;
    stacks: string[];
    /** preview only: run the policy pack, with this config file or, without one, the stack's own. */
    policy?: { file?: string };
    /** Where to write the run's step times (commands/timings.ts). */
    timings?: string;
    /** Install a missing Pulumi CLI without asking. */
    installCli?: true;
    /** Never create a kind cluster of the lab's own. */
    noKind?: true;
}

const OPTIONS = {
    all: { type: "boolean" },
    policy: { type: "boolean" },
    "policy-config": { type: "string" },
    timings: { type: "string" },
    "install-cli": { type: "boolean" },
    "no-kind": { type: "boolean" },
} as const;

export function parseLabArgs(argv: string[]): LabArgs {
    const { values, positionals } = parseCommand(argv, OPTIONS, 2);
    const [command, stack] = positionals;
    const all = values.all ?? false;
    const policyFile = values["policy-config"];
    if (!COMMANDS.includes(command as Command)) throw new UsageError(command ? `unknown command ${command}` : "name a command");
    if (all && stack !== undefined) throw new UsageError("give a stack or --all, not both");
    if (all && command === "outputs") throw new UsageError("outputs takes one stack");
    if (!all && stack === undefined) throw new UsageError("name a stack, or --all");
    if (stack !== undefined && !stackNames().includes(stack)) throw new UsageError(`no stack file Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    if ((values.policy || policyFile !== undefined) && command !== "preview") throw new UsageError("--policy and --policy-config go with preview");
    if (policyFile !== undefined && !fs.existsSync(policyFile)) throw new UsageError(`--policy-config: no such file: ${policyFile}`);
    if (values.timings !== undefined && (all || command === "outputs")) throw new UsageError("--timings goes with one stack's up, preview, refresh or down");
    const policy = policyFile !== undefined ? { file: policyFile } : values.policy ? {} : undefined;
    const timings = values.timings !== undefined ? { timings: path.resolve(values.timings) } : {};
    const flags = { ...(values["install-cli"] ? { installCli: true as const } : {}), ...(values["no-kind"] ? { noKind: true as const } : {}) };
    return { command: command as Command, stacks: all ? stackNames() : [stack], ...(policy ? { policy } : {}), ...timings, ...flags };
}

/** What to print after `up`: where to open the shop and the dashboards. */
export function summary(stack: string, outputs: OutputMap): string {
    const value = (key: string): unknown => outputs[key]?.value;
    const text = (key: string) => String(value(key));
    const shops = value("shops") as ClassroomAccess[] | null | undefined;
    const lines = shops
        ? [
              `lab ${stack} is up: ${shops.length} shops, Istio ${text("istioVersion")}, the ingress at ${text("shopUrl")} (${text("shopAccess")})`,
              `              ${text("shopPortForward")}`,
              ...shops.map(
                  (shop) =>
                      `  shop ${shop.name.padEnd(12)} ${shop.url}  (scenario ${shop.scenario}, namespace ${shop.namespace}; or ${shop.frontendUrl} after ${shop.frontendPortForward})`,
              ),
          ]
        : [
              `lab ${stack} is up: scenario ${text("scenario")}, Istio ${text("istioVersion")}, shop in namespace ${text("namespace")}`,
              `  shop        ${text("shopUrl")}  (${text("shopAccess")})`,
              `              ${text("shopPortForward")}`,
          ];
    const dashboards = (value("dashboards") ?? {}) as Record<string, { url: string; portForward: string; nodePort?: number }>;
    for (const [name, access] of Object.entries(dashboards)) {
        lines.push(`  ${name.padEnd(10)}  ${access.url}  (${access.portForward}${access.nodePort ? `; or node port ${access.nodePort}` : ""})`);
    }
    if (outputs.grafanaAdminPassword?.value) lines.push(`  grafana admin password: pulumi stack output --show-secrets grafanaAdminPassword --stack ${stack}`);
    lines.push(`  ${(value("images") as string[] | undefined)?.length ?? 0} images pulled; list them with: npm run lab -- outputs ${stack}`);
    return lines.join("\n");
}

/** What main runs and talks to; the specs stand in for the tools, the stacks and the console. */
export interface LabDeps {
    /** pulumi (plugins), docker (kind clusters), kubectl (namespaces already on the cluster). */
    run: RunTool;
    open: (stack: string) => Promise<LabStack>;
    env: NodeJS.ProcessEnv;
    out: RunOutput;
    /** The lab's notes on stderr. */
    note: (text: string) => void;
    portFree: (port: number) => Promise<boolean>;
    /** A yes/no question on the terminal; undefined without one (CI, pipes). */
    ask?: (question: string) => Promise<boolean>;
    /** Installs the Pulumi CLI (the Automation API's installer). */
    installer?: Installer;
}

const defaultDeps: LabDeps = {
    run: runTool,
    open: (stack) => openStack(stack, engineEnvironment()),
    env: process.env,
    out: consoleOutput,
    note: (text) => process.stderr.write(`lab: ${text}\n`),
    portFree,
    ask: askOnTerminal(),
};

/** One stack's run, as the preflight prepared it. */
interface Plan {
    stack: string;
    handle: LabStack;
    /** URNs to replace on up and preview: a kind cluster that is gone. */
    replace: string[];
    /** The stack's state as the preflight read it (not for `outputs`). */
    state?: Deployment;
}

/**
 * What is already on the cluster that the stack's up would meet: each check's note is shown; a conflict
 * stops an up, while a preview, which changes nothing, shows it as a warning and goes on.
 */
function clusterChecks(command: Command, stack: string, deps: LabDeps, checks: () => (string | undefined)[]): void {
    try {
        for (const note of checks()) if (note) deps.note(`${stack}: ${note}`);
    } catch (error) {
        if (!(error instanceof PreflightError) || command === "up") throw error;
        deps.note(`warning: ${error.message}`);
    }
}

/** Everything about one stack that can be checked before the engine starts; notes what it found. */
async function prepare(command: Command, stack: string, config: LabConfig | undefined, deps: LabDeps): Promise<Plan> {
    const changes = command === "up" || command === "preview";
    const handle = await deps.open(stack);
    const plan: Plan = { stack, handle, replace: [] };
    if (command === "outputs") return plan;
    plan.state = await handle.exportStack();
    const resources: StateResource[] = stateResources(plan.state);
    if (config === undefined) {
        const context = recordedContext(resources);
        if (context !== undefined) deps.note(`${stack}: ${command} on context ${context}, where its last up ran`);
        return plan;
    }
    if (config.cluster.kind.enabled) {
        const recorded = kindInState(resources);
        const name = recorded?.name ?? kindClusterName(config.cluster, stack);
        const state = kindState(name, deps.run);
        if (state === "stopped" && command !== "down") {
            // A refresh would find it unreachable and, with deleteUnreachable, drop every object from the state.
            throw new PreflightError(
                `the kind cluster ${name} of stack ${stack} is stopped: start it (docker start ${name}-control-plane), or take the lab down`,
            );
        }
        if (state === "absent" && recorded && changes) {
            plan.replace.push(recorded.urn);
            deps.note(`${stack}: the kind cluster ${name} is gone; ${command} creates it again, and everything on it`);
        }
        if (state === "absent" && recorded && command === "refresh") {
            deps.note(`${stack}: the kind cluster ${name} is gone; refresh drops what it held from the state`);
        }
        if (state === "running" && recorded === undefined && changes) {
            // A kind cluster this stack did not create (or whose state is gone): the same checks as any cluster's.
            const flags = kubectlFlags(config.cluster, stack).map((file) => expandHome(file));
            clusterChecks(command, stack, deps, () => [
                checkNamespaces(stack, config, resources, deps.run, deps.env, flags),
                checkClusterLeftovers(stack, config, resources, deps.run, deps.env, flags),
            ]);
        }
        if (state === "absent" && changes && !(await deps.portFree(config.cluster.kind.hostPort))) {
            throw new PreflightError(
                `127.0.0.1:${config.cluster.kind.hostPort}, the host port of stack ${stack}'s kind cluster, is in use: set boutique-mesh:cluster.kind.hostPort in Pulumi.${stack}.yaml`,
            );
        }
        return plan;
    }
    if (changes) {
        const context = checkTarget(stack, config, resources, deps.env);
        if (context !== undefined) deps.note(`${stack}: context ${context}`);
        clusterChecks(command, stack, deps, () => [
            checkNamespaces(stack, config, resources, deps.run, deps.env),
            checkClusterLeftovers(stack, config, resources, deps.run, deps.env),
            checkStoredVersions(stack, config, deps.run, deps.env),
        ]);
    } else {
        const context = recordedContext(resources);
        if (context !== undefined) deps.note(`${stack}: ${command} on context ${context}, where its last up ran`);
    }
    return plan;
}

/** The policy pack's folder, and its config file for a stack: the given one, or the stack's own written out. */
function policyRun(policy: LabArgs["policy"], stack: string): { packs: string[]; configs: string[] } | undefined {
    if (!policy) return undefined;
    let config = policy.file;
    if (config === undefined) {
        config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-policy-")), `${stack}.json`);
        fs.writeFileSync(config, JSON.stringify(policyConfig(stackFile(stack)), null, 2));
    }
    return { packs: [path.join(PROJECT_DIR, "policy")], configs: [path.resolve(config)] };
}

async function execute(command: Command, plan: Plan, deps: LabDeps, args: LabArgs): Promise<void> {
    if (command === "outputs") {
        const outputs = await plan.handle.outputs();
        deps.out.line(JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2));
        return;
    }
    const clock = args.timings !== undefined ? new StepClock() : undefined;
    const phases = command === "up" ? new PhaseClock((text) => deps.note(`${plan.stack}: ${text}`)) : undefined;
    const outputs = await runEngine(command, plan.stack, plan.handle, {
        replace: plan.replace,
        out: deps.out,
        policy: policyRun(args.policy, plan.stack),
        onEvent: (event) => {
            clock?.onEvent(event);
            phases?.onEvent(event);
        },
    });
    const spans = phases?.summary();
    if (spans !== undefined) deps.note(`${plan.stack}: phases ${spans}`);
    if (clock && args.timings !== undefined) {
        const seconds = clock.elapsed() / 1000;
        // A down removed the state: its relations are the ones the preflight read.
        const relations = stateRelations(command === "down" && plan.state ? plan.state : await plan.handle.exportStack());
        const timings: Timings = { stack: plan.stack, command, seconds, steps: clock.steps, ...relations };
        fs.writeFileSync(args.timings, `${JSON.stringify(timings, null, 2)}\n`);
        deps.note(`${plan.stack}: step times in ${args.timings}`);
    }
    if (command === "up" && outputs) deps.out.line(`\n${summary(plan.stack, outputs)}`);
}

/**
 * Each stack's config. A bad stack file stops every command before any engine starts, except `down`:
 * a destroy needs no config (the state says what to delete), so the lab can always be taken down.
 */
function loadConfigs(command: Command, stacks: string[], deps: LabDeps): { stack: string; config?: LabConfig }[] {
    return stacks.map((stack) => {
        try {
            return { stack, config: loadStackFile(stackFile(stack)) };
        } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            const named = new ConfigError(error.problems, `Pulumi.${stack}.yaml`);
            if (command !== "down") throw named;
            deps.note(`warning: ${named.message}\n  down needs no config: it deletes what the state holds`);
            return { stack };
        }
    });
}

/**
 * On up, a stack that names no cluster where no kubeconfig exists gets the lab's own kind cluster
 * (commands/preflight/default-cluster.ts): at most one per run, written into its stack file before anything else.
 */
function ownClusters(configs: { stack: string; config?: LabConfig }[], deps: LabDeps, optOut: boolean): void {
    const own = configs.flatMap((c) => {
        if (c.config === undefined) return [];
        const choice = chooseCluster(c.stack, c.config, deps.env, optOut);
        return choice.kind === "own-kind" ? [{ entry: c, note: choice.note }] : [];
    });
    if (own.length > 1) {
        throw new PreflightError(
            `stacks ${own.map((o) => o.entry.stack).join(", ")} name no cluster and no kubeconfig exists: the lab creates one kind cluster of its own per run; up one stack`,
        );
    }
    for (const { entry, note } of own) {
        deps.note(note);
        enableKindInStackFile(stackFile(entry.stack));
        entry.config = loadStackFile(stackFile(entry.stack));
    }
}

export function main(argv: string[], overrides: Partial<LabDeps> = {}): Promise<number> {
    const deps = { ...defaultDeps, ...overrides };
    return runCommand("lab", USAGE, argv, async () => {
        const args = parseLabArgs(argv);
        const { command } = args;
        const configs = loadConfigs(command, args.stacks, deps);
        const validOf = () => configs.filter((c): c is { stack: string; config: LabConfig } => c.config !== undefined);
        deps.note(
            await ensurePulumiCli({
                install: args.installCli ?? false,
                run: deps.run,
                env: deps.env,
                note: deps.note,
                ask: deps.ask,
                installer: deps.installer,
            }),
        );
        // Cheap checks first: the stacks against each other, then each cluster, and only then any download.
        if (command === "up") checkSharedClusters(validOf(), deps.env);
        if (command === "up") ownClusters(configs, deps, args.noKind ?? false);
        // Only down goes on without a config, and down runs none of the checks that read one.
        const valid = validOf();
        if (command === "up" || command === "preview") checkKindCollisions(valid);
        if (command === "up" || command === "preview") {
            for (const { stack, config } of valid) deps.note(`${stack}: cluster ${await checkCluster(config, 5000, deps.env)}`);
        }
        if (command !== "outputs") {
            const needs = mergeNeeds(configs.map(({ config }) => (config ? requiredPlugins(config) : everyPlugin("the resources of the stack's state"))));
            for (const line of checkPlugins(needs, deps.run, deps.env, deps.note)) deps.note(line);
        }
        const plans: Plan[] = [];
        for (const { stack, config } of configs) plans.push(await prepare(command, stack, config, deps));
        for (const plan of plans) await execute(command, plan, deps, args);
        return 0;
    });
}

runAsScript(module, main);
