/**
 * The lab against the same install done by hand (e2e/by-hand.ts: Helm and kubectl), on one control
 * plane, samples interleaved so that a busy moment of the machine falls on both: figures, not
 * assertions. Each lab command runs as a user runs it (`npm run lab`, start-up and preflight included).
 * Prints the medians and their ratio, then where the lab's time went: the critical path of its last
 * first `up` and `down` (tools/bench/critical-path.ts), and what each wait on it is for.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Timings } from "../commands/timings";
import { describePath } from "../tools/bench/critical-path";
import { ByHand, ByHandPlan, byHandPlan } from "./by-hand";
import { Run } from "./harness";

/** Samples of each measurement; the order of lab and by hand alternates from one to the next. */
const SAMPLES = 2;
const STACK = "dev";

let run: Run;
let plan: ByHandPlan;
let hand: ByHand;
const samples: Record<string, number[]> = {};
const timings: Record<string, Timings> = {};

function record(what: string, seconds: number): void {
    (samples[what] ??= []).push(seconds);
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs a lab command, which must succeed; records its seconds and, when named, its step times. */
async function lab(what: string, args: string[], timed?: string): Promise<void> {
    const file = timed ? path.join(run.dir, `timings-${timed}.json`) : undefined;
    const result = await run.lab.run([...args, ...(file ? ["--timings", file] : [])]);
    assert.equal(result.code, 0, `npm run lab -- ${args.join(" ")} failed:\n${result.output.split("\n").slice(-30).join("\n")}`);
    record(what, result.seconds);
    if (file) timings[timed!] = JSON.parse(fs.readFileSync(file, "utf8")) as Timings;
}

/** The lab's cycle: first up, a no-op up, two scenario switches, down. */
async function labCycle(): Promise<void> {
    await lab("lab: first up", ["up", STACK], "first up");
    await lab("lab: no-op up", ["up", STACK]);
    for (const scenario of ["canary", "baseline"]) {
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", scenario, "--stack", STACK]);
        await lab("lab: scenario switch", ["up", STACK]);
    }
    await lab("lab: down", ["down", STACK], "down");
}

/** Istio's CRDs on the cluster: what Helm keeps after an uninstall. */
async function istioCrds(): Promise<string[]> {
    const list = await run.plane.api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
    return (list.items as { metadata: { name: string } }[]).map((crd) => crd.metadata.name).filter((name) => name.endsWith(".istio.io"));
}

async function handCycle(): Promise<void> {
    record("by hand: install", await hand.install(plan));
    record("by hand: teardown", await hand.teardown(plan, await istioCrds()));
}

describe("benchmark: the lab against the same install by hand", function () {
    before(async function () {
        this.timeout(90 * 60_000);
        run = await Run.start("benchmark");
        plan = await byHandPlan(STACK, path.join(run.lab.dir, `Pulumi.${STACK}.yaml`));
        const tool = (name: string) => path.join(run.tools.find((t) => t.tool === name)!.bin, name);
        const helmHome = path.join(run.dir, "helm");
        const env = {
            ...run.lab.env,
            HELM_CACHE_HOME: path.join(helmHome, "cache"),
            HELM_CONFIG_HOME: path.join(helmHome, "config"),
            HELM_DATA_HOME: path.join(helmHome, "data"),
        };
        hand = new ByHand(path.join(run.dir, "by-hand"), env, { helm: tool("helm"), kubectl: tool("kubectl") }, path.join(run.dir, "by-hand.log"));
    });

    after(async function () {
        this.timeout(120_000);
        if (!run) return;
        printBenchmark();
        await run.stop();
    });

    it(`${SAMPLES} samples of each: the lab's first up, no-op up, scenario switch and down; the install and teardown by hand`, async function () {
        this.timeout(60 * 60_000);
        for (let i = 0; i < SAMPLES; i++) {
            if (i % 2 === 0) {
                await labCycle();
                await handCycle();
            } else {
                await handCycle();
                await labCycle();
            }
        }
        assert.deepEqual(await istioCrds(), [], "both teardowns leave no Istio CRD");
    });
});

function printBenchmark(): void {
    const m = (what: string) => (samples[what] ? median(samples[what]) : undefined);
    const cell = (v?: number) => (v === undefined ? "-" : v.toFixed(1)).padStart(8);
    const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? "-" : (a / b).toFixed(2)).padStart(7);
    const lines = [
        "",
        `benchmark: seconds, median of ${SAMPLES} (every sample: ${run.dir}/benchmark.json)`,
        "",
        "                      lab   by hand    ratio",
    ];
    lines.push(`first up         ${cell(m("lab: first up"))}  ${cell(m("by hand: install"))}  ${ratio(m("lab: first up"), m("by hand: install"))}`);
    lines.push(`down             ${cell(m("lab: down"))}  ${cell(m("by hand: teardown"))}  ${ratio(m("lab: down"), m("by hand: teardown"))}`);
    lines.push(`no-op up         ${cell(m("lab: no-op up"))}`);
    lines.push(`scenario switch  ${cell(m("lab: scenario switch"))}`);
    for (const [what, t] of Object.entries(timings)) {
        lines.push("", `where the lab's last ${what} went: the engine ran ${t.seconds.toFixed(1)} s; its critical path:`, ...describePath(t));
    }
    fs.writeFileSync(path.join(run.dir, "benchmark.json"), JSON.stringify({ samples, timings }, null, 2));
    console.log(lines.join("\n"));
}
