/**
 * npm run bench: per stack, what it declares, how long an offline evaluation takes (median of 5),
 * and what the lab requests from the cluster. Figures only; goals are printed beside them.
 */
import { performance } from "perf_hooks";
import { readStackFile } from "../../config/stack";
import { diffEvaluations, summarize } from "./diff";
import { Evaluation, evaluateStackConfig } from "../../mocks/evaluate";
import { parseCommand, runAsScript, runCommand } from "../../commands/args";
import { shippedStacks, stackFile } from "../../config/project";
import { Footprint, Requests, footprint } from "./footprint";
import { StackConfig } from "../../config/stack";
import { DependencyGraph } from "./graph";

const RUNS = 5;
/** The dev lab must fit a 4 vCPU / 8 GiB single node with room for the system pods. */
const BUDGET = { cpu: 2500, memory: 4096 };
const EVALUATION_GOAL_MS = 1000;

/** Node counts the data-plane comparison prints: one kind node, a small and a larger cluster. */
const NODE_COUNTS = [1, 3, 10];
/** The stacks compared in both data planes: no in-mesh route (no waypoint), a split, a fault. */
const COMPARED_STACKS = ["dev", "canary", "fault-delay"];
/** Class sizes the classroom figures print: the lab's cost as shops are added to one mesh. */
const CLASS_SIZES = [1, 5, 10, 20, 40];
/** Evaluations per class size (a class of 40 takes seconds each). */
const CLASS_RUNS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pad = (text: string | number, width: number) => String(text).padStart(width);

const USAGE = `usage: npm run bench

Per shipped stack: resources declared, offline evaluation time, CPU and memory requests; then what the
mesh requests for the same shop with sidecars and in ambient, per node count; the changes of switching
the dev lab to each stack, and the longest dependency chain; then a classroom of 1 to 40 shops on one mesh.
Figures only.`;

export function main(argv: string[]): Promise<number> {
    return runCommand("bench", USAGE, argv, async () => {
        parseCommand(argv, {});
        await bench();
        return 0;
    });
}

async function bench(): Promise<void> {
    // One warm-up evaluation loads and compiles the program's modules, which `pulumi up` also pays once.
    await evaluateStackConfig("dev", readStackFile(stackFile("dev")));
    // The stack column fits the longest name.
    const column = Math.max(16, ...shippedStacks().map((s) => s.length));
    console.log(`${"stack".padEnd(column)} resources  eval ms (median of ${RUNS})  CPU requests  memory requests  injected pods`);
    const slow: string[] = [];
    const evaluations = new Map<string, Evaluation>();
    for (const stack of shippedStacks()) {
        const config = readStackFile(stackFile(stack));
        const { last, ms } = await timedEvaluations(stack, config);
        evaluations.set(stack, last);
        const f = footprint(last);
        // A classroom evaluates a shop's worth per shop: its figures per shop are in the classroom table below.
        if (ms >= EVALUATION_GOAL_MS && config.config["boutique-mesh:shops"] === undefined) slow.push(stack);
        console.log(
            `${stack.padEnd(column)} ${pad(last.resources.length, 9)}  ${pad(ms.toFixed(0), 24)}  ${pad(`${f.total.cpu}m`, 12)}  ${pad(`${f.total.memory.toFixed(0)}Mi`, 15)}  ${pad(f.injectedPods, 13)}`,
        );
        if (stack === "dev") {
            const parts = (["workloads", "addons", "sidecars", "istiod", "gateways"] as const)
                .map((k) => `${k} ${f[k].cpu}m/${f[k].memory.toFixed(0)}Mi`)
                .join(", ");
            console.log(`  dev breakdown: ${parts}`);
            const fits = f.total.cpu <= BUDGET.cpu && f.total.memory <= BUDGET.memory;
            console.log(`  goal: dev requests <= ${BUDGET.cpu}m CPU and ${BUDGET.memory}Mi memory: ${fits ? "met" : "MISSED"}`);
        }
    }
    console.log(
        `goal: median evaluation < ${EVALUATION_GOAL_MS} ms for every single-shop stack: ${slow.length === 0 ? "met" : `MISSED by ${slow.join(", ")}`}`,
    );

    await dataPlanes(column);
    await classroom();

    // A switch happens in place: the dev lab takes the other stack file's config and keeps its stack name.
    console.log(`\n${"switch".padEnd(column + 7)} added  changed  removed  replaced`);
    let replaced = 0;
    for (const stack of shippedStacks().filter((s) => s !== "dev")) {
        const switched = await evaluateStackConfig("dev", readStackFile(stackFile(stack)));
        const counts = summarize(diffEvaluations(evaluations.get("dev")!, switched));
        replaced += counts.replaced;
        console.log(`dev -> ${stack.padEnd(column)} ${pad(counts.added, 5)}  ${pad(counts.changed, 7)}  ${pad(counts.removed, 7)}  ${pad(counts.replaced, 8)}`);
    }
    console.log(`goal: replaced = 0 for every switch: ${replaced === 0 ? "met" : "MISSED"}`);

    // Each link is a wait: the engine starts a resource only when the one before it is ready.
    console.log(`\n${"stack".padEnd(column)} longest dependency chain (resources created one after another)`);
    for (const [stack, evaluation] of evaluations) {
        const chain = new DependencyGraph(evaluation).longestChain();
        console.log(`${stack.padEnd(column)} ${pad(chain.length, 2)}: ${chain.join(" -> ")}`);
    }
}

