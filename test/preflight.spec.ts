import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parseLabConfig } from "../config/schema";
import { PROJECT_DIR } from "../config/project";
import { LabStack } from "../commands/engine";
import { main } from "../commands/lab";
import { checkPlugins, lockedVersions, PreflightError, requiredPlugins, RunTool } from "../commands/preflight/tools";
import { checkKindCollisions, checkSharedClusters, kindState } from "../commands/preflight/cluster";
import { captureStderr } from "./support/stderr";

const KUBERNETES = { name: "kubernetes", kind: "resource", version: "4.34.2" };
const RANDOM = { name: "random", kind: "resource", version: "4.21.2" };
const COMMAND = { name: "command", kind: "resource", version: "1.2.1" };

/** Stand-ins for pulumi, docker and kubectl, answering from a table; every call is recorded. */
function tools(answers: Record<string, string | Error>, calls: string[] = []): RunTool & { calls: string[] } {
    const run = ((file: string, args: string[]) => {
        const line = [file, ...args].join(" ");
        calls.push(line);
        const key = Object.keys(answers).find((k) => line.startsWith(k));
        const answer = key === undefined ? "" : answers[key];
        if (answer instanceof Error) throw answer;
        return answer;
    }) as RunTool & { calls: string[] };
    run.calls = calls;
    return run;
}

const PULUMI = { "pulumi version": "v3.248.0", "pulumi plugin ls --json": JSON.stringify([KUBERNETES, RANDOM, COMMAND]) };

/** A stack as the Automation API would give it, with the given resources in its state. */
function fakeStack(resources: object[] = []) {
    const calls: { method: string; opts?: Record<string, unknown> }[] = [];
    const summary = { resourceChanges: { same: 1 } };
    const stack = {
        up: async (opts?: Record<string, unknown>) => (calls.push({ method: "up", opts }), { stdout: "", stderr: "", summary, outputs: {} }),
        preview: async (opts?: Record<string, unknown>) => (calls.push({ method: "preview", opts }), { stdout: "", stderr: "", changeSummary: { same: 1 } }),
        refresh: async (opts?: Record<string, unknown>) => (calls.push({ method: "refresh", opts }), { stdout: "", stderr: "", summary }),
        destroy: async (opts?: Record<string, unknown>) => (calls.push({ method: "destroy", opts }), { stdout: "", stderr: "", summary }),
        outputs: async () => ({}),
        exportStack: async () => ({ version: 3, deployment: { resources } }),
        workspace: { removeStack: async () => undefined },
    };
    return { stack: stack as unknown as LabStack, calls };
}

/** Writes Pulumi.<name>.yaml into the project for one test (the lab CLI takes stacks from there). */
function withStackFile(name: string, yaml: string): () => void {
    const file = path.join(PROJECT_DIR, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, yaml);
    return () => fs.rmSync(file, { force: true });
}

