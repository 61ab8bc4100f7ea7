/**
 * A fresh laptop: no Pulumi CLI, no kubeconfig, Docker and kind perhaps. The tools are stand-in scripts on
 * PATH that record every call; HOME is an empty folder; the installer is a stand-in that writes a CLI where
 * the Automation API's would.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { LabStack } from "../commands/engine";
import { main } from "../commands/lab";
import { PhaseClock, phaseOf } from "../commands/phases";
import { Installer, cliRoot, ensurePulumiCli, inCi, useLabCli } from "../commands/preflight/cli";
import { chooseCluster, enableKindInStackFile } from "../commands/preflight/default-cluster";
import { PreflightError, RunTool } from "../commands/preflight/tools";
import { PROJECT_DIR } from "../config/project";
import { parseLabConfig } from "../config/schema";
import { loadStackFile } from "../config/stack";
import { captureStderr } from "./support/stderr";

/** A laptop: an empty HOME, a bin folder of stand-in scripts, and the log they append their calls to. */
function laptop(tools: Record<string, string> = {}) {
    const home = scratch("laptop-home-");
    const bin = path.join(home, "bin");
    fs.mkdirSync(bin);
    const log = path.join(home, "calls.log");
    const env: NodeJS.ProcessEnv = { HOME: home, PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, XDG_CACHE_HOME: path.join(home, ".cache") };
    const script = (name: string, body: string, dir = bin) => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`, { mode: 0o755 });
    };
    for (const [name, body] of Object.entries(tools)) script(name, body);
    /** Runs a tool as the lab does, with this laptop's PATH. */
    const run: RunTool = (file, args) => execFileSync(file, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
    const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
    return { home, env, run, calls, script, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Runs `use` on a fresh laptop, removed afterwards whatever happens. */
async function onLaptop(tools: Record<string, string>, use: (l: ReturnType<typeof laptop>) => Promise<void> | void): Promise<void> {
    const l = laptop(tools);
    try {
        await use(l);
    } finally {
        l.cleanup();
    }
}

const PULUMI_SCRIPT = (version = "v3.248.0") =>
    `case "$1" in version) echo ${version};; plugin) echo '[{"name":"kubernetes","kind":"resource","version":"4.34.2"},{"name":"random","kind":"resource","version":"4.21.2"},{"name":"command","kind":"resource","version":"1.2.1"}]';; esac`;

describe("a fresh laptop", () => {
    describe("the Pulumi CLI", () => {
        /** An installer that leaves a CLI where PulumiCommand.install would, and records its calls. */
        function standInInstaller(l: ReturnType<typeof laptop>): Installer & { calls: string[] } {
            const calls: string[] = [];
            const installer = (async (root: string, version: string) => {
                calls.push(`${root} ${version}`);
                l.script("pulumi", PULUMI_SCRIPT(`v${version}`), path.join(root, "bin"));
            }) as Installer & { calls: string[] };
            installer.calls = calls;
            return installer;
        }
        const options = (l: ReturnType<typeof laptop>, extra: Partial<Parameters<typeof ensurePulumiCli>[0]> = {}) => ({
            install: false,
            run: l.run,
            env: l.env,
            note: () => undefined,
            ...extra,
        });

        it("present: used as it is, nothing installed", async () => {
            await onLaptop({ pulumi: PULUMI_SCRIPT() }, async (l) => {
                const installer = standInInstaller(l);
                assert.equal(await ensurePulumiCli(options(l, { install: true, installer })), "v3.248.0");
                assert.deepEqual(installer.calls, []);
                assert.deepEqual(l.calls(), ["pulumi version"]);
            });
        });

        it("missing and --install-cli: installed into the user's cache at the SDK's version, then first on PATH for this and later runs", async () => {
            await onLaptop({}, async (l) => {
                const installer = standInInstaller(l);
                const notes: string[] = [];
                const root = cliRoot(l.env);
                assert.equal(root, path.join(l.home, ".cache", "boutique-mesh", "pulumi-3.248.0"));
                const line = await ensurePulumiCli(options(l, { install: true, installer, note: (t: string) => void notes.push(t) }));
                assert.deepEqual(installer.calls, [`${root} 3.248.0`]);
                assert.match(line, new RegExp(`^v3\\.248\\.0 \\(installed in \\d+ s into ${root.replace(/[.]/g, "\\.")}; later runs use it\\)$`));
                assert.match(
                    notes[0],
                    /installing the Pulumi CLI 3\.248\.0 into .*: the Automation API's installer downloads https:\/\/get\.pulumi\.com\/install\.sh/,
                );
                assert.equal(l.env.PATH!.split(path.delimiter)[0], path.join(root, "bin"));
                // A later run, in a fresh environment: found in the cache, nothing installed again.
                const later = { ...l.env, PATH: l.env.PATH!.split(path.delimiter).slice(1).join(path.delimiter) };
                const again = await ensurePulumiCli({
                    ...options(l),
                    env: later,
                    run: (f, a) => execFileSync(f, a, { encoding: "utf8", env: later }),
                    installer,
                });
                assert.equal(again, `v3.248.0 (installed by the lab in ${root})`);
                assert.equal(installer.calls.length, 1);
                // verify, which calls the CLI without the preflight, finds it too; a pulumi on PATH always wins.
                const empty = path.join(l.home, "empty");
                fs.mkdirSync(empty);
                const bare = { ...later, PATH: empty };
                assert.equal(useLabCli(bare), true);
                assert.equal(bare.PATH, `${path.join(root, "bin")}${path.delimiter}${empty}`);
                assert.equal(useLabCli(l.env), false);
            });
        });

        it("missing in CI: refused unless --install-cli, naming the flag and the folder; nothing installed", async () => {
            await onLaptop({}, async (l) => {
                const installer = standInInstaller(l);
                l.env.CI = "true";
                const asked: string[] = [];
                await assert.rejects(
                    ensurePulumiCli(options(l, { installer, ask: async (q: string) => (asked.push(q), true) })),
                    (e: Error) =>
                        e instanceof PreflightError &&
                        /^the Pulumi CLI is not installed, and the lab installs nothing in CI unasked: run again with --install-cli to install Pulumi 3\.248\.0 into /.test(
                            e.message,
                        ),
                );
                assert.deepEqual([installer.calls, asked], [[], []], "no question in CI either");
                assert.ok(inCi({ CI: "1" }) && !inCi({ CI: "false" }) && !inCi({}));
            });
        });

        it("missing on a terminal: asks, installs on yes, stops on no; with no terminal it only says how", async () => {
            await onLaptop({}, async (l) => {
                const installer = standInInstaller(l);
                await assert.rejects(
                    ensurePulumiCli(options(l, { installer, ask: async () => false })),
                    /the Pulumi CLI is not installed: run again with --install-cli/,
                );
                await assert.rejects(
                    ensurePulumiCli(options(l, { installer })),
                    /the Pulumi CLI is not installed: run again with --install-cli .* https:\/\/www\.pulumi\.com\/docs\/install\//,
                );
                assert.deepEqual(installer.calls, []);
                const questions: string[] = [];
                assert.match(await ensurePulumiCli(options(l, { installer, ask: async (q: string) => (questions.push(q), true) })), /^v3\.248\.0 \(installed/);
                assert.match(questions[0], /^The Pulumi CLI is not installed\. Install Pulumi 3\.248\.0 into .* now\? \[y\/N\] $/);
            });
        });

        it("a failed install names the folder and the installer's error, and a CLI that does not run is not reinstalled", async () => {
            await onLaptop({}, async (l) => {
                const failing: Installer = async () => Promise.reject(new Error("Failed to download https://get.pulumi.com/install.sh: 503"));
                await assert.rejects(
                    ensurePulumiCli(options(l, { install: true, installer: failing })),
                    /installing the Pulumi CLI 3\.248\.0 into .* failed: Failed to download/,
                );
                l.script("pulumi", "exit 3");
                await assert.rejects(ensurePulumiCli(options(l, { install: true, installer: standInInstaller(l) })), /the Pulumi CLI does not run/);
            });
        });
    });

    describe("the cluster", () => {
        const bare = parseLabConfig({});

        it("a kubeconfig that exists is used, reachable or not: never replaced by kind", async () => {
            await onLaptop({ docker: "", kind: "" }, async (l) => {
                fs.mkdirSync(path.join(l.home, ".kube"));
                fs.writeFileSync(path.join(l.home, ".kube", "config"), "apiVersion: v1\nkind: Config\n");
                assert.deepEqual(chooseCluster("dev", bare, l.env, false), { kind: "configured" });
                assert.deepEqual(chooseCluster("dev", bare, { ...l.env, KUBECONFIG: path.join(l.home, ".kube", "config") }, false), { kind: "configured" });
                assert.deepEqual(chooseCluster("dev", parseLabConfig({ cluster: { kubeconfig: "/nowhere/config" } }), l.env, false), { kind: "configured" });
                assert.deepEqual(chooseCluster("dev", parseLabConfig({ cluster: { context: "prod" } }), { ...l.env, HOME: "/nowhere" }, false), {
                    kind: "configured",
                });
            });
        });

        it("no kubeconfig, with Docker and kind: the lab's own kind cluster, said in one line with how to opt out", async () => {
            await onLaptop({ docker: "", kind: "" }, async (l) => {
                const choice = chooseCluster("dev", bare, l.env, false);
                assert.equal(choice.kind, "own-kind");
                assert.match(
                    (choice as { note: string }).note,
                    /^dev: no kubeconfig at .*\.kube\/config: creating the lab's own kind cluster \(boutique-mesh:cluster\.kind\.enabled: true, written to Pulumi\.dev\.yaml; down deletes the cluster\)\. To use another cluster instead, stop now and set boutique-mesh:cluster\.kubeconfig, or pass --no-kind$/,
                );
                assert.throws(() => chooseCluster("dev", bare, l.env, true), /no kubeconfig at .*, and --no-kind keeps the lab from creating its own cluster/);
            });
        });

        it("no kubeconfig, without Docker or kind: an error that says what to install", async () => {
            await onLaptop({ kind: "" }, async (l) => {
                assert.throws(
                    () => chooseCluster("dev", bare, l.env, false),
                    /no kubeconfig at .*: set boutique-mesh:cluster\.kubeconfig or KUBECONFIG, or install docker \(https:\/\/kind\.sigs\.k8s\.io/,
                );
            });
        });

        it("writes the choice into the stack file, keeping its comments and keys", () => {
            const dir = scratch("stack-");
            try {
                const file = path.join(dir, "Pulumi.dev.yaml");
                fs.writeFileSync(
                    file,
                    "# The baseline lab.\nconfig:\n  boutique-mesh:scenario: canary\n  boutique-mesh:cluster:\n    kind:\n      hostPort: 8081\n",
                );
                enableKindInStackFile(file);
                const text = fs.readFileSync(file, "utf8");
                assert.match(text, /^# The baseline lab\.\n/);
                const config = loadStackFile(file);
                assert.deepEqual([config.scenario, config.cluster.kind.enabled, config.cluster.kind.hostPort], ["canary", true, 8081]);
                fs.writeFileSync(file, "# nothing yet\n");
                enableKindInStackFile(file);
                assert.equal(loadStackFile(file).cluster.kind.enabled, true);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("npm run lab -- up on the laptop: the stack file gets the kind cluster, then the preflight and the engine run with it", async () => {
            const l = laptop({ pulumi: PULUMI_SCRIPT(), docker: "", kind: "" });
            const file = path.join(PROJECT_DIR, "Pulumi.zz-fresh-laptop.yaml");
            fs.writeFileSync(file, "config:\n  boutique-mesh:scenario: baseline\n");
            try {
                const notes: string[] = [];
                const ups: Record<string, unknown>[] = [];
                const stack = {
                    up: async (opts: Record<string, unknown>) => (
                        ups.push(opts),
                        { stdout: "", stderr: "", summary: { resourceChanges: { create: 1 } }, outputs: {} }
                    ),
                    exportStack: async () => ({ version: 3, deployment: { resources: [] } }),
                } as unknown as LabStack;
                const { value } = await captureStderr(() =>
                    main(["up", "zz-fresh-laptop"], {
                        run: l.run,
                        env: l.env,
                        open: async () => stack,
                        note: (t) => void notes.push(t),
                        out: { progress: () => undefined, line: () => undefined },
                        portFree: async () => true,
                        ask: undefined,
                    }),
                );
                assert.equal(value, 0, notes.join("\n"));
                assert.equal(loadStackFile(file).cluster.kind.enabled, true);
                assert.deepEqual(notes.slice(0, 2), ["v3.248.0", notes[1]]);
                assert.match(notes[1], /^zz-fresh-laptop: no kubeconfig at .*: creating the lab's own kind cluster/);
                assert.ok(notes.includes("zz-fresh-laptop: cluster a kind cluster the lab creates"), notes.join("\n"));
                assert.equal(ups.length, 1);
                assert.deepEqual(
                    l.calls().filter((c) => !c.startsWith("pulumi")),
                    ["docker ps -a --filter label=io.x-k8s.kind.cluster=boutique-mesh-zz-fresh-laptop --format {{.Names}} {{.State}}"],
                );
            } finally {
                fs.rmSync(file, { force: true });
                l.cleanup();
            }
        });
    });

    it("npm run lab -- up with a kubeconfig whose cluster does not answer: the error names the server and context, and no kind cluster is made", async () => {
        const l = laptop({ pulumi: PULUMI_SCRIPT(), docker: "", kind: "" });
        const file = path.join(PROJECT_DIR, "Pulumi.zz-fresh-laptop.yaml");
        const yaml = "config:\n  boutique-mesh:scenario: baseline\n";
        fs.writeFileSync(file, yaml);
        try {
            fs.mkdirSync(path.join(l.home, ".kube"));
            fs.writeFileSync(
                path.join(l.home, ".kube", "config"),
                'apiVersion: v1\nkind: Config\ncurrent-context: work\ncontexts:\n- name: work\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {}\n',
            );
            const notes: string[] = [];
            const { value, err } = await captureStderr(() =>
                main(["up", "zz-fresh-laptop"], {
                    run: l.run,
                    env: l.env,
                    open: async () => Promise.reject(new Error("no engine may start")),
                    note: (t) => void notes.push(t),
                    out: { progress: () => undefined, line: () => undefined },
                    ask: undefined,
                }),
            );
            assert.equal(value, 1);
            assert.match(err, /lab: no cluster reachable at https:\/\/127\.0\.0\.1:1 \(context work\)/);
            assert.equal(fs.readFileSync(file, "utf8"), yaml, "the stack file is untouched");
            assert.ok(!notes.some((n) => /kind/.test(n)), notes.join("\n"));
            assert.ok(!l.calls().some((c) => c.startsWith("kind") || c.startsWith("docker")));
        } finally {
            fs.rmSync(file, { force: true });
            l.cleanup();
        }
    });

    describe("the phases of an up", () => {
        const urn = (chain: string, name: string) => `urn:pulumi:dev::boutique-mesh::boutique-mesh:index:Lab$${chain}::${name}`;

        it("each resource belongs to the phase of its component", () => {
            assert.equal(phaseOf(urn("boutique-mesh:index:Cluster$command:local:Command", "lab-kind")), "cluster");
            assert.equal(phaseOf(urn("boutique-mesh:index:Mesh$kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment", "istiod")), "Istio");
            assert.equal(phaseOf(urn("boutique-mesh:index:Boutique$kubernetes:apps/v1:Deployment", "cart")), "shop");
            assert.equal(phaseOf(urn("boutique-mesh:index:Ingress$kubernetes:networking.istio.io/v1:Gateway", "gw")), "shop");
            assert.equal(phaseOf(urn("boutique-mesh:index:Addons$kubernetes:helm.sh/v4:Chart", "grafana")), "addons");
            assert.equal(phaseOf(urn("boutique-mesh:index:Traffic$kubernetes:apiextensions.k8s.io:CustomResource", "vs")), "scenario");
            assert.equal(phaseOf("urn:pulumi:dev::boutique-mesh::pulumi:pulumi:Stack::boutique-mesh-dev"), undefined);
            assert.equal(phaseOf(urn("pulumi:providers:kubernetes", "lab-provider")), undefined);
        });

        it("a line when each phase starts, with the time since the run began, and the span of each at the end; nothing for a no-op", () => {
            let now = 1000;
            const notes: string[] = [];
            const clock = new PhaseClock(
                (t) => void notes.push(t),
                () => now,
            );
            const pre = (u: string, op: string, planning = false) => ({
                sequence: 0,
                timestamp: 0,
                resourcePreEvent: { metadata: { urn: u, op, type: "", provider: "" }, planning },
            });
            const done = (u: string) => ({ sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { urn: u, op: "create", type: "", provider: "" } } });
            const kind = urn("boutique-mesh:index:Cluster$command:local:Command", "kind");
            const istiod = urn("boutique-mesh:index:Mesh$kubernetes:apps/v1:Deployment", "istiod");
            const same = urn("boutique-mesh:index:Addons$kubernetes:v1:Secret", "s");
            clock.onEvent(pre(kind, "create") as never);
            now = 41_000;
            clock.onEvent(done(kind) as never);
            clock.onEvent(pre(istiod, "create") as never);
            clock.onEvent(pre(same, "same") as never);
            clock.onEvent(pre(istiod, "create", true) as never);
            now = 73_400;
            clock.onEvent(done(istiod) as never);
            assert.deepEqual(notes, ["[  0 s] cluster", "[ 40 s] Istio"]);
            assert.equal(clock.summary(), "cluster 0-40 s, Istio 40-72 s");
            assert.equal(new PhaseClock(() => undefined).summary(), undefined);
        });
    });
});
