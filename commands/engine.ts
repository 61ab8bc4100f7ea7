/**
 * The lab's engine runs on the Pulumi Automation API: the project folder's Pulumi.yaml and stack files,
 * the program run in this process (an inline program, so no Node.js language plugin is needed), the
 * engine's progress streamed, and one line with the engine's own change counts after every run.
 */
import { EngineEvent, LocalProgramArgs, LocalWorkspace, LocalWorkspaceOptions, OpMap, OutputMap, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { PROGRAM, PROJECT_DIR } from "../config/project";

/** What `npm run lab` asks of the engine. */
export const ENGINE_COMMANDS = ["up", "preview", "refresh", "down"] as const;
export type EngineCommand = (typeof ENGINE_COMMANDS)[number];

/**
 * The program as an inline Pulumi function: index.ts required afresh (a second stack in the same run
 * must not reuse the first one's module), its exports the stack's outputs, as the CLI's Node.js host
 * would export them.
 */
export function inlineProgram(program = PROGRAM): PulumiFn {
    return () => {
        delete require.cache[program];
        // A fresh require per run: import() would answer from the ES module cache, which nothing clears.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return Promise.resolve({ ...(require(program) as Record<string, unknown>) });
    };
}

/** The parts of an Automation API stack the lab uses: the seam its specs stand in for. */
export type LabStack = Pick<Stack, "up" | "preview" | "refresh" | "destroy" | "outputs" | "exportStack"> & {
    workspace: Pick<Stack["workspace"], "removeStack">;
};

/**
 * The stack in the project folder (its Pulumi.yaml and Pulumi.<stack>.yaml), created on first use,
 * with the inline program on the workspace: refresh and destroy take it from there, up and preview
 * are given it as well.
 */
export function openStack(
    stackName: string,
    envVars: Record<string, string>,
    program: PulumiFn = inlineProgram(),
    select: (args: LocalProgramArgs, opts: LocalWorkspaceOptions) => Promise<Stack> = (args, opts) => LocalWorkspace.createOrSelectStack(args, opts),
): Promise<Stack> {
    return select({ stackName, workDir: PROJECT_DIR }, { envVars, program });
}

/**
 * How many resource steps the engine runs at once. Its default is four per CPU (pulumi/pulumi v3.248.0
 * pkg/cmd/pulumi/operations/up.go, defaultParallel: GOMAXPROCS × 4), 8 on a 2-core laptop, and a step
 * holds its slot while the provider waits on the cluster (a Deployment until Available), not while it
 * computes: with 8, a first up spent most of its time queued behind waits. One slot per resource of a
 * lab (about 110) lets every step start when its dependencies are done; the API server sees at most
 * the provider's own client limits (pulumi-kubernetes v4.25.0 provider/pkg/provider/provider.go, Configure: burst 120, 50 requests a second).
 */
export const ENGINE_PARALLEL = 128;

/** The five counts the lab reports. */
export interface ChangeCounts {
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
}

/**
 * The engine's operation counts in the lab's five. A replacement runs as three steps
 * (create-replacement, replace, delete-replaced); the engine counts only the logical one, `replace`
 * (pulumi/pulumi v3.248.0 pkg/resource/deploy/step.go: CreateStep and DeleteStep are not Logical()
 * when replacing; pkg/engine/update.go counts Logical() steps only), so the three are never added up:
 * whichever is reported is the number of replacements. Other operations (read, import, discard) are
 * not among the five.
 */
export function changeCounts(ops: OpMap = {}): ChangeCounts {
    const n = (key: keyof OpMap) => ops[key] ?? 0;
    return {
        create: n("create"),
        update: n("update"),
        replace: Math.max(n("replace"), n("create-replacement"), n("delete-replaced")),
        delete: n("delete"),
        same: n("same"),
    };
}

/** The one line a run ends with; scripts (the real-engine e2e) parse it, so its shape is fixed. */
export function changeLine(stack: string, command: EngineCommand, ops: OpMap | undefined): string {
    const c = changeCounts(ops);
    return `lab: ${stack} ${command}: create=${c.create} update=${c.update} replace=${c.replace} delete=${c.delete} same=${c.same}`;
}

/** Where a run writes: the engine's progress, then the lab's lines. */
export interface RunOutput {
    progress: (text: string) => void;
    line: (text: string) => void;
}

export const consoleOutput: RunOutput = {
    progress: (text) => process.stdout.write(text),
    line: (text) => process.stdout.write(`${text}\n`),
};

/** Runs one engine command on a stack; returns the stack's outputs after `up`. */
export async function runEngine(
    command: EngineCommand,
    stackName: string,
    stack: LabStack,
    options: {
        program?: PulumiFn;
        replace?: string[];
        out?: RunOutput;
        policy?: { packs: string[]; configs: string[] };
        /** Every engine event, as it arrives (commands/timings.ts times the steps with it). */
        onEvent?: (event: EngineEvent) => void;
    } = {},
): Promise<OutputMap | undefined> {
    const out = options.out ?? consoleOutput;
    // The change line starts on a line of its own even when the progress did not end one.
    let lastChar = "\n";
    const onOutput = (text: string) => {
        if (text.length > 0) lastChar = text[text.length - 1];
        out.progress(text);
    };
    const report = (ops: OpMap | undefined) => out.line(`${lastChar === "\n" ? "" : "\n"}${changeLine(stackName, command, ops)}`);
    const program = options.program ?? inlineProgram();
    const replace = options.replace?.length ? { replace: options.replace } : {};
    const onEvent = options.onEvent;
    switch (command) {
        case "up": {
            const result = await stack.up({ onOutput, onEvent, parallel: ENGINE_PARALLEL, color: "auto", program, ...replace });
            report(result.summary.resourceChanges);
            return result.outputs;
        }
        case "preview": {
            const policy = options.policy ? { policyPacks: options.policy.packs, policyPackConfigs: options.policy.configs } : {};
            const result = await stack.preview({ onOutput, onEvent, parallel: ENGINE_PARALLEL, color: "auto", diff: true, program, ...replace, ...policy });
            report(result.changeSummary);
            return undefined;
        }
        case "refresh": {
            const result = await stack.refresh({ onOutput, onEvent, parallel: ENGINE_PARALLEL, color: "auto" });
            report(result.summary.resourceChanges);
            return undefined;
        }
        case "down": {
            const result = await stack.destroy({ onOutput, onEvent, parallel: ENGINE_PARALLEL, color: "auto" });
            report(result.summary.resourceChanges);
            // The stack file is the user's source: only the stack's state goes.
            await stack.workspace.removeStack(stackName, { preserveConfig: true });
            out.line(`lab: ${stackName} is down; its stack is removed, Pulumi.${stackName}.yaml is kept`);
            return undefined;
        }
    }
}