/** A stack file's config with `istio.dataPlane` set, its other `istio` keys kept. */
function withDataPlane(stack: StackConfig, dataPlane: string): StackConfig {
    const key = "boutique-mesh:istio";
    const istio = stack.config[key] === undefined ? {} : (JSON.parse(stack.config[key]) as Record<string, unknown>);
    return { ...stack, config: { ...stack.config, [key]: JSON.stringify({ ...istio, dataPlane }) } };
}

/** What the mesh itself requests: sidecars, or node agents on every node and waypoints. */
const meshRequests = (f: Footprint): Requests => ({
    cpu: f.sidecars.cpu + f.waypoints.cpu + f.nodeAgentsPerNode.cpu * f.nodes,
    memory: f.sidecars.memory + f.waypoints.memory + f.nodeAgentsPerNode.memory * f.nodes,
});
const requests = (r: Requests) => `${r.cpu}m/${r.memory.toFixed(0)}Mi`;

/**
 * The same shop and scenario with sidecars and in ambient: sidecars grow with the pods, ztunnel and cni with
 * the nodes, a waypoint with the namespaces that route inside the mesh.
 */
async function dataPlanes(column: number): Promise<void> {
    console.log(`\ndata planes: what the mesh requests for the same shop (CPU/memory requests; istiod and the gateways are the same in both)`);
    const header = ["sidecar: mesh", "total", "ambient: mesh", "total"].map((h, i) => h.padStart(i % 2 === 0 ? 18 : 14)).join("  ");
    console.log(`${"stack".padEnd(column)} nodes  ${header}  waypoints`);
    let canary: [Footprint, Footprint] | undefined;
    for (const stack of COMPARED_STACKS) {
        const config = readStackFile(stackFile(stack));
        // One evaluation at a time: the mocks hold the program's state.
        const sidecar = await evaluateStackConfig(stack, withDataPlane(config, "sidecar"));
        const ambient = await evaluateStackConfig(stack, withDataPlane(config, "ambient"));
        for (const nodes of NODE_COUNTS) {
            const [s, a] = [footprint(sidecar, nodes), footprint(ambient, nodes)];
            const cells = [requests(meshRequests(s)), requests(s.total), requests(meshRequests(a)), requests(a.total)];
            console.log(
                `${stack.padEnd(column)} ${pad(nodes, 5)}  ${cells.map((c, i) => pad(c, i % 2 === 0 ? 18 : 14)).join("  ")}  ${pad(a.waypointPods, 9)}`,
            );
        }
        if (stack === "canary") canary = [footprint(sidecar), footprint(ambient)];
    }
    const [s, a] = canary!;
    const each = (r: Requests, count: number) => requests({ cpu: r.cpu / count, memory: r.memory / count });
    console.log(
        `  each sidecar ${each(s.sidecars, s.injectedPods)}; in ambient each node ${requests(a.nodeAgentsPerNode)} (cni and ztunnel), each waypoint ${each(a.waypoints, a.waypointPods)}`,
    );
}