function binWith(...names: string[]): string {
    const bin = scratch("preflight-bin-");
    for (const name of names) fs.writeFileSync(path.join(bin, name), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    return bin;
}

async function runMain(argv: string[], deps: Parameters<typeof main>[1]): Promise<{ code: number; notes: string; err: string }> {
    const notes: string[] = [];
    const { value: code, err } = await captureStderr(() =>
        main(argv, { note: (t) => void notes.push(t), out: { progress: () => undefined, line: () => undefined }, ...deps }),
    );
    return { code, notes: notes.join("\n"), err };
}

/** An API server that accepts connections (the cluster check only connects). */
async function listening(): Promise<{ port: number; close: () => void }> {
    const server = net.createServer((socket) => socket.end()).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

function kubeconfigFile(server: string, current: string): string {
    const file = path.join(scratch("kubeconfig-"), "config");
    const contexts = ["ctx-a", "ctx-b"].map((c) => `- name: ${c}\n  context: {cluster: c1, user: u1}`).join("\n");
    fs.writeFileSync(
        file,
        `apiVersion: v1\nkind: Config\ncurrent-context: ${current}\ncontexts:\n${contexts}\nclusters:\n- name: c1\n  cluster: {server: "${server}"}\nusers:\n- name: u1\n  user: {}\n`,
    );
    return file;
}

describe("preflight: what npm run lab checks before the engine starts", () => {
    describe("provider plugins", () => {
        it("are the ones the config needs, at the versions package-lock.json pins", () => {
            assert.deepEqual(lockedVersions(), { kubernetes: "4.34.2", random: "4.21.2", command: "1.2.1" });
            const names = (input: object) => requiredPlugins(parseLabConfig(input)).map((p) => `${p.name} ${p.version}`);
            assert.deepEqual(names({}), ["kubernetes 4.34.2", "random 4.21.2"], "Grafana's password and Kiali's key are generated");
            assert.deepEqual(names({ addons: { grafana: { adminPassword: "correct-horse-battery" }, kiali: { signingKey: "k".repeat(32) } } }), [
                "kubernetes 4.34.2",
            ]);
            assert.deepEqual(names({ addons: { grafana: { enabled: false }, kiali: { enabled: false } } }), ["kubernetes 4.34.2"]);
            assert.deepEqual(names({ addons: { grafana: { enabled: false }, kiali: { signingKey: "k".repeat(32) } } }), ["kubernetes 4.34.2"]);
            assert.deepEqual(names({ addons: { grafana: { enabled: false } } }), ["kubernetes 4.34.2", "random 4.21.2"], "Kiali's key alone");
            assert.deepEqual(names({ cluster: { kind: { enabled: true } }, addons: { grafana: { enabled: false }, kiali: { enabled: false } } }), [
                "kubernetes 4.34.2",
                "command 1.2.1",
            ]);
            assert.deepEqual(
                names({
                    images: { mirrors: { "docker.io": "m.lab" }, copy: { enabled: true } },
                    addons: { grafana: { enabled: false }, kiali: { enabled: false } },
                }),
                ["kubernetes 4.34.2", "command 1.2.1"],
            );
        });

        it("in the plugin cache satisfy it without any download", () => {
            const run = tools(PULUMI);
            assert.deepEqual(checkPlugins(requiredPlugins(parseLabConfig({})), run, { PATH: "" }), ["plugin kubernetes 4.34.2", "plugin random 4.21.2"]);
            assert.ok(!run.calls.some((c) => c.includes("plugin install")));
        });

        it("missing from it are installed at their exact version", () => {
            const run = tools({ "pulumi plugin ls --json": JSON.stringify([{ ...KUBERNETES, version: "4.30.0" }]) });
            checkPlugins(requiredPlugins(parseLabConfig({})), run, { PATH: "" });
            assert.deepEqual(
                run.calls.filter((c) => c.includes("install")),
                ["pulumi plugin install resource kubernetes 4.34.2", "pulumi plugin install resource random 4.21.2"],
            );
        });

        it("that cannot be installed stop the run, saying exactly how to install them", () => {
            const run = tools({
                "pulumi plugin ls --json": "[]",
                "pulumi plugin install": Object.assign(new Error("exit 1"), { stderr: "error: dial tcp: no such host\n" }),
            });
            assert.throws(
                () => checkPlugins(requiredPlugins(parseLabConfig({})), run, { PATH: "" }),
                (error: Error) =>
                    error instanceof PreflightError &&
                    /the Pulumi plugin resource kubernetes 4\.34\.2 \(for every object of the lab\) is missing and could not be installed: error: dial tcp: no such host/.test(
                        error.message,
                    ) &&
                    error.message.includes("install it with: pulumi plugin install resource kubernetes 4.34.2") &&
                    error.message.includes("pulumi plugin install resource kubernetes 4.34.2 --file <path to pulumi-resource-kubernetes>"),
            );
        });

        it("on PATH are taken as the engine takes them, unless ambient plugins are ignored", () => {
            const bin = binWith("pulumi-resource-kubernetes");
            const needs = requiredPlugins(parseLabConfig({ addons: { grafana: { enabled: false }, kiali: { enabled: false } } }));
            assert.deepEqual(checkPlugins(needs, tools({ "pulumi plugin ls --json": "[]" }), { PATH: bin }), [
                "plugin kubernetes from PATH (pulumi-resource-kubernetes)",
            ]);
            const run = tools({ "pulumi plugin ls --json": "[]" });
            checkPlugins(needs, run, { PATH: bin, PULUMI_IGNORE_AMBIENT_PLUGINS: "true" });
            assert.ok(run.calls.includes("pulumi plugin install resource kubernetes 4.34.2"));
        });

        it("are checked by npm run lab before anything else reaches the engine", async () => {
            const cleanup = withStackFile("zz-plugins-test", "config:\n  boutique-mesh:cluster:\n    kind: {enabled: true}\n");
            try {
                const run = tools({ ...PULUMI, "pulumi plugin ls --json": "[]", "pulumi plugin install": new Error("offline") });
                const { stack, calls } = fakeStack();
                const result = await runMain(["down", "zz-plugins-test"], { run, open: async () => stack, env: { PATH: "" } });
                assert.equal(result.code, 1);
                assert.match(result.err, /the Pulumi plugin resource kubernetes 4\.34\.2/);
                assert.deepEqual(calls, []);
            } finally {
                cleanup();
            }
        });

        it("a down goes on with a stack file the schema refuses (a destroy needs no config), with every plugin a state may need", async () => {
            const cleanup = withStackFile("zz-invalid-down", "config:\n  boutique-mesh:istio:\n    verison: 1.30.3\n");
            try {
                const run = tools(PULUMI);
                const { stack, calls } = fakeStack();
                const result = await runMain(["down", "zz-invalid-down"], { run, open: async () => stack, env: { PATH: "" } });
                assert.equal(result.code, 0, result.err);
                assert.match(result.notes, /warning: Pulumi\.zz-invalid-down\.yaml: invalid configuration:\n {2}- boutique-mesh:istio\.verison: unknown key/);
                assert.match(result.notes, /down needs no config/);
                assert.deepEqual(
                    calls.map((c) => c.method),
                    ["destroy"],
                );
                const up = await runMain(["up", "zz-invalid-down"], { run, open: async () => stack, env: { PATH: "" } });
                assert.equal(up.code, 2, "every other command stops on it");
                assert.deepEqual(
                    calls.map((c) => c.method),
                    ["destroy"],
                );
            } finally {
                cleanup();
            }
        });

        it("are downloaded only after the cluster answers, and the download is announced with its time", async () => {
            const cleanup = withStackFile("zz-order-test", "config:\n  boutique-mesh:cluster:\n    kubeconfig: /nonexistent/kubeconfig\n");
            try {
                const calls: string[] = [];
                const run = tools({ ...PULUMI, "pulumi plugin ls --json": "[]" }, calls);
                const result = await runMain(["up", "zz-order-test"], { run, open: async () => fakeStack().stack, env: { PATH: "" } });
                assert.equal(result.code, 1);
                assert.match(result.err, /no kubeconfig at \/nonexistent\/kubeconfig/);
                assert.deepEqual(
                    calls.filter((c) => c.startsWith("pulumi plugin")),
                    [],
                    "nothing is downloaded for a lab that has no cluster",
                );
                const notes: string[] = [];
                const lines = checkPlugins(
                    [KUBERNETES].map(({ name, version }) => ({ name: name as "kubernetes", version, why: "every object" })),
                    tools({ "pulumi plugin ls --json": "[]" }),
                    { PATH: "" },
                    (t) => void notes.push(t),
                );
                assert.deepEqual(notes, [
                    "installing plugin kubernetes 4.34.2 (for every object): pulumi plugin install resource kubernetes 4.34.2 downloads it",
                ]);
                assert.match(lines[0], /^plugin kubernetes 4\.34\.2 installed in \d+ s$/);
            } finally {
                cleanup();
            }
        });
    });

    describe("stacks of one run", () => {
        it("may not share a cluster, however their contexts are named: refused before any engine starts", async () => {
            const server = await listening();
            try {
                const file = kubeconfigFile(`https://127.0.0.1:${server.port}`, "ctx-a");
                const on = (context: string) => parseLabConfig({ cluster: { kubeconfig: file, context } });
                assert.throws(
                    () =>
                        checkSharedClusters([
                            { stack: "dev", config: on("ctx-a") },
                            { stack: "canary", config: on("ctx-b") },
                        ]),
                    new RegExp(
                        `stacks dev and canary both target the cluster at https://127\\.0\\.0\\.1:${server.port} \\(context ctx-b\\): one lab per cluster; point Pulumi\\.canary\\.yaml at another one`,
                    ),
                );
                const other = kubeconfigFile("https://127.0.0.2:6443", "ctx-a");
                checkSharedClusters([
                    { stack: "dev", config: on("ctx-a") },
                    { stack: "canary", config: parseLabConfig({ cluster: { kubeconfig: other } }) },
                    { stack: "retry", config: parseLabConfig({ cluster: { kind: { enabled: true } } }) },
                ]);
                const a = withStackFile("zz-shared-a", `config:\n  boutique-mesh:cluster:\n    kubeconfig: ${file}\n`);
                const b = withStackFile("zz-shared-b", `config:\n  boutique-mesh:cluster:\n    kubeconfig: ${file}\n    context: ctx-b\n`);
                try {
                    const { stack, calls } = fakeStack();
                    const result = await runMain(["up", "--all"], { run: tools(PULUMI), open: async () => stack, env: { PATH: "" } });
                    assert.equal(result.code, 1);
                    assert.match(result.err, /stacks zz-shared-a and zz-shared-b both target the cluster/);
                    assert.deepEqual(calls, [], "no engine ran");
                } finally {
                    a();
                    b();
                }
            } finally {
                server.close();
            }
        });
    });

    describe("kind clusters", () => {
        it("of one run may not share a host port or a name: the message names the stack to change", () => {
            const kind = (input: object) => parseLabConfig({ cluster: { kind: { enabled: true, ...input } } });
            assert.throws(
                () =>
                    checkKindCollisions([
                        { stack: "dev", config: kind({}) },
                        { stack: "canary", config: kind({}) },
                    ]),
                /stacks dev and canary both give their kind cluster the host port 8080: set boutique-mesh:cluster\.kind\.hostPort in Pulumi\.canary\.yaml/,
            );
            assert.throws(
                () =>
                    checkKindCollisions([
                        { stack: "dev", config: kind({ name: "lab" }) },
                        { stack: "canary", config: kind({ name: "lab", hostPort: 8081 }) },
                    ]),
                /the cluster name lab: set boutique-mesh:cluster\.kind\.name in Pulumi\.canary\.yaml/,
            );
            checkKindCollisions([
                { stack: "dev", config: kind({}) },
                { stack: "canary", config: kind({ hostPort: 8081 }) },
                { stack: "retry", config: parseLabConfig({}) },
            ]);
        });

        it("are read as kind reads them: running, stopped or absent", () => {
            const query = "docker ps -a --filter label=io.x-k8s.kind.cluster=lab --format {{.Names}} {{.State}}";
            const run = (out: string) => tools({ [query]: out });
            assert.equal(kindState("lab", run("")), "absent");
            assert.equal(kindState("lab", run("lab-control-plane running\n")), "running");
            assert.equal(kindState("lab", run("lab-control-plane exited\n")), "stopped");
        });

        describe("npm run lab", () => {
            const kindUrn =
                "urn:pulumi:zz-kind-test::boutique-mesh::boutique-mesh:index:Lab$boutique-mesh:index:Cluster$command:local:Command::lab-cluster-kind";
            const state = [{ urn: kindUrn, type: "command:local:Command", inputs: { environment: { KIND_CLUSTER: "boutique-mesh-zz-kind-test" } } }];
            const docker = "docker ps -a --filter label=io.x-k8s.kind.cluster=boutique-mesh-zz-kind-test";
            let cleanup: () => void;
            beforeEach(() => (cleanup = withStackFile("zz-kind-test", "config:\n  boutique-mesh:cluster:\n    kind: {enabled: true, hostPort: 18080}\n")));
            afterEach(() => cleanup());

            it("brings up again a kind cluster deleted outside Pulumi: up replaces it", async () => {
                const { stack, calls } = fakeStack(state);
                const result = await runMain(["up", "zz-kind-test"], {
                    run: tools({ ...PULUMI, [docker]: "" }),
                    open: async () => stack,
                    env: { PATH: binWith("docker", "kind") },
                });
                assert.equal(result.code, 0, result.err);
                assert.match(result.notes, /the kind cluster boutique-mesh-zz-kind-test is gone; up creates it again, and everything on it/);
                assert.deepEqual(calls[0].opts?.replace, [kindUrn]);
            });

            it("leaves a running one alone", async () => {
                const { stack, calls } = fakeStack(state);
                const run = tools({ ...PULUMI, [docker]: "boutique-mesh-zz-kind-test-control-plane running" });
                const result = await runMain(["up", "zz-kind-test"], { run, open: async () => stack, env: { PATH: binWith("docker", "kind") } });
                assert.equal(result.code, 0, result.err);
                assert.equal(calls[0].opts?.replace, undefined);
            });

            it("checks a running one it did not create, as any cluster: another lab's namespaces and cluster-scoped leftovers", async () => {
                const kubeconfig = `--kubeconfig ${path.join(os.homedir(), ".kube", "kind-boutique-mesh-zz-kind-test.yaml")}`;
                const run = tools({
                    ...PULUMI,
                    [docker]: "boutique-mesh-zz-kind-test-control-plane running",
                    [`kubectl ${kubeconfig} get namespace`]: "",
                    [`kubectl ${kubeconfig} get clusterroles`]: JSON.stringify({
                        items: [{ kind: "MutatingWebhookConfiguration", metadata: { name: "istio-sidecar-injector" } }],
                    }),
                });
                const { stack, calls } = fakeStack();
                const result = await runMain(["up", "zz-kind-test"], { run, open: async () => stack, env: { PATH: binWith("docker", "kind", "kubectl") } });
                assert.equal(result.code, 1);
                assert.match(result.err, /MutatingWebhookConfiguration istio-sidecar-injector is no lab's/);
                assert.match(
                    result.err,
                    new RegExp(`kubectl ${kubeconfig.replace(/[.]/g, "\\.")} delete mutatingwebhookconfigurations istio-sidecar-injector`),
                );
                assert.deepEqual(calls, []);
            });

            it("stops before up or refresh on a stopped one, but takes it down", async () => {
                const run = tools({ ...PULUMI, [docker]: "boutique-mesh-zz-kind-test-control-plane exited" });
                const env = { PATH: binWith("docker", "kind") };
                for (const command of ["up", "refresh"]) {
                    const { stack, calls } = fakeStack(state);
                    const result = await runMain([command, "zz-kind-test"], { run, open: async () => stack, env });
                    assert.equal(result.code, 1, command);
                    assert.match(
                        result.err,
                        /the kind cluster boutique-mesh-zz-kind-test of stack zz-kind-test is stopped: start it \(docker start boutique-mesh-zz-kind-test-control-plane\)/,
                    );
                    assert.deepEqual(calls, []);
                }
                const { stack, calls } = fakeStack(state);
                assert.equal((await runMain(["down", "zz-kind-test"], { run, open: async () => stack, env })).code, 0);
                assert.deepEqual(
                    calls.map((c) => c.method),
                    ["destroy"],
                );
            });

            it("says which key to change when the host port is taken", async () => {
                const { stack } = fakeStack();
                const result = await runMain(["up", "zz-kind-test"], {
                    run: tools({ ...PULUMI, [docker]: "" }),
                    open: async () => stack,
                    env: { PATH: binWith("docker", "kind") },
                    portFree: async (port) => port !== 18080,
                });
                assert.equal(result.code, 1);
                assert.match(
                    result.err,
                    /127\.0\.0\.1:18080, the host port of stack zz-kind-test's kind cluster, is in use: set boutique-mesh:cluster\.kind\.hostPort in Pulumi\.zz-kind-test\.yaml/,
                );
            });
        });
    });

    describe("a cluster another lab already uses", () => {
        const providerUrn =
            "urn:pulumi:zz-shared::boutique-mesh::boutique-mesh:index:Lab$boutique-mesh:index:Cluster$pulumi:providers:kubernetes::lab-cluster-provider";
        const nsList = (...items: object[]) => JSON.stringify({ kind: "List", items });
        let server: { port: number; close: () => void };
        let cleanup: () => void;
        let kubeconfig: string;
        beforeEach(async () => {
            server = await listening();
            kubeconfig = kubeconfigFile(`https://127.0.0.1:${server.port}`, "ctx-a");
            cleanup = withStackFile("zz-shared", "config:\n  boutique-mesh:scenario: baseline\n");
        });
        afterEach(() => (server.close(), cleanup()));

        it("stops up with a message naming the other lab's stack and each namespace, before the engine starts", async () => {
            const run = tools({
                ...PULUMI,
                "kubectl --context ctx-a get namespace istio-system online-boutique --ignore-not-found -o json": nsList(
                    { metadata: { name: "istio-system", labels: { "boutique-mesh.io/stack": "dev" } } },
                    { metadata: { name: "online-boutique" } },
                ),
            });
            const { stack, calls } = fakeStack();
            const result = await runMain(["up", "zz-shared"], { run, open: async () => stack, env: { PATH: binWith("kubectl"), KUBECONFIG: kubeconfig } });
            assert.equal(result.code, 1);
            assert.match(result.err, /stack zz-shared cannot go on context ctx-a: it would create namespaces that are already there/);
            assert.match(result.err, /namespace istio-system belongs to the lab of stack dev/);
            assert.match(
                result.err,
                /namespace online-boutique is no lab's: another install, or a leftover; if nothing else needs it: kubectl --context ctx-a delete namespace online-boutique/,
            );
            assert.deepEqual(calls, [], "the engine never started");
        });

        it("lets a preview show it as a warning", async () => {
            const run = tools({
                ...PULUMI,
                "kubectl --context ctx-a get namespace": nsList({ metadata: { name: "istio-system", labels: { "boutique-mesh.io/stack": "dev" } } }),
            });
            const { stack, calls } = fakeStack();
            const result = await runMain(["preview", "zz-shared"], { run, open: async () => stack, env: { PATH: binWith("kubectl"), KUBECONFIG: kubeconfig } });
            assert.equal(result.code, 0);
            assert.match(result.notes, /warning: stack zz-shared cannot go on context ctx-a/);
            assert.equal(calls[0].method, "preview");
        });

        it("stops an up at an Istio whose CRDs lack v1 over Istio CRDs that store it, naming them and what to do", async () => {
            fs.writeFileSync(path.join(PROJECT_DIR, "Pulumi.zz-shared.yaml"), "config:\n  boutique-mesh:istio:\n    version: 1.20.8\n");
            const crds = (stored: Record<string, string[]>) =>
                JSON.stringify({ items: Object.entries(stored).map(([name, storedVersions]) => ({ metadata: { name }, status: { storedVersions } })) });
            const leftovers = {
                "virtualservices.networking.istio.io": ["v1beta1", "v1"],
                "telemetries.telemetry.istio.io": ["v1alpha1"],
                "widgets.example.com": ["v1"],
            };
            const run = tools({
                ...PULUMI,
                "kubectl --context ctx-a get namespace": nsList(),
                "kubectl --context ctx-a get customresourcedefinitions": crds(leftovers),
            });
            const { stack, calls } = fakeStack();
            const env = { PATH: binWith("kubectl"), KUBECONFIG: kubeconfig };
            const result = await runMain(["up", "zz-shared"], { run, open: async () => stack, env });
            assert.equal(result.code, 1);
            assert.match(result.err, /Istio 1\.20\.8 cannot take over the Istio CRDs on the cluster: virtualservices\.networking\.istio\.io store v1/);
            assert.match(result.err, /kubectl --context ctx-a delete customresourcedefinitions virtualservices\.networking\.istio\.io$/m);
            assert.deepEqual(calls, [], "the engine never started");
            // Istio 1.22 and later define v1: the same CRDs are theirs to take over.
            fs.writeFileSync(path.join(PROJECT_DIR, "Pulumi.zz-shared.yaml"), "config:\n  boutique-mesh:istio:\n    version: 1.25.5\n");
            const newer = await runMain(["up", "zz-shared"], { run, open: async () => fakeStack().stack, env });
            assert.equal(newer.code, 0, newer.err);
        });

        it("stops up on cluster-scoped objects its charts would create that another lab or install left, saying whose and how to clear them", async () => {
            const leftovers = JSON.stringify({
                kind: "List",
                items: [
                    { kind: "MutatingWebhookConfiguration", metadata: { name: "istio-sidecar-injector" } },
                    { kind: "ClusterRole", metadata: { name: "istiod-clusterrole-istio-system" } },
                    { kind: "ClusterRole", metadata: { name: "prometheus", labels: { "boutique-mesh.io/stack": "dev" } } },
                    { kind: "ClusterRole", metadata: { name: "cert-manager-controller" } },
                ],
            });
            const run = tools({
                ...PULUMI,
                "kubectl --context ctx-a get namespace": nsList(),
                "kubectl --context ctx-a get clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations -o json": leftovers,
            });
            const { stack, calls } = fakeStack();
            const env = { PATH: binWith("kubectl"), KUBECONFIG: kubeconfig };
            const result = await runMain(["up", "zz-shared"], { run, open: async () => stack, env });
            assert.equal(result.code, 1);
            assert.match(result.err, /stack zz-shared would create cluster-scoped objects that are already there/);
            assert.match(result.err, /MutatingWebhookConfiguration istio-sidecar-injector is no lab's: another Istio or addon install, or a leftover/);
            assert.match(result.err, /ClusterRole prometheus belongs to the lab of stack dev/);
            assert.doesNotMatch(result.err, /cert-manager/, "only what the lab's charts create");
            assert.match(result.err, /^ {2}kubectl --context ctx-a delete clusterroles istiod-clusterrole-istio-system prometheus$/m);
            assert.match(result.err, /^ {2}kubectl --context ctx-a delete mutatingwebhookconfigurations istio-sidecar-injector$/m);
            assert.deepEqual(calls, [], "the engine never started");
            // The same objects in the stack's own state are its own.
            const state = [
                {
                    urn: "urn:x::a",
                    type: "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
                    outputs: { metadata: { name: "istio-sidecar-injector" } },
                },
                {
                    urn: "urn:x::b",
                    type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
                    outputs: { metadata: { name: "istiod-clusterrole-istio-system" } },
                },
                { urn: "urn:x::c", type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", inputs: { metadata: { name: "prometheus" } } },
            ];
            const own = fakeStack(state);
            const again = await runMain(["up", "zz-shared"], { run, open: async () => own.stack, env });
            assert.equal(again.code, 0, again.err);
        });

        it("is no conflict where the namespaces are the stack's own", async () => {
            const state = [
                { urn: "urn:x::lab-mesh-namespace", type: "kubernetes:core/v1:Namespace", outputs: { metadata: { name: "istio-system" } } },
                { urn: "urn:x::lab-boutique-namespace", type: "kubernetes:core/v1:Namespace", outputs: { metadata: { name: "online-boutique" } } },
            ];
            const run = tools({
                ...PULUMI,
                "kubectl --context ctx-a get namespace": nsList({ metadata: { name: "istio-system" } }, { metadata: { name: "online-boutique" } }),
            });
            const { stack, calls } = fakeStack(state);
            const result = await runMain(["up", "zz-shared"], { run, open: async () => stack, env: { PATH: binWith("kubectl"), KUBECONFIG: kubeconfig } });
            assert.equal(result.code, 0, result.err);
            assert.equal(calls[0].method, "up");
        });

        it("stops an up whose current context moved since the last up, saying how to stay or move", async () => {
            const state = [{ urn: providerUrn, type: "pulumi:providers:kubernetes", inputs: { context: "ctx-b" } }];
            const run = tools({ ...PULUMI });
            const { stack, calls } = fakeStack(state);
            const result = await runMain(["up", "zz-shared"], { run, open: async () => stack, env: { PATH: "", KUBECONFIG: kubeconfig } });
            assert.equal(result.code, 1);
            assert.match(result.err, /stack zz-shared was brought up on context ctx-b, and the current context is now ctx-a: an up would move the lab/);
            assert.match(result.err, /kubectl config use-context ctx-b/);
            assert.deepEqual(calls, []);
            const down = fakeStack(state);
            const result2 = await runMain(["down", "zz-shared"], { run, open: async () => down.stack, env: { PATH: "", KUBECONFIG: kubeconfig } });
            assert.equal(result2.code, 0);
            assert.match(result2.notes, /zz-shared: down on context ctx-b, where its last up ran/);
        });
    });
});
