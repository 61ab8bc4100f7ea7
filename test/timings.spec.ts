import { strict as assert } from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { StepClock, Timings, stateRelations } from "../commands/timings";
import { criticalPath, describePath, whatItWaitsFor } from "../tools/bench/critical-path";

const urn = (type: string, name: string, parentType = "boutique-mesh:index:Lab") => `urn:pulumi:dev::boutique-mesh::${parentType}$${type}::${name}`;
const NS = urn("kubernetes:core/v1:Namespace", "ns");
const CHART = urn("kubernetes:helm.sh/v4:Chart", "istiod");
const ISTIOD = urn("kubernetes:apps/v1:Deployment", "istiod:istio-system/istiod", "kubernetes:helm.sh/v4:Chart");
const SVC = urn("kubernetes:core/v1:Service", "istiod:istio-system/istiod", "kubernetes:helm.sh/v4:Chart");
const SHOP = urn("kubernetes:apps/v1:Deployment", "frontend");
const LAB = "urn:pulumi:dev::boutique-mesh::boutique-mesh:index:Lab::lab";

function event(kind: "pre" | "outputs" | "failed", op: string, u: string, custom = true, planning?: boolean): EngineEvent {
    const metadata = { op, urn: u, type: u.split("::")[2].split("$").pop()!, provider: "", new: { custom } as never };
    const body =
        kind === "pre"
            ? { resourcePreEvent: { metadata, planning } }
            : kind === "outputs"
              ? { resOutputsEvent: { metadata } }
              : { resOpFailedEvent: { metadata, status: 1, steps: 0 } };
    return { sequence: 0, timestamp: 0, ...body } as EngineEvent;
}

describe("timings: where an engine run's time goes", () => {
    it("times each step from its pre event to its outputs or failure, by URN, skipping a preview's plans", () => {
        let now = 1000;
        const clock = new StepClock(() => now);
        now = 1100;
        clock.onEvent(event("pre", "create", NS));
        clock.onEvent(event("pre", "create", SHOP, true, true));
        now = 1300;
        clock.onEvent(event("pre", "refresh", ISTIOD));
        now = 1600;
        // A refresh step ends with its result as the op.
        clock.onEvent(event("outputs", "same", ISTIOD));
        clock.onEvent(event("outputs", "create", NS));
        now = 1700;
        clock.onEvent(event("pre", "create", LAB, false));
        clock.onEvent(event("failed", "create", LAB));
        assert.deepEqual(clock.steps, [
            { urn: NS, type: "kubernetes:core/v1:Namespace", op: "create", custom: true, start: 100, end: 600 },
            { urn: ISTIOD, type: "kubernetes:apps/v1:Deployment", op: "refresh", custom: true, start: 300, end: 600 },
            { urn: LAB, type: "boutique-mesh:index:Lab", op: "create", custom: false, start: 700, end: 700, failed: true },
        ]);
        assert.equal(clock.elapsed(), 700);
    });

    it("reads dependencies and parents from an exported state", () => {
        const relations = stateRelations({ deployment: { resources: [{ urn: NS }, { urn: ISTIOD, parent: CHART, dependencies: [NS] }] } });
        assert.deepEqual(relations, { dependencies: { [NS]: [], [ISTIOD]: [NS] }, parents: { [ISTIOD]: CHART } });
    });
});

describe("critical path: the chain of waits that ends a run", () => {
    const step = (u: string, start: number, end: number, op = "create", custom = true) => ({
        urn: u,
        type: u.split("::")[2].split("$").pop()!,
        op,
        custom,
        start,
        end,
    });
    // The namespace, then the istiod chart (its objects wait for the chart's dependencies), whose
    // Service ends last of the two; the shop waits for the chart, so for the Service.
    const up: Timings = {
        stack: "dev",
        command: "up",
        seconds: 30,
        steps: [step(LAB, 0, 29_000, "create", false), step(NS, 1000, 1200), step(ISTIOD, 2000, 4000), step(SVC, 2000, 12_000), step(SHOP, 12_100, 15_000)],
        dependencies: { [CHART]: [NS], [SHOP]: [CHART], [NS]: [] },
        parents: { [ISTIOD]: CHART, [SVC]: CHART },
    };

    it("follows each step back to the prerequisite that ended last, through a chart's objects and its dependencies", () => {
        const path = criticalPath(up);
        assert.deepEqual(
            path.map((p) => [p.step.urn, p.gap]),
            [
                [NS, 1000],
                [SVC, 800],
                [SHOP, 100],
            ],
        );
        assert.match(
            describePath(up)[1],
            /at\s+2\.0s\s+after\s+0\.8s\s+took\s+10\.0s\s+create Service istiod:istio-system\/istiod: istiod's \(the webhooks' route\): until its Endpoints stop changing/,
        );
    });

    it("for a down, follows the engine's layers: each step after whichever ended last before it started", () => {
        // The Service does not depend on the shop, yet its layer started only once the shop's had ended.
        const steps = [step(SHOP, 0, 3000, "delete"), step(ISTIOD, 0, 1000, "delete"), step(SVC, 3100, 5000, "delete"), step(NS, 5000, 9000, "delete")];
        const down: Timings = { ...up, command: "down", steps };
        assert.deepEqual(
            criticalPath(down).map((p) => p.step.urn),
            [SHOP, SVC, NS],
        );
        assert.match(whatItWaitsFor({ type: "kubernetes:core/v1:Namespace", op: "delete" }), /namespace controller/);
    });

    it("leaves components out: they last until everything under them is done", () => {
        assert.ok(!criticalPath(up).some((p) => p.step.urn === LAB));
        assert.equal(criticalPath(up).at(-1)?.step.urn, SHOP, "the path ends with the last object, not the Lab that outlasts it");
    });
});