/** `runs` evaluations of a stack's config: the last one, and the median time they took. */
async function timedEvaluations(stack: string, config: StackConfig, runs = RUNS): Promise<{ last: Evaluation; ms: number }> {
    const times: number[] = [];
    let last: Evaluation | undefined;
    for (let i = 0; i < runs; i++) {
        const start = performance.now();
        last = await evaluateStackConfig(stack, config);
        times.push(performance.now() - start);
    }
    return { last: last!, ms: median(times) };
}

/** A classroom of `count` shops, shop-01 to shop-<count>, on the stack's scenario (baseline). */
function classOf(count: number): StackConfig {
    const shops = Array.from({ length: count }, (_, i) => ({ name: `shop-${String(i + 1).padStart(2, "0")}` }));
    return { config: { "boutique-mesh:shops": JSON.stringify(shops) }, secretKeys: [] };
}

/**
 * A classroom as it grows: what it declares, how long an evaluation takes (median of 3) and what it requests,
 * per class size; what each added shop costs; and what changing one shop's scenario changes in a class of 10.
 */
async function classroom(): Promise<void> {
    console.log(`\nclassroom: shops on one mesh (baseline each)\nshops  resources  eval ms (median of ${CLASS_RUNS})  CPU requests  memory requests  pods`);
    const rows: { shops: number; last: Evaluation; resources: number; ms: number; f: Footprint }[] = [];
    for (const shops of CLASS_SIZES) {
        const { last, ms } = await timedEvaluations("classroom", classOf(shops), CLASS_RUNS);
        const f = footprint(last);
        rows.push({ shops, last, resources: last.resources.length, ms, f });
        console.log(
            `${pad(shops, 5)}  ${pad(last.resources.length, 9)}  ${pad(ms.toFixed(0), 21)}  ${pad(`${f.total.cpu}m`, 12)}  ${pad(`${f.total.memory.toFixed(0)}Mi`, 15)}  ${pad(f.injectedPods, 4)}`,
        );
    }
    const [first, last] = [rows[0], rows[rows.length - 1]];
    const per = (a: number, b: number) => ((b - a) / (last.shops - first.shops)).toFixed(1);
    console.log(
        `  each added shop: ${per(first.resources, last.resources)} resources, ${per(first.ms, last.ms)} ms of evaluation, ` +
            `${per(first.f.total.cpu, last.f.total.cpu)}m CPU and ${per(first.f.total.memory, last.f.total.memory)}Mi memory requested`,
    );
    const ten = classOf(10);
    const shops = JSON.parse(ten.config["boutique-mesh:shops"]) as { name: string; scenario?: string }[];
    shops[4] = { ...shops[4], scenario: "fault-delay" };
    const counts = summarize(
        diffEvaluations(
            rows.find((row) => row.shops === 10)!.last, // the class of ten, as the table evaluated it
            await evaluateStackConfig("classroom", { ...ten, config: { "boutique-mesh:shops": JSON.stringify(shops) } }),
        ),
    );
    console.log(
        `  class of 10, shop-05 to fault-delay: ${counts.added} added, ${counts.changed} changed, ${counts.removed} removed, ${counts.replaced} replaced`,
    );
}

runAsScript(module, main);
