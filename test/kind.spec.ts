import { strict as assert } from "assert";
import { COMMAND_BUDGET_MS, extendTimeout } from "./support/runnable";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { KIND_CREATE, KIND_DELETE, KIND_KUBECONFIG } from "../components/cluster/cluster";
import { LabConfigInput } from "../config/schema";
import { DeclaredResource } from "../mocks/evaluate";
import { evaluateConfig } from "./support/lab";

/** A directory of stand-in tools; each logs its arguments to $LOG and runs the given body. */
function fakeTools(tools: Record<string, string>): { bin: string; home: string; log: string } {
    const bin = scratch("kind-bin-");
    const home = scratch("kind-home-");
    const log = path.join(bin, "log");
    for (const [tool, body] of Object.entries(tools)) {
        fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\necho "${tool} $*" >> "$LOG"\n${body}\n`, { mode: 0o755 });
    }
    return { bin, home, log };
}

function runScript(script: string, tools: ReturnType<typeof fakeTools>, env: Record<string, string> = {}) {
    extendTimeout(COMMAND_BUDGET_MS);
    return spawnSync("/bin/bash", ["-c", script], {
        env: { PATH: `${tools.bin}:/usr/bin:/bin`, HOME: tools.home, LOG: tools.log, KIND_CLUSTER: "lab-x", KIND_CONFIG: "kind: Cluster", ...env },
        encoding: "utf8",
    });
}

async function kindLab(kind: LabConfigInput["cluster"] = {}): Promise<Record<string, DeclaredResource>> {
    const lab = await evaluateConfig({ cluster: { kind: { enabled: true, ...(kind as { kind?: object }).kind } } }, "demo");
    return Object.fromEntries(lab.resources.map((r) => [r.name, r]));
}

describe("kind: a cluster of the lab's own", () => {
    describe("changing its settings", () => {
        it("replaces the cluster, the old one deleted first, when its name, host port or node image changes", async () => {
            const base = (await kindLab())["lab-cluster-kind"];
            assert.equal(base.deleteBeforeReplace, true, "the new cluster may need the old one's name and port");
            // pulumi-command v1.2.1 replaces a Command only when `triggers` change; other inputs re-run `create`.
            assert.deepEqual(base.inputs.triggers, [base.inputs.environment.KIND_CLUSTER, base.inputs.environment.KIND_CONFIG]);
            for (const changed of [{ hostPort: 9090 }, { nodeImage: "kindest/node:v1.34.0" }, { name: "other" }]) {
                const next = (await kindLab({ kind: changed }))["lab-cluster-kind"];
                assert.notDeepEqual(next.inputs.triggers, base.inputs.triggers, JSON.stringify(changed));
            }
            const same = (await kindLab())["lab-cluster-kind"];
            assert.deepEqual(same.inputs.triggers, base.inputs.triggers, "an unchanged config keeps its cluster");
        });
    });

    describe("the user's kubeconfig", () => {
        it("is not touched: kind writes the cluster's own file, and the outputs point kubectl at it", () => {
            const tools = fakeTools({ docker: "exit 0", kind: 'if [ "$1 $2" = "get clusters" ]; then exit 0; fi; exit 0' });
            const result = runScript(KIND_CREATE, tools);
            assert.equal(result.status, 0, result.stderr);
            const create = fs
                .readFileSync(tools.log, "utf8")
                .split("\n")
                .find((l) => l.startsWith("kind create cluster"))!;
            assert.match(create, new RegExp(`--kubeconfig ${tools.home}/\\.kube/kind-lab-x\\.yaml`));
            assert.ok(!fs.existsSync(path.join(tools.home, ".kube", "config")));
        });

        it("is not touched when the cluster exists already either, and its file goes with the cluster", () => {
            const tools = fakeTools({ docker: "exit 0", kind: 'if [ "$1 $2" = "get clusters" ]; then echo lab-x; fi; exit 0' });
            assert.equal(runScript(KIND_CREATE, tools).status, 0);
            assert.match(
                fs.readFileSync(tools.log, "utf8"),
                new RegExp(`kind export kubeconfig --name lab-x --kubeconfig ${tools.home}/\\.kube/kind-lab-x\\.yaml`),
            );
            fs.mkdirSync(path.join(tools.home, ".kube"), { recursive: true });
            fs.writeFileSync(path.join(tools.home, ".kube", "kind-lab-x.yaml"), "apiVersion: v1\n");
            assert.equal(runScript(KIND_DELETE, tools).status, 0);
            assert.match(
                fs.readFileSync(tools.log, "utf8"),
                new RegExp(`kind delete cluster --name lab-x --kubeconfig ${tools.home}/\\.kube/kind-lab-x\\.yaml`),
            );
            assert.ok(!fs.existsSync(path.join(tools.home, ".kube", "kind-lab-x.yaml")));
        });

        it("a stack without a context of its own is pinned to the context current at up", async () => {
            const dir = scratch("kubeconfig-");
            const file = path.join(dir, "config");
            fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncurrent-context: ctx-a\ncontexts: [{name: ctx-a, context: {cluster: a}}]\n");
            const saved = process.env.KUBECONFIG;
            process.env.KUBECONFIG = file;
            try {
                const lab = await evaluateConfig();
                const provider = lab.resources.find((r) => r.name === "lab-cluster-provider")!;
                assert.equal(provider.inputs.context, "ctx-a", "destroy reads it from the state, whatever the current context is by then");
                // The SDK records KUBECONFIG's path itself (@pulumi/kubernetes 4.34.2 provider.js); the context it left ambient.
                assert.equal(provider.inputs.kubeconfig, file);
                assert.match(lab.outputs.shopPortForward as string, /^kubectl --context ctx-a /);
                const configured = await evaluateConfig({ cluster: { context: "prod" } });
                assert.equal(configured.resources.find((r) => r.name === "lab-cluster-provider")!.inputs.context, "prod");
            } finally {
                if (saved === undefined) delete process.env.KUBECONFIG;
                else process.env.KUBECONFIG = saved;
            }
        });
    });

    describe("the kubeconfig's client key", () => {
        it("is never logged, never handed to a later run, and secret in the state", async () => {
            const read = (await kindLab())["lab-cluster-kind-kubeconfig"];
            assert.equal(read.inputs.create, KIND_KUBECONFIG);
            // pulumi-command v1.2.1 local/logging.go: stdout is logged unless `logging` excludes it.
            assert.equal(read.inputs.logging, "none");
            assert.equal(read.inputs.addPreviousOutputInEnv, false);
            assert.deepEqual(read.additionalSecretOutputs, ["stdout"]);
        });

        it("reaches stdout only whole: a failed read prints nothing a failure message could carry", () => {
            const failing = fakeTools({ kind: 'printf "apiVersion: v1\\nclient-key-data: SECRET\\n"; exit 1' });
            const failed = runScript(KIND_KUBECONFIG, failing);
            assert.notEqual(failed.status, 0);
            assert.equal(failed.stdout, "");
            const working = fakeTools({ kind: 'printf "apiVersion: v1\\nclient-key-data: KEY\\n"' });
            const ok = runScript(KIND_KUBECONFIG, working);
            assert.equal(ok.status, 0);
            assert.equal(ok.stdout, "apiVersion: v1\nclient-key-data: KEY\n");
        });
    });

    describe("a cluster deleted or stopped outside Pulumi", () => {
        it("does not block refresh or down: the providers drop what an unreachable cluster held", async () => {
            const lab = await kindLab();
            for (const name of ["lab-cluster-provider", "lab-cluster-adopting-provider"]) {
                assert.equal(lab[name].inputs.deleteUnreachable, "true", name);
                assert.equal(lab[name].inputs.clusterIdentifier, "kind-boutique-mesh-demo-lab-cluster-kind-id", "replaced with the cluster, and only then");
            }
        });
    });
});
