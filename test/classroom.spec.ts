import { strict as assert } from "assert";
import { parseLabConfig } from "../config/schema";
import { labShops } from "../components/shop/shops";
import { SCENARIOS } from "../stacks";
import { SHOP_LABEL } from "../components/labels";
import { phaseOf } from "../commands/phases";
import { summary } from "../commands/lab";
import { analyze } from "../tools/analyze/analyze";
import { shopIsolationProblems } from "../policy/policies";
import { diffEvaluations } from "../tools/bench/diff";
import { Evaluation, isComponent } from "../mocks/evaluate";
import { evaluateConfig, evaluatedStack } from "./support/lab";
import { configProblems, rejects } from "./support/config";

const SHOPS = [{ name: "alice" }, { name: "bob", scenario: "canary" }, { name: "carol", scenario: "fault-delay" }] as const;
const CLASS = { shops: [...SHOPS] };

/** The names of the managed resources (not components) under one shop's parts. */
const shopResources = (evaluation: Evaluation, shop: string) =>
    evaluation.resources.filter((r) => !isComponent(r.type) && r.name.startsWith(`lab-shop-${shop}-`)).map((r) => r.name);

/** Istio networking objects by namespace/kind/name. */
function istioObjects(evaluation: Evaluation): Map<string, Record<string, any>> {
    return new Map(
        evaluation.resources
            .filter((r) => typeof r.inputs.apiVersion === "string" && r.inputs.apiVersion.startsWith("networking.istio.io/"))
            .map((r) => [`${r.inputs.metadata.namespace}/${r.inputs.kind}/${r.inputs.metadata.name}`, r.inputs]),
    );
}

