/**
 * A classroom of ten shops (boutique-mesh:shops) on the real engine and a real API server, beside one shop on
 * the same control plane: the single lab's cycle first (first up, no-op up, a switch, down), then the class's
 * (first up, no-op up, one shop's switch, one shop removed, down), so the two sets of figures come from the same
 * machine at nearly the same moment. What changed is read from the API server (every object's resourceVersion
 * before and after) and from the engine's counts, which are compared with the offline diff.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { Evaluation, evaluateStack, isComponent } from "../mocks/evaluate";
import { ObjectKey, VOLATILE, lastingObjects, objectVersions } from "./cluster";
import { printFigures } from "./figures";
import { Run } from "./harness";
import { Changes, predictedChanges, setStackConfig } from "./project";

const SHOPS = Array.from({ length: 10 }, (_, i) => `shop-${String(i + 1).padStart(2, "0")}`);
const SWITCHED = "shop-05";
const REMOVED = "shop-10";
/** The switch both labs make: the fault-delay scenario, on the single lab and on one shop of the class. */
const SWITCH_TO = "fault-delay";
/** The issue's goals for a class of ten against one shop (not asserted: figures, printed beside the ratios). */
const GOALS: Record<string, number> = { "no-op up": 2, "one-shop switch": 1.5 };

/** Objects that change by themselves (leases, events, and the nodes kwok's heartbeats update): no step's doing. */
const changesByItself = (key: ObjectKey) => VOLATILE.test(key) || key.startsWith("v1 Node ");

let run: Run;
let clean: ObjectKey[];
/** Seconds per phase, for one shop and for the class. */
const seconds: Record<"one shop" | "ten shops", Record<string, number>> = { "one shop": {}, "ten shops": {} };

const objects = (): Promise<ObjectKey[]> => lastingObjects(run.plane.api);

async function lab(lab: "one shop" | "ten shops", phase: string, ...args: string[]): Promise<Changes> {
    const result = await run.step(`${lab}: ${phase}`, args);
    seconds[lab][phase] = result.seconds;
    return result.changes;
}

const classFile = () => path.join(run.lab.dir, "Pulumi.classroom.yaml");
const evaluateClass = (): Promise<Evaluation> => evaluateStack("classroom", classFile());
function setShops(shops: { name: string; scenario?: string }[]): void {
    setStackConfig(classFile(), { "boutique-mesh:shops": shops });
}

/** Every object whose resourceVersion differs between two snapshots, or that is in only one of them. */
function changedObjects(before: Map<ObjectKey, string>, after: Map<ObjectKey, string>): ObjectKey[] {
    const keys = new Set([...before.keys(), ...after.keys()]);
    return [...keys].filter((k) => !changesByItself(k) && before.get(k) !== after.get(k)).sort();
}

/**
 * The namespace each cluster-scoped IPAddress belongs to: the Service whose ClusterIP it holds (its parentRef;
 * Kubernetes 1.33+ allocates ClusterIPs as IPAddress objects).
 */
async function ipAddressOwners(): Promise<Map<ObjectKey, string>> {
    const list = await run.plane.api.get("/apis/networking.k8s.io/v1/ipaddresses");
    return new Map((list.items as any[]).map((ip) => [`networking.k8s.io/v1 IPAddress ${ip.metadata.name}`, String(ip.spec?.parentRef?.namespace)] as const));
}

/** An object of a namespace, the namespace itself, or an IPAddress of one of its Services. */
const inNamespace = (namespace: string, owners: Map<ObjectKey, string>) => (key: ObjectKey) =>
    key.includes(` ${namespace}/`) || key === `v1 Namespace ${namespace}` || owners.get(key) === namespace;

async function virtualService(namespace: string, name: string): Promise<any> {
    return run.plane.api.get(`/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices/${name}`);
}

