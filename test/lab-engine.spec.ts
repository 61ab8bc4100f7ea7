import * as assert from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { LocalProgramArgs, LocalWorkspaceOptions, OpMap, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { PROGRAM, PROJECT_DIR } from "../config/project";
import { LabStack, RunOutput, changeCounts, changeLine, inlineProgram, openStack, runEngine } from "../commands/engine";
import { parseLabArgs } from "../commands/lab";

/** A stand-in for an Automation API stack: records what the lab asked of it, answers as the engine would. */
function fakeStack(ops: OpMap = { create: 3, same: 2 }) {
    const calls: { method: string; opts: Record<string, unknown> | undefined; args?: unknown[] }[] = [];
    const summary = { resourceChanges: ops } as Awaited<ReturnType<Stack["up"]>>["summary"];
    const stack = {
        up: async (opts?: Record<string, unknown>) => {
            calls.push({ method: "up", opts });
            (opts?.onOutput as (s: string) => void)?.("Updating (dev)\n+ 3 created");
            return { stdout: "", stderr: "", summary, outputs: { scenario: { value: "baseline", secret: false } } };
        },
        preview: async (opts?: Record<string, unknown>) => (calls.push({ method: "preview", opts }), { stdout: "", stderr: "", changeSummary: ops }),
        refresh: async (opts?: Record<string, unknown>) => (calls.push({ method: "refresh", opts }), { stdout: "", stderr: "", summary }),
        destroy: async (opts?: Record<string, unknown>) => (calls.push({ method: "destroy", opts }), { stdout: "", stderr: "", summary }),
        outputs: async () => ({}),
        exportStack: async () => ({ version: 3, deployment: {} }),
        workspace: { removeStack: async (...args: unknown[]) => void calls.push({ method: "removeStack", opts: undefined, args }) },
    };
    return { stack: stack as unknown as LabStack, calls };
}

function recorder(): RunOutput & { text: () => string } {
    const parts: string[] = [];
    return { progress: (t) => void parts.push(t), line: (t) => void parts.push(`${t}\n`), text: () => parts.join("") };
}

describe("lab engine: the Automation API runs of npm run lab", () => {
    describe("the program runs in this process", () => {
        it("requires the program afresh on every run and returns its exports as the stack's outputs", async () => {
            const dir = scratch("inline-");
            const file = path.join(dir, "program.js");
            fs.writeFileSync(file, "globalThis.__labRuns = (globalThis.__labRuns ?? 0) + 1;\nexports.run = globalThis.__labRuns;\n");
            const program = inlineProgram(file);
            assert.deepEqual(await program(), { run: 1 });
            assert.deepEqual(await program(), { run: 2 }, "a second stack in the same process evaluates the program again");
            delete (globalThis as Record<string, unknown>).__labRuns;
        });

        it("opens the stack in the project folder, so Pulumi.yaml and Pulumi.<stack>.yaml are the project's, with the program on the workspace", async () => {
            const seen: { args?: LocalProgramArgs; opts?: LocalWorkspaceOptions } = {};
            const program: PulumiFn = async () => ({});
            await openStack("dev", { PULUMI_BACKEND_URL: "file:///tmp/x" }, program, async (args, opts) => {
                Object.assign(seen, { args, opts });
                return {} as Stack;
            });
            assert.deepEqual(seen.args, { stackName: "dev", workDir: PROJECT_DIR });
            assert.equal(seen.opts?.program, program, "refresh and destroy take the inline program from the workspace");
            assert.deepEqual(seen.opts?.envVars, { PULUMI_BACKEND_URL: "file:///tmp/x" });
            assert.equal(PROGRAM, path.join(PROJECT_DIR, "index.ts"), "the program is the project's index.ts, as plain `pulumi up` runs it");
        });

        it("hands up and preview the inline program", async () => {
            const { stack, calls } = fakeStack();
            const program: PulumiFn = async () => ({});
            await runEngine("up", "dev", stack, { program, out: recorder() });
            await runEngine("preview", "dev", stack, { program, out: recorder() });
            assert.equal(calls[0].method, "up");
            assert.equal(calls[0].opts?.program, program);
            assert.equal(calls[1].method, "preview");
            assert.equal(calls[1].opts?.program, program);
            assert.equal(calls[1].opts?.diff, true);
            for (const call of calls) assert.equal(typeof call.opts?.onOutput, "function", "progress streams");
        });
    });

    describe("preview with the policy pack", () => {
        it("takes --policy (the stack's own policy config) or --policy-config FILE, with preview only", () => {
            assert.deepEqual(parseLabArgs(["preview", "dev", "--policy"]), { command: "preview", stacks: ["dev"], policy: {} });
            const file = path.join(scratch("policy-"), "broken.json");
            fs.writeFileSync(file, "{}");
            assert.deepEqual(parseLabArgs(["preview", "--policy-config", file, "dev"]), { command: "preview", stacks: ["dev"], policy: { file } });
            assert.throws(() => parseLabArgs(["up", "dev", "--policy"]), /--policy and --policy-config go with preview/);
            assert.throws(() => parseLabArgs(["preview", "dev", "--policy-config"]), /--policy-config: needs a value/);
            assert.throws(
                () => parseLabArgs(["preview", "dev", "--policy-config", "/nonexistent/p.json"]),
                /--policy-config: no such file: \/nonexistent\/p.json/,
            );
            assert.equal(parseLabArgs(["preview", "dev"]).policy, undefined);
        });

        it("hands the engine the pack and its config", async () => {
            const { stack, calls } = fakeStack();
            await runEngine("preview", "dev", stack, { out: recorder(), policy: { packs: ["/p/policy"], configs: ["/p/dev.json"] } });
            assert.deepEqual(calls[0].opts?.policyPacks, ["/p/policy"]);
            assert.deepEqual(calls[0].opts?.policyPackConfigs, ["/p/dev.json"]);
            await runEngine("preview", "dev", stack, { out: recorder() });
            assert.equal(calls[1].opts?.policyPacks, undefined, "no pack unless asked");
        });
    });

    describe("refresh", () => {
        it("is a command of npm run lab, for one stack or all", () => {
            assert.deepEqual(parseLabArgs(["refresh", "dev"]), { command: "refresh", stacks: ["dev"] });
            assert.equal(parseLabArgs(["refresh", "--all"]).stacks.length > 1, true);
        });

        it("refreshes the stack's state from the cluster", async () => {
            const { stack, calls } = fakeStack({ same: 40, update: 1 });
            const out = recorder();
            await runEngine("refresh", "canary", stack, { out });
            assert.deepEqual(
                calls.map((c) => c.method),
                ["refresh"],
            );
            assert.match(out.text(), /^lab: canary refresh: create=0 update=1 replace=0 delete=0 same=40$/m);
        });
    });

    describe("down", () => {
        it("destroys, then removes the stack's state but never its stack file", async () => {
            const { stack, calls } = fakeStack({ delete: 60 });
            const out = recorder();
            await runEngine("down", "dev", stack, { out });
            assert.deepEqual(
                calls.map((c) => c.method),
                ["destroy", "removeStack"],
            );
            // `pulumi stack rm` deletes Pulumi.<stack>.yaml unless told --preserve-config
            // (@pulumi/pulumi 3.248.0 automation/localWorkspace.js removeStack).
            assert.deepEqual(calls[1].args, ["dev", { preserveConfig: true }]);
            assert.match(out.text(), /lab: dev is down; its stack is removed, Pulumi\.dev\.yaml is kept/);
        });
    });

    describe("the change line", () => {
        it("is exactly `lab: <stack> <command>: create= update= replace= delete= same=`", () => {
            assert.equal(changeLine("dev", "up", { create: 58, same: 1 }), "lab: dev up: create=58 update=0 replace=0 delete=0 same=1");
            assert.equal(changeLine("fault-delay", "down", { delete: 60 }), "lab: fault-delay down: create=0 update=0 replace=0 delete=60 same=0");
            assert.equal(changeLine("dev", "preview", undefined), "lab: dev preview: create=0 update=0 replace=0 delete=0 same=0");
        });

        it("counts a replacement once, under whichever name the engine reports it", () => {
            assert.equal(changeCounts({ replace: 2 }).replace, 2);
            assert.equal(changeCounts({ "create-replacement": 2 }).replace, 2);
            assert.equal(changeCounts({ "delete-replaced": 1 }).replace, 1);
            assert.equal(changeCounts({ replace: 2, "create-replacement": 2, "delete-replaced": 2 }).replace, 2, "three steps of the same replacements");
            assert.deepEqual(changeCounts({ read: 3, refresh: 1, same: 1 }), { create: 0, update: 0, replace: 0, delete: 0, same: 1 });
        });

        it("follows every up, preview, refresh and down, on a line of its own, from the engine's own summary", async () => {
            const ops = { create: 3, update: 1, replace: 1, delete: 2, same: 7 };
            for (const command of ["up", "preview", "refresh", "down"] as const) {
                const { stack } = fakeStack(ops);
                const out = recorder();
                await runEngine(command, "dev", stack, { out });
                assert.match(out.text(), new RegExp(`^lab: dev ${command}: create=3 update=1 replace=1 delete=2 same=7$`, "m"), command);
            }
            const { stack } = fakeStack(ops);
            const out = recorder();
            await runEngine("up", "dev", stack, { out });
            assert.match(out.text(), /\+ 3 created\nlab: dev up:/, "after progress that did not end its line");
        });
    });
});