describe("a classroom: many shops on one mesh (boutique-mesh:shops)", () => {
    describe("config", () => {
        it("gives each shop its namespace and host, and the stack's scenario and traffic unless it names its own", () => {
            const traffic = { frontend: { original: 60, v1: 40 } };
            const shops = labShops(
                parseLabConfig({ scenario: "canary", traffic, shops: [{ name: "a" }, { name: "b", scenario: "timeout" }], shopDomain: "lab.example" }),
            );
            assert.deepEqual(
                shops.map((s) => [s.namespace, s.scenarioName, s.classroom?.host, s.classroom?.ingressNamespace]),
                [
                    ["a", "canary", "a.lab.example", "istio-system"],
                    ["b", "timeout", "b.lab.example", "istio-system"],
                ],
            );
            assert.deepEqual(shops[0].scenario.frontend, { original: 60, v1: 40 }, "the stack's traffic goes with the stack's scenario");
            assert.deepEqual(shops[1].scenario, SCENARIOS.timeout, "a scenario of its own comes without the stack's traffic");
        });
        it("without shops, one shop in boutique.namespace with no host of its own", () => {
            const [shop, ...rest] = labShops(parseLabConfig({ boutique: { namespace: "shop" }, scenario: "retry" }));
            assert.deepEqual(rest, []);
            assert.deepEqual([shop.namespace, shop.scenarioName, shop.classroom], ["shop", "retry", undefined]);
            assert.equal(parseLabConfig({}).shopDomain, "localhost");
        });
        it("refuses a name twice, a namespace of the cluster or the mesh, a name that is no DNS label, an empty list and an unknown key", () => {
            rejects({ shops: [{ name: "a" }, { name: "a" }] }, /^boutique-mesh:shops\[1\]\.name = "a": names shop a a second time/);
            rejects(
                { shops: [{ name: "istio-system" }] },
                /^boutique-mesh:shops\[0\]\.name = "istio-system": must not be one of default, kube-system, kube-public, kube-node-lease, istio-system/,
            );
            rejects({ shops: [{ name: "Alice" }] }, /^boutique-mesh:shops\[0\]\.name = "Alice": must be a DNS-1123 label/);
            rejects({ shops: [] }, /^boutique-mesh:shops .*must list at least one shop/);
            rejects({ shops: [{ name: "a", scenario: "chaos" }] }, /^boutique-mesh:shops\[0\]\.scenario = "chaos"/);
            rejects(
                { shops: [{ name: "a", users: 3 }] },
                /boutique-mesh:shops\[0\]\.users: unknown key; allowed under boutique-mesh:shops\[0\]: name, scenario, traffic/,
            );
            rejects({ shops: [{ name: "a" }], shopDomain: "Not A Domain" }, /^boutique-mesh:shopDomain = "Not A Domain": must be a DNS domain/);
        });
        it("refuses a host longer than DNS allows, and shops on the Gateway API, naming what works", () => {
            // "ab." and 250 characters: 253, the most a DNS name holds.
            const domain = ["d".repeat(62), "d".repeat(62), "d".repeat(62), "d".repeat(61)].join(".");
            rejects(
                { shops: [{ name: "abc" }], shopDomain: domain },
                /^boutique-mesh:shops\[0\]\.name = "abc": makes the host abc\.d+.*longer than a DNS name's 253 characters/,
            );
            assert.deepEqual(configProblems({ shops: [{ name: "ab" }], shopDomain: domain }), [], "253 characters fit");
            rejects(
                { shops: [{ name: "a" }], istio: { routingApi: "gateway-api" } },
                /^boutique-mesh:istio\.routingApi = "gateway-api": cannot serve several shops yet.*use routingApi "istio" with shops/,
            );
        });
    });

    describe("what the program declares", () => {
        let classroom: Evaluation;
        before(async () => {
            classroom = await evaluatedStack("classroom");
        });

        it("one Istio, ingress gateway and set of addons; a Shop per attendee with its Boutique, Ingress and Traffic named from it", () => {
            const count = (type: string) => classroom.resources.filter((r) => r.type === type).length;
            assert.equal(count("kubernetes:helm.sh/v4:Chart"), 7, "base, istiod, two gateways, Prometheus, Grafana and Kiali, once");
            assert.equal(classroom.resources.filter((r) => r.inputs.kind === "Deployment" && r.inputs.metadata?.name === "zipkin").length, 1);
            const shops = classroom.resources.filter((r) => r.type === "boutique-mesh:index:Shop");
            assert.deepEqual(
                shops.map((s) => [s.name, s.parent]),
                SHOPS.map((s) => [`lab-shop-${s.name}`, "lab"]),
            );
            for (const { name } of SHOPS) {
                const parts = classroom.resources.filter((r) => r.parent === `lab-shop-${name}`).map((r) => `${r.type}::${r.name}`);
                assert.deepEqual(parts.sort(), [
                    `boutique-mesh:index:Boutique::lab-shop-${name}-boutique`,
                    `boutique-mesh:index:Ingress::lab-shop-${name}-ingress`,
                    `boutique-mesh:index:Traffic::lab-shop-${name}-traffic`,
                ]);
            }
            assert.equal(classroom.resources.filter((r) => r.type === "boutique-mesh:index:Boutique" && r.parent === "lab").length, 0);
        });
        it("the whole Boutique in each shop's namespace, labelled with its shop, and each shop's own scenario", () => {
            const deployments = (ns: string) =>
                classroom.resources
                    .filter((r) => r.inputs.kind === "Deployment" && r.inputs.metadata?.namespace === ns)
                    .map((r) => r.inputs.metadata.name as string);
            assert.equal(deployments("alice").length, 12, "the release's 11 services and the load generator");
            assert.ok(deployments("bob").includes("frontend-v1"), "bob runs canary");
            assert.ok(!deployments("alice").includes("frontend-v1") && !deployments("carol").includes("frontend-v1"));
            const namespaces = classroom.resources
                .filter((r) => r.inputs.kind === "Namespace")
                .map((r) => [r.inputs.metadata.name, r.inputs.metadata.labels[SHOP_LABEL]]);
            assert.deepEqual(namespaces, [
                ["istio-system", undefined],
                ["alice", "alice"],
                ["bob", "bob"],
                ["carol", "carol"],
            ]);
            const objects = istioObjects(classroom);
            assert.ok(objects.has("carol/VirtualService/recommendationservice"), "carol's fault");
            assert.ok(!objects.has("alice/VirtualService/recommendationservice") && !objects.has("bob/VirtualService/recommendationservice"));
            assert.deepEqual(
                objects.get("bob/VirtualService/frontend-ingress")!.spec.http[0].route.map((r: { weight: number }) => r.weight),
                [70, 30],
            );
        });
        it("each shop's routes exported to its namespace alone, and the ingress's where the ingress needs them; every host its own", () => {
            const objects = istioObjects(classroom);
            for (const { name } of SHOPS) {
                const own = [...objects].filter(([key]) => key.startsWith(`${name}/`));
                for (const [key, object] of own) {
                    assert.equal(object.metadata.labels[SHOP_LABEL], name, key);
                    if (object.kind === "Gateway") continue;
                    const toIngress = key === `${name}/VirtualService/frontend-ingress` || key === `${name}/DestinationRule/frontend`;
                    assert.deepEqual(object.spec.exportTo, toIngress ? [".", "istio-system"] : ["."], key);
                }
                assert.deepEqual(objects.get(`${name}/Gateway/frontend-gateway`)!.spec.servers[0].hosts, [`${name}.localhost`]);
                assert.deepEqual(objects.get(`${name}/VirtualService/frontend-ingress`)!.spec.hosts, [`${name}.localhost`]);
                assert.equal(objects.get(`${name}/DestinationRule/frontend`)!.spec.host, `frontend.${name}.svc.cluster.local`);
            }
        });
        it("the analyzer and the policy pack find nothing in it", () => {
            assert.deepEqual(analyze(classroom), []);
            for (const object of istioObjects(classroom).values())
                assert.deepEqual(shopIsolationProblems(object.kind, object), [], JSON.stringify(object.metadata));
        });
        it("lists every shop in the outputs with its URL on the lab's port, and up's summary names each", () => {
            const shops = classroom.outputs.shops as {
                name: string;
                url: string;
                host: string;
                scenario: string;
                namespace: string;
                portForward: string;
                frontendPortForward: string;
                frontendUrl: string;
            }[];
            assert.deepEqual(
                shops.map((s) => [s.name, s.namespace, s.scenario, s.host, s.url]),
                SHOPS.map((s) => [s.name, s.name, "scenario" in s ? s.scenario : "baseline", `${s.name}.localhost`, `http://${s.name}.localhost:8080/`]),
            );
            assert.match(shops[0].portForward, /port-forward .*svc\/istio-ingressgateway 8080:80/);
            assert.deepEqual(
                shops.map((s) => [s.frontendPortForward.replace(/^kubectl .*?-n /, "-n "), s.frontendUrl]),
                SHOPS.map((s, i) => [`-n ${s.name} port-forward svc/frontend ${8081 + i}:80`, `http://localhost:${8081 + i}/`]),
                "each shop's own port-forward reaches its own frontend on a port no other shop takes",
            );
            assert.equal(classroom.outputs.namespace, null);
            const outputs = Object.fromEntries(Object.entries(classroom.outputs).map(([k, value]) => [k, { value, secret: false }]));
            const text = summary("classroom", outputs);
            assert.match(text, /^lab classroom is up: 3 shops, Istio /);
            assert.match(
                text,
                /\n {2}shop carol {8}http:\/\/carol\.localhost:8080\/ {2}\(scenario fault-delay, namespace carol; or http:\/\/localhost:8083\/ after kubectl .*-n carol port-forward svc\/frontend 8083:80\)/,
            );
        });
    });

    describe("an instructor's changes touch one shop", () => {
        it("a shop's new scenario changes only that shop's resources", async () => {
            const before = await evaluateConfig(CLASS);
            const after = await evaluateConfig({ shops: [SHOPS[0], { name: "bob", scenario: "timeout" }, SHOPS[2]] });
            const changes = diffEvaluations(before, after);
            assert.ok(changes.length > 0);
            for (const change of changes) assert.match(change.name, /^lab-shop-bob-/, `${change.kind} ${change.name}`);
            assert.ok(!changes.some((c) => c.kind === "replaced"));
        });
        it("adding or removing a shop adds or removes that shop's resources alone", async () => {
            const three = await evaluateConfig(CLASS);
            const two = await evaluateConfig({ shops: [SHOPS[0], SHOPS[2]] });
            const changes = diffEvaluations(three, two);
            assert.deepEqual(
                changes.map((c) => c.kind),
                changes.map(() => "removed"),
            );
            assert.deepEqual(changes.map((c) => c.name).sort(), shopResources(three, "bob").sort());
            assert.deepEqual(
                diffEvaluations(two, three)
                    .map((c) => [c.kind, c.name])
                    .sort(),
                shopResources(three, "bob")
                    .map((n) => ["added", n])
                    .sort(),
            );
        });
        it("without shops the lab keeps the names every lab had: no Shop, the parts under the Lab", async () => {
            const single = await evaluateConfig({});
            assert.deepEqual(
                single.resources.filter((r) => r.parent === "lab" && /Boutique|Ingress|Traffic|Shop/.test(r.type)).map((r) => r.name),
                ["lab-boutique", "lab-ingress", "lab-traffic"],
            );
            assert.equal(single.outputs.shops, null);
            assert.equal(single.outputs.namespace, "online-boutique");
        });
    });

    describe("what catches a shop leaking into another", () => {
        const vs = (exportTo: string[] | undefined, host = "productcatalogservice.alice.svc.cluster.local") => ({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "productcatalogservice", namespace: "alice", labels: { [SHOP_LABEL]: "alice" } },
            spec: { ...(exportTo ? { exportTo } : {}), hosts: [host], http: [{ route: [{ destination: { host } }] }] },
        });
        it("the policy pack: an object exported everywhere or to another namespace, a host of another shop", () => {
            assert.deepEqual(shopIsolationProblems("VirtualService", vs(["."])), []);
            assert.deepEqual(shopIsolationProblems("VirtualService", vs(undefined)), ['is exported to *; a shop\'s objects go to "." and istio-system only']);
            assert.deepEqual(shopIsolationProblems("VirtualService", vs([".", "bob"])), [
                'is exported to bob; a shop\'s objects go to "." and istio-system only',
            ]);
            assert.deepEqual(shopIsolationProblems("VirtualService", vs(["."], "productcatalogservice.bob.svc.cluster.local")), [
                "names productcatalogservice.bob.svc.cluster.local, a host of namespace bob, not of shop alice",
            ]);
            const unlabelled = { ...vs(undefined), metadata: { name: "x", namespace: "online-boutique" } };
            assert.deepEqual(shopIsolationProblems("VirtualService", unlabelled), [], "the single shop keeps Istio's default");
        });
    });

    it("up's progress names each shop: a resource under a Shop is in the phase of the longest shop name its own starts with", () => {
        const urn = (types: string, name: string) => `urn:pulumi:s::boutique-mesh::${types}::${name}`;
        const chain = "boutique-mesh:index:Lab$boutique-mesh:index:Shop$boutique-mesh:index:Boutique$kubernetes:apps/v1:Deployment";
        const shops = ["lab-shop-a", "lab-shop-a-b"];
        assert.equal(phaseOf(urn(chain, "lab-shop-a-b-boutique-frontend"), shops), "shop a-b");
        assert.equal(phaseOf(urn(chain, "lab-shop-a-boutique-frontend"), shops), "shop a");
        assert.equal(phaseOf(urn("boutique-mesh:index:Lab$boutique-mesh:index:Shop", "lab-shop-a"), shops), "shop a");
        assert.equal(
            phaseOf(urn("boutique-mesh:index:Lab$boutique-mesh:index:Boutique$kubernetes:apps/v1:Deployment", "lab-boutique-frontend"), shops),
            "shop",
        );
    });
});
