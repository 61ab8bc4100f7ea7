/**
 * The lab's lifecycle on the real Pulumi engine and a real API server, through `npm run lab` as a user runs
 * it. Every assertion reads what the engine reports (its change summary) or what the API server holds;
 * the program's own predictions (`npm run bench`'s switch table) are only what the engine is compared with.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Evaluation, evaluateStack } from "../mocks/evaluate";
import { lastingObjects } from "./cluster";
import { printFigures } from "./figures";
import { PREVIOUS_DEFAULT_ISTIO, Run, gatewayApiCrdsUrl } from "./harness";
import { gatewayApiVersion } from "../catalog/gateway-api";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { BEFORE_LAYOUT, Changes, hasCommit, predictedChanges, switchProgram } from "./project";
import { policies } from "../policy/policies";
import { shippedStacks } from "../config/project";
import { Timings } from "../commands/timings";

let run: Run;
/** Objects the API server held before the first `up`: what a clean teardown returns to. */
let clean: string[];
const NS = "online-boutique";
/** The up across the outage: its 20 s outage and its own work (20 s seen) with room to spare. */
const OUTAGE_UP_LIMIT_MS = 5 * 60_000;

const objects = (): Promise<string[]> => lastingObjects(run.plane.api);

/** What the last lab command printed. */
let lastOutput = "";

/** Runs a lab command, expects it to succeed, records its figures. */
async function lab(phase: string, ...args: string[]): Promise<Changes> {
    const result = await run.step(phase, args);
    lastOutput = result.output;
    return result.changes;
}

