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

    it("counts a step whose event carries no state as a component's", () => {
        const clock = new StepClock(() => 0);
        clock.onEvent({
            sequence: 0,
            timestamp: 0,
            resourcePreEvent: { metadata: { op: "create", urn: LAB, type: "boutique-mesh:index:Lab", provider: "" } },
        });
        assert.equal(clock.steps[0].custom, false);
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

    it("on an up, waits only for a prerequisite: a step that merely ended earlier, or a dependency that ended later, is not it", () => {
        const OTHER = urn("kubernetes:core/v1:ConfigMap", "unrelated");
        const early: Timings = {
            ...up,
            // Listed first and ending last, the shop is where the path ends; the ConfigMap ended just
            // before it started but is nothing the shop depends on. The chart's Service ended only after
            // the shop started: the shop waited for the chart's Deployment (it skips the Service's wait).
            steps: [step(SHOP, 4100, 15_000), step(NS, 1000, 1050), step(ISTIOD, 1100, 4000), step(SVC, 1100, 12_000), step(OTHER, 3000, 4090)],
        };
        assert.deepEqual(
            criticalPath(early).map((p) => p.step.urn),
            [NS, ISTIOD, SHOP],
            "a dependency counts even when it started just before (the namespace, 50 ms before the chart's objects)",
        );
        // A prerequisite that ends within the events' slack (300 ms) after the step started still counts.
        assert.deepEqual(
            criticalPath({ ...up, steps: [step(NS, 0, 1300), step(ISTIOD, 1000, 4000)] }).map((p) => p.step.urn),
            [NS, ISTIOD],
        );
        assert.deepEqual(
            criticalPath({ ...up, steps: [step(NS, 0, 1301), step(ISTIOD, 1000, 4000)] }).map((p) => p.step.urn),
            [ISTIOD],
        );
    });

    it("on a down, a step of the same layer that started a little earlier is not what it waited for", () => {
        // Both started within the slack of each other: one layer. The Namespace's layer came after both.
        const steps = [step(SVC, 0, 50, "delete"), step(SHOP, 100, 5000, "delete"), step(NS, 5100, 9000, "delete")];
        assert.deepEqual(
            criticalPath({ ...up, command: "down", steps }).map((p) => p.step.urn),
            [SHOP, NS],
        );
        // A step that started no more than the slack (300 ms) earlier is still of the same layer.
        const layered = [step(SVC, 0, 100, "delete"), step(SHOP, 300, 5000, "delete")];
        assert.deepEqual(
            criticalPath({ ...up, command: "down", steps: layered }).map((p) => p.step.urn),
            [SHOP],
        );
    });

    it("leaves out what has not ended and the providers dropped at the end of a down; nothing ended, no path", () => {
        const provider = "urn:pulumi:dev::boutique-mesh::pulumi:providers:kubernetes::lab-cluster-provider";
        const steps = [step(NS, 0, 9000, "delete"), step(provider, 9000, 9100, "delete"), { ...step(SHOP, 8000, 0, "delete"), end: undefined }];
        assert.deepEqual(
            criticalPath({ ...up, command: "down", steps }).map((p) => p.step.urn),
            [NS],
        );
        assert.deepEqual(criticalPath({ ...up, steps: [{ ...step(NS, 0, 0), end: undefined }] }), []);
    });

    it("says what the provider waits for, per kind and operation", () => {
        const wait = (type: string, op = "create") => whatItWaitsFor({ type: `kubernetes:${type}`, op });
        assert.equal(wait("apps/v1:Deployment"), "until Available with its new pods ready (deployment.go)");
        for (const op of ["delete", "delete-replaced"])
            assert.equal(
                wait("apps/v1:Deployment", op),
                "until it and its pods are gone (foreground deletion, await.go Deletion); none when it goes with its namespace",
            );
        assert.equal(wait("core/v1:Service", "delete"), "until it is gone; none when it goes with its namespace");
        assert.equal(wait("core/v1:Namespace"), "created");
        assert.equal(wait("apiextensions.k8s.io/v1:CustomResourceDefinition"), "created; the API server builds its schema");
        assert.equal(wait("apiextensions.k8s.io/v1:CustomResourceDefinition", "delete"), "until the API server has removed it and its objects");
        for (const kind of ["Mutating", "Validating"]) {
            assert.equal(wait(`admissionregistration.k8s.io/v1:${kind}WebhookConfiguration`), "until istiod has written its CA bundle (pulumi.com/waitFor)");
            assert.equal(wait(`admissionregistration.k8s.io/v1:${kind}WebhookConfiguration`, "delete"), "until it is gone");
        }
        assert.equal(wait("core/v1:ConfigMap"), "no await: done once the API server accepts it");
        assert.equal(wait("core/v1:ConfigMap", "delete"), "until it is gone; none when it goes with its namespace");
    });

    it("leaves components out: they last until everything under them is done", () => {
        assert.ok(!criticalPath(up).some((p) => p.step.urn === LAB));
        assert.equal(criticalPath(up).at(-1)?.step.urn, SHOP, "the path ends with the last object, not the Lab that outlasts it");
    });
});