describe("a classroom of ten shops on the real engine and a real API server, beside one shop", function () {
    before(async function () {
        this.timeout(90 * 60_000);
        run = await Run.start("classroom");
        clean = await objects();
    });

    after(async function () {
        this.timeout(120_000);
        if (!run) return;
        printFigures(run);
        printComparison();
        await run.stop();
    });

    it(`one shop (dev): first up, no-op up, a switch to ${SWITCH_TO}, down; nothing left`, async () => {
        await lab("one shop", "first up", "up", "dev");
        const noop = await lab("one shop", "no-op up", "up", "dev");
        assert.deepEqual({ ...noop, same: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 });
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", SWITCH_TO, "--stack", "dev"]);
        await lab("one shop", "one-shop switch", "up", "dev");
        await lab("one shop", "down", "down", "dev");
        assert.deepEqual(
            (await objects()).filter((o) => !clean.includes(o)),
            [],
            "objects left after the single lab's down",
        );
    });

    it("up a class of ten: one Istio, one ingress gateway, one set of addons; each shop's Boutique Available in its namespace, reached by its host alone", async () => {
        setShops(SHOPS.map((name) => ({ name })));
        const changes = await lab("ten shops", "first up", "up", "classroom");
        assert.ok(changes.create > 10 * 45, `created ${changes.create}`);
        const deployments = (await run.plane.api.get("/apis/apps/v1/deployments")).items as any[];
        assert.deepEqual(
            deployments.filter((d) => d.metadata.name === "istiod" || d.metadata.name === "istio-ingressgateway").map((d) => d.metadata.namespace),
            ["istio-system", "istio-system"],
            "one istiod and one ingress gateway",
        );
        for (const shop of SHOPS) {
            const own = deployments.filter((d) => d.metadata.namespace === shop);
            assert.equal(own.length, 12, `${shop}: the twelve Deployments`);
            for (const d of own) assert.ok((d.status?.availableReplicas ?? 0) >= d.spec.replicas, `${shop}/${d.metadata.name} Available`);
            const namespace = await run.plane.api.get(`/api/v1/namespaces/${shop}`);
            assert.equal(namespace.metadata.labels["istio-injection"], "enabled");
            assert.equal(namespace.metadata.labels["boutique-mesh.io/shop"], shop);
            // The real CRD accepted each shop's routes as declared: its host alone, exported no wider than the ingress needs.
            const ingress = await virtualService(shop, "frontend-ingress");
            assert.deepEqual(ingress.spec.hosts, [`${shop}.localhost`]);
            assert.deepEqual(ingress.spec.exportTo, [".", "istio-system"]);
            assert.deepEqual((await virtualService(shop, "frontend")).spec.exportTo, ["."]);
        }
    });

    it("a no-op up of the class: nothing to change", async () => {
        const noop = await lab("ten shops", "no-op up", "up", "classroom");
        assert.deepEqual({ ...noop, same: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 });
    });

    it(`switches ${SWITCHED} to ${SWITCH_TO}: the engine does what the offline diff predicts, and on the API server only ${SWITCHED}'s objects change`, async () => {
        const from = await evaluateClass();
        const before = await objectVersions(run.plane.api);
        const owners = await ipAddressOwners();
        setShops(SHOPS.map((name) => (name === SWITCHED ? { name, scenario: SWITCH_TO } : { name })));
        const changes = await lab("ten shops", "one-shop switch", "up", "classroom");
        const { same: _same, ...engine } = changes;
        assert.deepEqual(engine, predictedChanges(from, await evaluateClass()));
        const changed = changedObjects(before, await objectVersions(run.plane.api));
        assert.ok(changed.length > 0, "the switch changed something");
        assert.deepEqual(
            changed.filter((k) => !inNamespace(SWITCHED, owners)(k)),
            [],
            `objects outside ${SWITCHED} changed`,
        );
        const delay = await virtualService(SWITCHED, "recommendationservice");
        assert.equal(delay.spec.http[0].fault.delay.fixedDelay, "5s");
    });

    it(`removes ${REMOVED}: its Shop, namespace and objects go, nothing else changes`, async () => {
        const from = await evaluateClass();
        const before = await objectVersions(run.plane.api);
        const owners = await ipAddressOwners();
        setShops(SHOPS.filter((name) => name !== REMOVED).map((name) => (name === SWITCHED ? { name, scenario: SWITCH_TO } : { name })));
        const changes = await lab("ten shops", "remove one shop", "up", "classroom");
        // The offline diff counts what the engine creates; the engine also deletes the shop's four components.
        const components = from.resources.filter((r) => isComponent(r.type) && r.name.startsWith(`lab-shop-${REMOVED}`)).length;
        assert.equal(components, 4, "a Shop with its Boutique, Ingress and Traffic");
        const expected = predictedChanges(from, await evaluateClass());
        assert.deepEqual({ ...changes, same: 0 }, { ...expected, delete: expected.delete + components, same: 0 });
        const changed = changedObjects(before, await objectVersions(run.plane.api));
        assert.ok(changed.includes(`v1 Namespace ${REMOVED}`), "the shop's namespace is gone");
        assert.equal(changed.filter((k) => owners.get(k) === REMOVED).length, 11, "the ClusterIPs of its eleven Services are released");
        assert.deepEqual(
            changed.filter((k) => !inNamespace(REMOVED, owners)(k)),
            [],
            `objects outside ${REMOVED} changed`,
        );
        assert.equal((await run.plane.api.request("GET", `/api/v1/namespaces/${REMOVED}`)).status, 404);
    });

    it("down the class: nothing of it is left on the API server", async () => {
        const changes = await lab("ten shops", "down", "down", "classroom");
        assert.ok(changes.delete > 9 * 45, `deleted ${changes.delete}`);
        assert.deepEqual(
            (await objects()).filter((o) => !clean.includes(o)),
            [],
            "objects left after the class's down",
        );
    });
});

/** One shop's seconds beside the class's, their ratio and the issue's goal where it sets one. */
function printComparison(): void {
    const cell = (v?: number) => (v === undefined ? "-" : v.toFixed(1)).padStart(9);
    const lines = [
        "",
        "classroom: seconds of `npm run lab`, one shop (dev) and a class of ten on the same control plane",
        "",
        "phase                one shop  ten shops    ratio   goal",
    ];
    for (const phase of ["first up", "no-op up", "one-shop switch", "down"]) {
        const one = seconds["one shop"][phase];
        const ten = seconds["ten shops"][phase];
        const ratio = one !== undefined && ten !== undefined ? (ten / one).toFixed(2) : "-";
        lines.push(`${phase.padEnd(18)} ${cell(one)}  ${cell(ten)}  ${ratio.padStart(7)}  ${GOALS[phase] !== undefined ? `${GOALS[phase]}x` : ""}`);
    }
    lines.push(`remove one shop    ${cell(undefined)}  ${cell(seconds["ten shops"]["remove one shop"])}`);
    console.log(lines.join("\n"));
}