async function deployment(name: string, namespace = NS): Promise<any> {
    return run.plane.api.get(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
}

/** Fails unless every replica of the Deployment is available, saying how many are and why not. */
async function assertAvailable(name: string, namespace = NS): Promise<void> {
    const d = await deployment(name, namespace);
    const availableReplicas = d.status?.availableReplicas ?? 0;
    const condition = (d.status?.conditions ?? []).find((c: any) => c.type === "Available");
    assert.ok(
        availableReplicas >= d.spec.replicas,
        `${namespace}/${name}: ${availableReplicas} of ${d.spec.replicas} replicas available (Available: ${condition?.status} ${condition?.message ?? ""})`,
    );
}

async function istioObject(kind: string, name: string, namespace = NS): Promise<any> {
    const api = await run.plane.api.request("GET", `/apis/networking.istio.io/v1/namespaces/${namespace}/${kind}/${name}`);
    return api.status === 200 ? api.body : undefined;
}

/** The dev stack file as the program reads it, evaluated offline under mocks (what `npm run bench` does). */
function evaluateDev(): Promise<Evaluation> {
    return evaluateStack("dev", path.join(run.lab.dir, "Pulumi.dev.yaml"));
}

/** What the stand-in cni and ztunnel charts render: a ServiceAccount and a DaemonSet each (e2e/charts.ts nodeAgent). */
const NODE_AGENT_STAND_IN_OBJECTS = 2 * 2;

describe("the lab on the real engine and a real API server", function () {
    before(async function () {
        this.timeout(90 * 60_000);
        run = await Run.start("lifecycle");
        clean = await objects();
    });

    after(async function () {
        this.timeout(120_000);
        if (!run) return;
        printFigures(run);
        await run.stop();
        if (this.currentTest?.state !== "failed") process.stderr.write(`e2e: logs in ${run.dir}\n`);
    });

    it("preview of every stack file with the policy pack and the stack's own policy config: no violation", async () => {
        for (const stack of shippedStacks()) {
            const result = await run.lab.run(["preview", stack, "--policy"]);
            assert.equal(result.code, 0, `${stack}: ${result.output.split("\n").slice(-30).join("\n")}`);
            assert.ok(result.changes && result.changes.create > 60, `${stack}: the preview plans the whole lab`);
            assert.match(result.output, /Policy Packs run:\s+Name\s+Version\s+boutique-mesh\|local\|\S+\/policy\s+0\.1\.0/, `${stack}: the pack ran`);
            run.figures.push({ phase: `policy preview ${stack}`, seconds: result.seconds, ...result.changes });
        }
    });

    it("a policy config the lab does not meet (mirrors it does not use) fails the preview, naming the policy", async () => {
        const mirrors = { "docker.io": "mirror.invalid/hub" };
        const broken = path.join(run.dir, "broken-policy-config.json");
        fs.writeFileSync(broken, JSON.stringify(Object.fromEntries(policies.filter((p) => p.configSchema).map((p) => [p.name, { mirrors }]))));
        const result = await run.lab.run(["preview", "dev", "--policy-config", broken]);
        assert.notEqual(result.code, 0, "a mandatory violation fails the preview");
        assert.match(result.output, /images-through-mirrors/);
        assert.match(result.output, /pulled from docker\.io although its mirror is mirror\.invalid\/hub/);
    });

    it(`up dev at Istio ${PREVIOUS_DEFAULT_ISTIO}, the previous default, by the program before the layout moved: creates the lab, every Deployment Available, every Istio object accepted by the real CRDs`, async () => {
        if (hasCommit(BEFORE_LAYOUT)) {
            switchProgram(run.lab.dir, BEFORE_LAYOUT);
            assert.ok(fs.existsSync(path.join(run.lab.dir, "tools", "lab.ts")), "the program as it was before the move");
        } else {
            process.stderr.write(
                `e2e: this shallow clone lacks ${BEFORE_LAYOUT}: the first up runs today's program, and the upgrade across the layout move is skipped\n`,
            );
        }
        run.lab.pulumi(["config", "set", "--path", "boutique-mesh:istio.version", PREVIOUS_DEFAULT_ISTIO, "--stack", "dev"]);
        const changes = await lab(`first up (${PREVIOUS_DEFAULT_ISTIO}, at ${BEFORE_LAYOUT.slice(0, 7)})`, "up", "dev");
        assert.ok(changes.create > 60, `created ${changes.create}`);
        assert.equal(changes.update + changes.replace + changes.delete, 0);
        for (const name of ["frontend", "productcatalogservice", "cartservice", "redis-cart", "loadgenerator"]) await assertAvailable(name);
        for (const name of ["istiod", "istio-ingressgateway", "prometheus", "grafana", "kiali", "zipkin"]) await assertAvailable(name, "istio-system");
        const ingress = await istioObject("virtualservices", "frontend-ingress");
        assert.deepEqual(ingress.spec.gateways, ["frontend-gateway"]);
        assert.equal(ingress.spec.http[0].route[0].destination.subset, "original");
        const ns = await run.plane.api.get(`/api/v1/namespaces/${NS}`);
        assert.equal(ns.metadata.labels["istio-injection"], "enabled");
        // 1.30.3 reports ready before its webhook server listens (istio#61049): the chart's own istiod Deployment,
        // as the engine created it, carries the lab's startup probe on :15017.
        const discovery = (await deployment("istiod", "istio-system")).spec.template.spec.containers.find((c: any) => c.name === "discovery");
        assert.deepEqual(discovery.startupProbe?.tcpSocket, { port: 15017 });
        assert.equal(discovery.image, `docker.io/istio/pilot:${PREVIOUS_DEFAULT_ISTIO}`);
        // The program's warning reaches the user through the engine's diagnostics.
        assert.match(lastOutput, /Istio 1\.30\.3 misses security fixes that 1\.30\.4 has \(ISTIO-SECURITY-2026-006\)/);
    });

    it("today's program, its files moved into domain folders, finds that lab in place: every URN the same, only the Services updated, to skip the provider's wait", async function () {
        if (!hasCommit(BEFORE_LAYOUT)) this.skip();
        switchProgram(run.lab.dir);
        assert.ok(fs.existsSync(path.join(run.lab.dir, "commands", "lab.ts")), "today's program");
        // Services other than istiod's no longer hold an up for 10 s (components/awaits.ts): an annotation each.
        const services = (await run.plane.api.get("/api/v1/services")).items.filter((s: any) => [NS, "istio-system"].includes(s.metadata.namespace));
        const skipping = services.filter((s: any) => s.metadata.name !== "istiod" && s.metadata.annotations?.["pulumi.com/skipAwait"] === undefined).length;
        const preview = await lab("preview after the layout moved", "preview", "dev");
        assert.deepEqual({ ...preview, same: 0 }, { create: 0, update: skipping, replace: 0, delete: 0, same: 0 });
        const timings = path.join(run.dir, "timings-after-layout.json");
        const up = await lab("up after the layout moved", "up", "dev", "--timings", timings);
        assert.deepEqual({ ...up, same: 0 }, { create: 0, update: skipping, replace: 0, delete: 0, same: 0 });
        const updated = (JSON.parse(fs.readFileSync(timings, "utf8")) as Timings).steps.filter((s) => s.op === "update");
        assert.deepEqual([...new Set(updated.map((s) => s.type))], ["kubernetes:core/v1:Service"], "only Services are updated");
        for (const s of (await run.plane.api.get("/api/v1/services")).items.filter((s: any) => [NS, "istio-system"].includes(s.metadata.namespace)))
            assert.equal(s.metadata.annotations?.["pulumi.com/skipAwait"], s.metadata.name === "istiod" ? undefined : "true", s.metadata.name);
    });

    it(`upgrades that lab in place to the default Istio ${DEFAULT_ISTIO_VERSION}: nothing created, replaced or deleted`, async () => {
        run.lab.pulumi(["config", "rm", "--path", "boutique-mesh:istio.version", "--stack", "dev"]);
        const changes = await lab(`upgrade to Istio ${DEFAULT_ISTIO_VERSION}`, "up", "dev");
        assert.deepEqual({ create: changes.create, replace: changes.replace, delete: changes.delete }, { create: 0, replace: 0, delete: 0 });
        assert.ok(changes.update > 0, "the charts' objects are updated");
        const discovery = (await deployment("istiod", "istio-system")).spec.template.spec.containers.find((c: any) => c.name === "discovery");
        assert.equal(discovery.image, `docker.io/istio/pilot:${DEFAULT_ISTIO_VERSION}`);
        assert.equal(discovery.startupProbe, undefined, "a fixed release runs as its chart renders it");
        // istio.io/api v1.31.1 adds DestinationRule's trafficPolicy.loadBalancer.zoneAwareLbSetting: the CRDs were updated in place.
        const crd = await run.plane.api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/destinationrules.networking.istio.io");
        assert.match(JSON.stringify(crd.spec), /zoneAwareLbSetting/);
        for (const namespace of [NS, "istio-system"])
            for (const d of (await run.plane.api.get(`/apis/apps/v1/namespaces/${namespace}/deployments`)).items)
                await assertAvailable(d.metadata.name, namespace);
    });

    it("preview dev and a second up: the engine finds nothing to change", async () => {
        const preview = await lab("preview (no change)", "preview", "dev");
        assert.deepEqual({ ...preview, same: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 });
        const up = await lab("second up (no-op)", "up", "dev");
        assert.deepEqual({ ...up, same: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 });
    });

    for (const scenario of ["canary", "fault-delay", "fault-abort", "timeout", "retry", "baseline"]) {
        it(`switches the same lab in place to ${scenario}: no replacement, the changes the offline diff predicts`, async () => {
            const from = await evaluateDev();
            run.lab.pulumi(["config", "set", "boutique-mesh:scenario", scenario, "--stack", "dev"]);
            const changes = await lab(`switch to ${scenario}`, "up", "dev");
            assert.equal(changes.replace, 0, "no switch replaces anything");
            const { same: _same, ...engine } = changes;
            assert.deepEqual(engine, predictedChanges(from, await evaluateDev()));
            const v1 = await run.plane.api.request("GET", `/apis/apps/v1/namespaces/${NS}/deployments/frontend-v1`);
            assert.equal(v1.status === 200, scenario === "canary", "frontend-v1 exists only while routed");
        });
    }

    it("switches the same lab to the Gateway API with canary: the real Gateway API CRDs accept every object, nothing replaced, the changes the offline diff predicts", async () => {
        const from = await evaluateDev();
        run.lab.pulumi(["config", "set", "--path", "boutique-mesh:istio.routingApi", "gateway-api", "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "--path", "boutique-mesh:istio.gatewayApiCrdsUrl", gatewayApiCrdsUrl(run.repo.url), "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", "canary", "--stack", "dev"]);
        const changes = await lab("switch to the Gateway API (canary)", "up", "dev");
        // The CRD bundle is one resource offline; the engine also creates every object of its install file.
        const offline = predictedChanges(from, await evaluateDev());
        assert.deepEqual({ ...changes, same: 0 }, { ...offline, create: offline.create + run.gatewayApiObjects, same: 0 });
        assert.equal(changes.replace, 0);
        const crd = await run.plane.api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io");
        assert.equal(crd.metadata.annotations["gateway.networking.k8s.io/bundle-version"], gatewayApiVersion(DEFAULT_ISTIO_VERSION));
        const route = await run.plane.api.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/frontend-ingress`);
        assert.deepEqual(
            route.spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight]),
            [
                ["frontend-original", 70],
                ["frontend-v1", 30],
            ],
        );
        const gateway = await run.plane.api.get("/apis/gateway.networking.k8s.io/v1/namespaces/istio-system/gateways/frontend-gateway");
        assert.equal(gateway.spec.addresses[0].value, "istio-ingressgateway.istio-system.svc.cluster.local");
        assert.equal(await istioObject("virtualservices", "frontend-ingress"), undefined, "one API per host: the VirtualService is gone");
        await assertAvailable("frontend-v1");
        // The API server holds the Gateway API's own rules: a Service backend without a port is refused by its CEL rule.
        const refused = await run.plane.api.request("POST", `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "no-port" },
            spec: { rules: [{ backendRefs: [{ name: "frontend" }] }] },
        });
        assert.equal(refused.status, 422);
        assert.match(JSON.stringify(refused.body), /Must have port for Service reference/);
    });

    it("switches it back to Istio's API: the Gateway API CRDs and their objects go, nothing replaced, the changes the offline diff predicts", async () => {
        const from = await evaluateDev();
        run.lab.pulumi(["config", "rm", "--path", "boutique-mesh:istio.routingApi", "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", "baseline", "--stack", "dev"]);
        const changes = await lab("switch back to Istio's API (baseline)", "up", "dev");
        const offline = predictedChanges(from, await evaluateDev());
        assert.deepEqual({ ...changes, same: 0 }, { ...offline, delete: offline.delete + run.gatewayApiObjects, same: 0 });
        const crds = (await run.plane.api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items.map((c: any) => c.metadata.name);
        assert.deepEqual(
            crds.filter((name: string) => name.endsWith(".gateway.networking.k8s.io")),
            [],
        );
        assert.equal((await istioObject("virtualservices", "frontend-ingress")).spec.http[0].route[0].destination.subset, "original");
    });

    it("switches the same lab to ambient with fault-delay: cni and ztunnel on every node, the shop's pods restarted in ambient, a waypoint; nothing replaced, the changes the offline diff predicts", async () => {
        const from = await evaluateDev();
        run.lab.pulumi(["config", "set", "--path", "boutique-mesh:istio.dataPlane", "ambient", "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "--path", "boutique-mesh:istio.gatewayApiCrdsUrl", gatewayApiCrdsUrl(run.repo.url), "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", "fault-delay", "--stack", "dev"]);
        const changes = await lab("switch to ambient (fault-delay)", "up", "dev");
        // Offline a chart or the CRD file is one resource; the engine also creates what each holds: the install file's
        // objects (ambient installs the Gateway API CRDs for its waypoint) and what the cni and ztunnel stand-ins
        // render. istiod's Chart changes offline (the ambient profile), but its stand-in renders nothing of the profile,
        // so none of its objects changes, and the engine counts a Chart only through its objects.
        const offline = predictedChanges(from, await evaluateDev());
        const expected = { ...offline, create: offline.create + run.gatewayApiObjects + NODE_AGENT_STAND_IN_OBJECTS, update: offline.update - 1 };
        assert.deepEqual({ ...changes, same: 0 }, { ...expected, same: 0 });
        assert.equal(changes.replace, 0);
        // The provider waited for each DaemonSet's rollout: a pod on every node, ready.
        const nodes = (await run.plane.api.get("/api/v1/nodes")).items.length;
        for (const name of ["istio-cni-node", "ztunnel"]) {
            const daemonSet = await run.plane.api.get(`/apis/apps/v1/namespaces/istio-system/daemonsets/${name}`);
            assert.deepEqual([daemonSet.status.desiredNumberScheduled, daemonSet.status.numberReady], [nodes, nodes], name);
        }
        const namespace = await run.plane.api.get(`/api/v1/namespaces/${NS}`);
        assert.equal(namespace.metadata.labels["istio.io/dataplane-mode"], "ambient");
        assert.equal(namespace.metadata.labels["istio.io/use-waypoint"], "waypoint");
        assert.equal(namespace.metadata.labels["istio-injection"], undefined);
        const cart = await deployment("cartservice");
        assert.equal(cart.spec.template.metadata.annotations["boutique-mesh.io/data-plane"], "ambient", "a new pod template: the pods restart");
        await assertAvailable("cartservice");
        const waypoint = await run.plane.api.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/gateways/waypoint`);
        assert.equal(waypoint.spec.gatewayClassName, "istio-waypoint");
        assert.equal((await istioObject("virtualservices", "recommendationservice")).spec.http[0].fault.delay.fixedDelay, "5s");
    });

    it("switches it back to sidecars (baseline): the node agents, the waypoint and the Gateway API CRDs go, nothing replaced, the changes the offline diff predicts", async () => {
        const from = await evaluateDev();
        run.lab.pulumi(["config", "rm", "--path", "boutique-mesh:istio.dataPlane", "--stack", "dev"]);
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", "baseline", "--stack", "dev"]);
        const changes = await lab("switch back to sidecars (baseline)", "up", "dev");
        const offline = predictedChanges(from, await evaluateDev());
        const expected = { ...offline, delete: offline.delete + run.gatewayApiObjects + NODE_AGENT_STAND_IN_OBJECTS, update: offline.update - 1 };
        assert.deepEqual({ ...changes, same: 0 }, { ...expected, same: 0 });
        for (const name of ["istio-cni-node", "ztunnel"])
            assert.equal((await run.plane.api.request("GET", `/apis/apps/v1/namespaces/istio-system/daemonsets/${name}`)).status, 404, name);
        const namespace = await run.plane.api.get(`/api/v1/namespaces/${NS}`);
        assert.deepEqual([namespace.metadata.labels["istio-injection"], namespace.metadata.labels["istio.io/dataplane-mode"]], ["enabled", undefined]);
        assert.equal((await deployment("cartservice")).spec.template.metadata.annotations?.["boutique-mesh.io/data-plane"], undefined);
        await assertAvailable("cartservice");
    });

    it("down dev: nothing of the lab is left on the API server, and the stack file is unchanged", async () => {
        const stackFile = path.join(run.lab.dir, "Pulumi.dev.yaml");
        const file = fs.readFileSync(stackFile, "utf8");
        const changes = await lab("down", "down", "dev");
        assert.ok(changes.delete > 60, `deleted ${changes.delete}`);
        assert.equal(fs.readFileSync(stackFile, "utf8"), file, "down leaves the stack file as it was");
        const left = (await objects()).filter((o) => !clean.includes(o));
        assert.deepEqual(left, [], "objects left after down");
    });

    it("up dev again on the same cluster succeeds", async () => {
        const changes = await lab("up again", "up", "dev");
        assert.ok(changes.create > 60);
        await assertAvailable("frontend");
    });

    it("a Deployment deleted out of band: refresh sees it gone, up restores it", async () => {
        assert.equal(await run.plane.api.delete(`/apis/apps/v1/namespaces/${NS}/deployments/adservice?propagationPolicy=Foreground`), 200);
        await waitGone(`/apis/apps/v1/namespaces/${NS}/deployments/adservice`);
        const refresh = await lab("refresh after out-of-band delete", "refresh", "dev");
        assert.equal(refresh.delete, 1, "refresh drops the deleted Deployment from the state");
        const up = await lab("up after refresh", "up", "dev");
        assert.equal(up.create, 1);
        await assertAvailable("adservice");
    });

    // The provider waits for an informer's cache to sync before it starts a Deployment's 10-minute await, with
    // no deadline of its own (pulumi/pulumi-kubernetes v4.25.0 provider/pkg/await/informers/factory.go:142,
    // cache.WaitForCacheSync; deployment.go:204 starts the timeout after it): an up whose API server is gone at
    // that moment waits for it to come back. So the outage is an outage, not a shutdown: the server returns.
    it("the API server down for 20 s during an up: the up ends once it is back, the next up converges", async () => {
        run.lab.pulumi(["config", "set", "boutique-mesh:scenario", "canary", "--stack", "dev"]);
        const interrupted = run.lab.start(["up", "dev"], OUTAGE_UP_LIMIT_MS);
        // Stop it once the engine is changing the cluster: frontend-v1 is being created.
        const deadline = Date.now() + 120_000;
        while (!/frontend-v1 creating/.test(interrupted.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
        assert.match(interrupted.output(), /frontend-v1 creating/, "the up reached the switch's changes");
        await run.plane.stopApiserver();
        await new Promise((resolve) => setTimeout(resolve, 20_000));
        await run.plane.startApiserver();
        const ended = await interrupted.done;
        run.figures.push({ phase: `up across the outage (${ended.code === 0 ? "succeeded" : "failed"})`, seconds: ended.seconds, ...ended.changes });
        assert.ok(!ended.limitExceeded, `the up was still running ${OUTAGE_UP_LIMIT_MS / 60_000} min after it started, with its API server back`);
        const after = await lab("up after the outage", "up", "dev");
        assert.equal(after.replace + after.delete, 0);
        const preview = await lab("preview after the outage", "preview", "dev");
        assert.deepEqual({ ...preview, same: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 }, "converged: nothing left to do");
        for (const namespace of [NS, "istio-system"])
            for (const d of (await run.plane.api.get(`/apis/apps/v1/namespaces/${namespace}/deployments`)).items)
                await assertAvailable(d.metadata.name, namespace);
        assert.equal((await istioObject("virtualservices", "frontend-ingress")).spec.http[0].route.length, 2, "the 70/30 route is in place");
    });

    it("down dev at the end leaves nothing", async () => {
        await lab("final down", "down", "dev");
        assert.deepEqual(
            (await objects()).filter((o) => !clean.includes(o)),
            [],
        );
    });
});

async function waitGone(urlPath: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if ((await run.plane.api.request("GET", urlPath)).status === 404) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`${urlPath} still exists after 60s`);
}
