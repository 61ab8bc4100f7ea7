import { strict as assert } from "assert";
import { analyze, formatFinding, RULES, RuleCode } from "../tools/analyze/analyze";
import { Evaluation } from "../mocks/evaluate";
import { shippedStacks } from "../config/project";
import { main } from "../tools/analyze/cli";
import { evaluateConfig, evaluatedStack } from "./support/lab";
import { captureStderr } from "./support/stderr";

type Obj = Record<string, any>;

/** A deep copy of a lab with one object (or chart) edited. */
function broken(lab: Evaluation, pick: (o: Obj) => boolean, edit: (o: Obj) => void): Evaluation {
    const copy: Evaluation = structuredClone(lab);
    const target = copy.resources.find((r) => pick(r.inputs));
    assert.ok(target, "the object to break exists");
    edit(target.inputs);
    return copy;
}
const named = (kind: string, name: string) => (o: Obj) => o.kind === kind && o.metadata?.name === name;

/** A deep copy of a lab with more objects, declared as the lab declares its own. */
function withObject(lab: Evaluation, ...objects: Obj[]): Evaluation {
    const copy: Evaluation = structuredClone(lab);
    for (const [i, object] of objects.entries()) {
        copy.resources.push({
            type: `kubernetes:${object.apiVersion}:${object.kind}`,
            name: `extra-${i}`,
            inputs: object,
            dependsOn: [],
            secretPaths: [],
            transforms: [],
        });
    }
    return copy;
}

/** A deep copy of a lab with more resources of any type. */
function withResource(lab: Evaluation, ...resources: { type: string; inputs: Obj }[]): Evaluation {
    const copy: Evaluation = structuredClone(lab);
    for (const [i, r] of resources.entries()) copy.resources.push({ ...r, name: `extra-resource-${i}`, dependsOn: [], secretPaths: [], transforms: [] });
    return copy;
}

const NET = "networking.istio.io/v1";
const NS = "online-boutique";

function codes(lab: Evaluation): RuleCode[] {
    return analyze(lab).map((f) => f.code as RuleCode);
}

describe("analyze: mesh cross-checks like istioctl analyze", () => {
    let canary: Evaluation;
    let gatewayApi: Evaluation;
    let ambient: Evaluation;
    let ambientIstio: Evaluation;
    let classroom: Evaluation;
    before(async () => {
        classroom = await evaluatedStack("classroom");
        canary = await evaluatedStack("canary");
        gatewayApi = await evaluatedStack("gateway-api-canary");
        ambient = await evaluatedStack("ambient-canary");
        ambientIstio = await evaluatedStack("ambient-fault-delay");
    });
    const noWaypointLabel = (ns: Obj) => delete ns.metadata.labels["istio.io/use-waypoint"];
    const route = (name: string) => (o: Obj) => o.kind === "HTTPRoute" && o.metadata?.name === name;
    const apiGateway = (o: Obj) => o.kind === "Gateway" && o.apiVersion === "gateway.networking.k8s.io/v1";

    for (const stack of shippedStacks()) {
        it(`finds nothing wrong in the shipped ${stack} stack`, async () => {
            assert.deepEqual(analyze(await evaluatedStack(stack)).map(formatFinding), []);
        });
    }

    const inShop = (shop: string, kind: string, name: string) => (o: Obj) => named(kind, name)(o) && o.metadata.namespace === shop;
    const cases: { code: RuleCode; what: string; lab: () => Evaluation | Promise<Evaluation>; message: RegExp }[] = [
        {
            code: "BM019",
            what: "a classroom shop's fault exported to every namespace (Istio's default)",
            lab: () => broken(classroom, inShop("carol", "VirtualService", "recommendationservice"), (vs) => delete vs.spec.exportTo),
            message:
                /VirtualService carol\/recommendationservice: has no exportTo, so Istio exports it to every namespace: other shops' proxies would apply it/,
        },
        {
            code: "BM019",
            what: "a classroom shop's subsets exported to another shop",
            lab: () => broken(classroom, inShop("bob", "DestinationRule", "frontend"), (dr) => (dr.spec.exportTo = [".", "alice"])),
            message: /DestinationRule bob\/frontend: exportTo \[".","alice"\] reaches alice/,
        },
        {
            code: "BM020",
            what: "a classroom shop's rule written against another shop's Service",
            lab: () => broken(classroom, inShop("bob", "DestinationRule", "frontend"), (dr) => (dr.spec.host = "frontend.alice.svc.cluster.local")),
            message: /DestinationRule bob\/frontend: frontend\.alice\.svc\.cluster\.local is a host of namespace alice: shop bob reaches beyond its own/,
        },
        {
            code: "BM020",
            what: "two classroom shops on one ingress host",
            lab: () => broken(classroom, inShop("bob", "VirtualService", "frontend-ingress"), (vs) => (vs.spec.hosts = ["alice.localhost"])),
            message:
                /VirtualService alice\/frontend-ingress: ingress host alice\.localhost is served by the shops of alice, bob: the ingress mixes their traffic/,
        },
        {
            code: "BM001",
            what: "a host in the wrong namespace (the upstream frontend.default mistake)",
            lab: () => broken(canary, named("VirtualService", "frontend"), (vs) => (vs.spec.hosts = ["frontend.default.svc.cluster.local"])),
            message: /host frontend\.default\.svc\.cluster\.local .*is no Service or ServiceEntry host/,
        },
        {
            code: "BM001",
            what: "a destination host that resolves nowhere",
            lab: () =>
                broken(canary, named("VirtualService", "frontend-ingress"), (vs) => (vs.spec.http[0].route[0].destination.host = "frontend.online-boutique")),
            message: /destination frontend\.online-boutique .*requests will fail with 503/,
        },
        {
            code: "BM001",
            what: "a host outside the cluster that no ServiceEntry covers",
            lab: () =>
                withObject(canary, {
                    apiVersion: "networking.istio.io/v1",
                    kind: "VirtualService",
                    metadata: { name: "external", namespace: "online-boutique" },
                    spec: { hosts: ["www.example.com"], http: [{ route: [{ destination: { host: "www.example.com" } }] }] },
                }),
            message: /VirtualService online-boutique\/external: host www\.example\.com \(www\.example\.com\) is no Service or ServiceEntry host/,
        },
        {
            code: "BM002",
            what: "a destination port the Service does not have",
            lab: () => broken(canary, named("VirtualService", "frontend-ingress"), (vs) => (vs.spec.http[0].route[0].destination.port.number = 8080)),
            message: /port 8080 is not a port of Service online-boutique\/frontend \(80\)/,
        },
        {
            code: "BM003",
            what: "a subset no DestinationRule defines",
            lab: () => broken(canary, named("DestinationRule", "frontend"), (dr) => (dr.spec.subsets = dr.spec.subsets.filter((s: Obj) => s.name !== "v1"))),
            message: /route to subset v1 of frontend\.online-boutique\.svc\.cluster\.local, which no DestinationRule defines/,
        },
        {
            code: "BM004",
            what: "a subset whose labels select no pod",
            lab: () => broken(canary, named("DestinationRule", "frontend"), (dr) => (dr.spec.subsets[1].labels = { version: "v1" })),
            message: /subset v1 \(\{"version":"v1"\}\) selects no pod behind Service online-boutique\/frontend/,
        },
        {
            code: "BM004",
            what: "a subset whose pods the Service does not select",
            lab: () => broken(canary, named("Service", "frontend"), (svc) => (svc.spec.selector = { app: "frontend", tier: "web" })),
            message:
                /DestinationRule online-boutique\/frontend: subset original \(\{"version":"original"\}\) selects no pod behind Service online-boutique\/frontend/,
        },
        {
            code: "BM005",
            what: "a Gateway whose selector matches no gateway pod",
            lab: () => broken(canary, named("Gateway", "frontend-gateway"), (gw) => (gw.spec.selector = { istio: "ingress" })),
            message:
                /selector \{"istio":"ingress"\} matches no gateway deployment of the lab \(\{"app":"istio-ingressgateway","istio":"ingressgateway"\}, \{"app":"istio-egressgateway","istio":"egressgateway"\}\)$/,
        },
        {
            code: "BM005",
            what: "a gateway chart released under a name that changes its pod labels",
            lab: () =>
                broken(
                    canary,
                    (o) => o.chart === "gateway" && o.name === "istio-ingressgateway",
                    (chart) => {
                        chart.name = "ingress";
                        chart.values = { ...chart.values, name: "ingress", labels: {} };
                    },
                ),
            message: /matches no gateway deployment/,
        },
        {
            code: "BM005",
            what: "a Gateway selecting the shop's pods instead of a gateway's",
            lab: () => broken(canary, named("Gateway", "frontend-gateway"), (gw) => (gw.spec.selector = { app: "frontend" })),
            message: /selector \{"app":"frontend"\} matches no gateway deployment/,
        },
        {
            code: "BM006",
            what: "a VirtualService bound to an undeclared Gateway",
            lab: () => broken(canary, named("VirtualService", "frontend-ingress"), (vs) => (vs.spec.gateways = ["istio-system/frontend-gateway"])),
            message: /gateway istio-system\/frontend-gateway is not declared/,
        },
        {
            code: "BM007",
            what: "two mesh VirtualServices for one host",
            lab: () => {
                const lab: Evaluation = structuredClone(canary);
                const vs = lab.resources.find((r) => named("VirtualService", "frontend")(r.inputs))!;
                lab.resources.push({
                    ...structuredClone(vs),
                    name: "duplicate",
                    inputs: { ...structuredClone(vs.inputs), metadata: { ...vs.inputs.metadata, name: "frontend-copy" } },
                });
                return lab;
            },
            message:
                /2 mesh VirtualServices for frontend\.online-boutique\.svc\.cluster\.local \(VirtualService online-boutique\/frontend, VirtualService online-boutique\/frontend-copy\); Istio applies one at random: merge them$/,
        },
        {
            code: "BM008",
            what: "weights that do not sum to 100",
            lab: () => broken(canary, named("VirtualService", "frontend"), (vs) => (vs.spec.http[0].route[1].weight = 20)),
            message: /route weights sum to 90; make them sum to 100/,
        },
        {
            code: "BM008",
            what: "weights that sum to more than 100",
            lab: () => broken(canary, named("VirtualService", "frontend-ingress"), (vs) => (vs.spec.http[0].route[1].weight = 80)),
            message: /VirtualService online-boutique\/frontend-ingress: route weights sum to 150; make them sum to 100/,
        },
        {
            code: "BM008",
            what: "a single weighted destination short of 100",
            lab: () =>
                broken(canary, named("VirtualService", "frontend"), (vs) => {
                    vs.spec.http[0].route = [{ ...vs.spec.http[0].route[0], weight: 50 }];
                }),
            message: /VirtualService online-boutique\/frontend: route weights sum to 50/,
        },
        {
            code: "BM009",
            what: "a Service port whose name hides the protocol",
            lab: () => broken(canary, named("Service", "cartservice"), (svc) => (svc.spec.ports[0].name = "cart")),
            message: /port 7070 is named "cart"/,
        },
        {
            code: "BM010",
            what: "a listening workload without a Service",
            lab: () => {
                const lab: Evaluation = structuredClone(canary);
                lab.resources = lab.resources.filter((r) => !named("Service", "adservice")(r.inputs));
                return lab;
            },
            message: /Deployment online-boutique\/adservice: listens on 9555 but no Service selects its pods/,
        },
        {
            code: "BM011",
            what: "a namespace without the injection label",
            lab: () => broken(canary, named("Namespace", "online-boutique"), (ns) => (ns.metadata.labels = {})),
            message:
                /Namespace online-boutique: has mesh workloads but neither istio-injection=enabled nor istio\.io\/dataplane-mode=ambient: its pods are outside the mesh/,
        },
        {
            code: "BM011",
            what: "an ambient namespace whose mode is not ambient",
            lab: () => broken(ambient, named("Namespace", NS), (ns) => (ns.metadata.labels["istio.io/dataplane-mode"] = "none")),
            message: /Namespace online-boutique: has mesh workloads but neither/,
        },
        {
            code: "BM017",
            what: "a namespace using a waypoint that is not declared",
            lab: () => broken(ambient, named("Namespace", NS), (ns) => (ns.metadata.labels["istio.io/use-waypoint"] = "edge")),
            message: /Namespace online-boutique: istio\.io\/use-waypoint=edge names no Gateway of class istio-waypoint in namespace online-boutique/,
        },
        {
            code: "BM017",
            what: "a Service using a waypoint whose Gateway is of another class",
            lab: () =>
                withObject(
                    broken(ambient, named("Service", "cartservice"), (svc) => (svc.metadata.labels = { "istio.io/use-waypoint": "edge" })),
                    {
                        apiVersion: "gateway.networking.k8s.io/v1",
                        kind: "Gateway",
                        metadata: { name: "edge", namespace: NS },
                        spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
                    },
                ),
            message: /Service online-boutique\/cartservice: istio\.io\/use-waypoint=edge names no Gateway of class istio-waypoint/,
        },
        {
            code: "BM018",
            what: "an HTTPRoute on an ambient Service that no waypoint serves",
            lab: () => broken(ambient, named("Namespace", NS), noWaypointLabel),
            message: /HTTPRoute online-boutique\/frontend: parent Service online-boutique\/frontend is in ambient with no waypoint/,
        },
        {
            code: "BM018",
            what: "a mesh VirtualService on an ambient host whose Service opts out of the waypoint",
            lab: () => broken(ambientIstio, named("Service", "recommendationservice"), (svc) => (svc.metadata.labels = { "istio.io/use-waypoint": "none" })),
            message:
                /VirtualService online-boutique\/recommendationservice: recommendationservice\.online-boutique\.svc\.cluster\.local is in ambient with no waypoint/,
        },
        {
            code: "BM012",
            what: "an HTTPRoute on a Gateway that is not declared",
            lab: () => broken(gatewayApi, route("frontend-ingress"), (r) => (r.spec.parentRefs[0].namespace = NS)),
            message: /HTTPRoute online-boutique\/frontend-ingress: parent Gateway online-boutique\/frontend-gateway is not declared/,
        },
        {
            code: "BM012",
            what: "an HTTPRoute of a namespace the Gateway does not admit",
            lab: () => broken(gatewayApi, apiGateway, (gw) => (gw.spec.listeners[0].allowedRoutes = { namespaces: { from: "Same" } })),
            message: /Gateway istio-system\/frontend-gateway admits no route of namespace online-boutique/,
        },
        {
            code: "BM012",
            what: "a mesh HTTPRoute on a Service that is not declared",
            lab: () => broken(gatewayApi, route("frontend"), (r) => (r.spec.parentRefs[0].name = "frontend-web")),
            message: /parent Service online-boutique\/frontend-web is not declared/,
        },
        {
            code: "BM013",
            what: "a backend that is no Service of the namespace",
            lab: () => broken(gatewayApi, route("frontend-ingress"), (r) => (r.spec.rules[0].backendRefs[1].name = "frontend-v2")),
            message: /backend frontend-v2 is no Service of namespace online-boutique/,
        },
        {
            code: "BM013",
            what: "a backend port the Service lacks",
            lab: () => broken(gatewayApi, route("frontend"), (r) => (r.spec.rules[0].backendRefs[0].port = 8080)),
            message: /backend frontend-original port 8080 is not a port of Service online-boutique\/frontend-original \(80\)/,
        },
        {
            code: "BM014",
            what: "a rule whose backends all weigh 0",
            lab: () => broken(gatewayApi, route("frontend"), (r) => r.spec.rules[0].backendRefs.forEach((b: Obj) => (b.weight = 0))),
            message: /HTTPRoute online-boutique\/frontend: every backend weighs 0/,
        },
        {
            code: "BM015",
            what: "a Gateway API Gateway bound to a Service of another namespace",
            lab: () => broken(gatewayApi, apiGateway, (gw) => (gw.metadata.namespace = NS)),
            message:
                /Gateway online-boutique\/frontend-gateway: address istio-ingressgateway\.istio-system\.svc\.cluster\.local is no gateway Service of namespace online-boutique/,
        },
        {
            code: "BM016",
            what: "a host routed by a VirtualService and an HTTPRoute",
            lab: () =>
                withObject(gatewayApi, {
                    apiVersion: NET,
                    kind: "VirtualService",
                    metadata: { name: "frontend", namespace: NS },
                    spec: { hosts: ["frontend"], http: [{ route: [{ destination: { host: "frontend" } }] }] },
                }),
            message: /frontend\.online-boutique\.svc\.cluster\.local is routed by VirtualService online-boutique\/frontend too/,
        },
    ];

    for (const c of cases) {
        it(`${c.code} fires on ${c.what}`, async () => {
            const findings = analyze(await c.lab());
            const hit = findings.find((f) => f.code === c.code);
            assert.ok(hit, `expected ${c.code}, got ${findings.map(formatFinding).join("\n") || "nothing"}`);
            assert.match(formatFinding(hit), c.message);
        });
    }

    it("ambient: a Service's own waypoint label wins over its namespace's, and a sidecar namespace needs none", () => {
        const ownWaypoint = broken(
            broken(ambient, named("Namespace", NS), noWaypointLabel),
            named("Service", "frontend"),
            (svc) => (svc.metadata.labels = { ...svc.metadata.labels, "istio.io/use-waypoint": "waypoint" }),
        );
        assert.deepEqual(
            analyze(ownWaypoint)
                .filter((f) => f.object.includes("/frontend"))
                .map(formatFinding),
            [],
        );
        assert.ok(!codes(canary).includes("BM018"), "sidecars apply their routes");
    });

    it("ambient: `none` opts out of a waypoint without naming one; a waypoint must be of class istio-waypoint; only Service parents need one", () => {
        const optedOut = broken(ambient, named("Namespace", NS), (ns) => (ns.metadata.labels["istio.io/use-waypoint"] = "none"));
        assert.ok(!codes(optedOut).includes("BM017"), "none names no waypoint");
        assert.ok(codes(optedOut).includes("BM018"), "and the in-mesh routes then apply nowhere");
        const wrongClass = broken(
            ambient,
            (o) => o.kind === "Gateway" && o.metadata?.name === "waypoint",
            (gw) => (gw.spec.gatewayClassName = "istio"),
        );
        assert.match(analyze(wrongClass).map(formatFinding).join("\n"), /BM017 Namespace online-boutique: istio\.io\/use-waypoint=waypoint names no Gateway/);
        const elsewhere = broken(
            ambient,
            (o) => o.kind === "Gateway" && o.metadata?.name === "waypoint",
            (gw) => (gw.metadata.namespace = "other"),
        );
        assert.ok(codes(elsewhere).includes("BM017"), "a waypoint of another namespace is not the namespace's");
        const nameless = withObject(ambient, { apiVersion: "v1", kind: "Namespace", metadata: { labels: { "istio.io/use-waypoint": "w" } } });
        assert.match(
            analyze(nameless).map(formatFinding).join("\n"),
            /BM017 Namespace \(unnamed\): istio\.io\/use-waypoint=w names no Gateway of class istio-waypoint in namespace ;/,
        );
        // A Gateway parent named like an ambient Service, or a parent of another group, is no Service to serve.
        const noWaypoint = broken(ambient, named("Namespace", NS), noWaypointLabel);
        const gatewayParents = broken(
            noWaypoint,
            route("frontend"),
            (r) =>
                (r.spec.parentRefs = [
                    { group: "gateway.networking.k8s.io", kind: "Gateway", name: "frontend" },
                    { group: "x.io", kind: "Service", name: "frontend" },
                    { group: "", kind: "Pod", name: "frontend" },
                ]),
        );
        assert.deepEqual(
            analyze(gatewayParents)
                .filter((f) => f.code === "BM018")
                .map(formatFinding),
            [],
        );
    });

    it("takes ServiceEntry hosts as known, wildcards as a suffix of whole labels", () => {
        const external = (host: string) =>
            withObject(canary, {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: "external", namespace: "online-boutique" },
                spec: { hosts: [host], http: [{ route: [{ destination: { host } }] }] },
            });
        assert.deepEqual(codes(external("accounts.google.com")), [], "an exact ServiceEntry host");
        assert.deepEqual(codes(external("storage.googleapis.com")), [], "under *.googleapis.com");
        assert.deepEqual(codes(external("metadata.google.internal")), []);
        assert.deepEqual(codes(external("googleapis.com")), ["BM001", "BM001"], "the wildcard covers subdomains only");
        assert.deepEqual(codes(external("storage.googleapis.com.evil.example")), ["BM001", "BM001"]);
        const rule = withObject(canary, {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "google", namespace: "online-boutique" },
            spec: { host: "www.googleapis.com", subsets: [{ name: "any", labels: { version: "x" } }] },
        });
        assert.deepEqual(codes(rule), [], "no pods to select behind a ServiceEntry, so no BM004 either");
    });

    it("reads weights only where there are some: one destination without a weight is whole", () => {
        const single = broken(canary, named("VirtualService", "frontend"), (vs) => {
            vs.spec.http[0].route = [{ destination: vs.spec.http[0].route[0].destination }];
        });
        assert.deepEqual(codes(single), []);
        const hundred = broken(canary, named("VirtualService", "frontend"), (vs) => {
            vs.spec.http[0].route = [{ ...vs.spec.http[0].route[0], weight: 100 }];
        });
        assert.deepEqual(codes(hundred), []);
    });

    it("names ports as Istio reads them: a protocol prefix in any case, grpc-web, appProtocol, UDP", () => {
        const named = (port: Obj) =>
            broken(
                canary,
                (o) => o.kind === "Service" && o.metadata?.name === "cartservice",
                (svc) => (svc.spec.ports = [port]),
            );
        for (const name of [
            "tcp",
            "udp",
            "grpc",
            "http",
            "http_proxy",
            "http2",
            "https",
            "tls",
            "mongo",
            "redis",
            "mysql",
            "GRPC-cart",
            "grpc-web-x",
            "Http2",
        ]) {
            assert.deepEqual(codes(named({ name, port: 7070, targetPort: 7070 })), [], name);
        }
        for (const name of ["cart", "grpcweb", "web-grpc", "h2", ""]) {
            assert.deepEqual(codes(named({ name, port: 7070, targetPort: 7070 })), ["BM009"], name);
        }
        assert.deepEqual(analyze(named({ port: 7070, targetPort: 7070 })).map(formatFinding), [
            'warning BM009 Service online-boutique/cartservice: port 7070 is named ""; name it <protocol>[-suffix] (http, grpc, tcp, ...) or set appProtocol so Istio does not treat it as opaque TCP',
        ]);
        assert.deepEqual(codes(named({ name: "cart", appProtocol: "grpc", port: 7070, targetPort: 7070 })), []);
        assert.deepEqual(codes(named({ name: "dns", protocol: "UDP", port: 7070, targetPort: 7070 })), []);
        const outside = broken(
            canary,
            (o) => o.kind === "Service" && o.metadata?.namespace === "istio-system",
            (svc) => (svc.spec.ports[0].name = "web"),
        );
        assert.deepEqual(codes(outside), [], "only in an injected namespace");
    });

    it("takes istio.io/rev as injection, and workloads that opt out need none", () => {
        const revision = broken(canary, named("Namespace", "online-boutique"), (ns) => (ns.metadata.labels = { "istio.io/rev": "1-30" }));
        assert.deepEqual(codes(revision), []);
        const optedOut = broken(canary, named("Namespace", "online-boutique"), (ns) => (ns.metadata.labels = {}));
        for (const r of optedOut.resources.filter((r) => r.inputs.kind === "Deployment" && r.inputs.metadata.namespace === "online-boutique")) {
            r.inputs.spec.template.metadata.labels["sidecar.istio.io/inject"] = "false";
        }
        assert.deepEqual(codes(optedOut), [], "no mesh workload left, and BM009/BM010 look only at injected namespaces");
    });

    it("reads every route kind, a port only where given, subsets of every DestinationRule for a host", () => {
        const tcp = broken(canary, named("VirtualService", "frontend"), (vs) => {
            vs.spec.tcp = [{ route: [{ destination: { host: "nowhere", port: { number: 1 } } }] }];
            vs.spec.tls = [{ match: [{ sniHosts: ["x"] }], route: [{ destination: { host: "frontend", port: { number: 9 } } }] }];
        });
        assert.deepEqual(codes(tcp), ["BM002", "BM001"], "the TLS route's port, the TCP route's host");
        const portless = broken(canary, named("VirtualService", "frontend"), (vs) => {
            for (const r of vs.spec.http[0].route) delete r.destination.port;
        });
        assert.deepEqual(codes(portless), []);
        const split = broken(canary, named("DestinationRule", "frontend"), (dr) => (dr.spec.subsets = [dr.spec.subsets[0]]));
        const second = withObject(split, {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "frontend-v1", namespace: "online-boutique" },
            spec: { host: "frontend", subsets: [{ name: "v1", labels: { version: "1.0.0" } }] },
        });
        assert.deepEqual(codes(second), [], "v1 is defined by the second rule for the same host");
    });

    it("counts a VirtualService bound to the mesh and a gateway among the mesh's, and finds Gateways in their namespace", () => {
        const both = withObject(canary, {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "frontend-both", namespace: "online-boutique" },
            spec: { hosts: ["frontend"], gateways: ["mesh", "online-boutique/frontend-gateway"], http: [{ route: [{ destination: { host: "frontend" } }] }] },
        });
        assert.deepEqual(codes(both), ["BM007", "BM007"]);
        const wildcard = withObject(canary, {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "any-google", namespace: "online-boutique" },
            spec: { hosts: ["*.googleapis.com"], http: [{ route: [{ destination: { host: "www.googleapis.com" } }] }] },
        });
        assert.deepEqual(codes(wildcard), []);
    });

    it("computes gateway pod labels as the gateway chart does", () => {
        const relabel = (labels: Obj, selector: Obj) => {
            const lab = broken(
                canary,
                (o) => o.chart === "gateway" && o.name === "istio-ingressgateway",
                (chart) => (chart.values = { ...chart.values, labels }),
            );
            return broken(lab, named("Gateway", "frontend-gateway"), (gw) => (gw.spec.selector = selector));
        };
        assert.deepEqual(codes(relabel({ istio: "edge" }, { istio: "edge" })), []);
        assert.deepEqual(codes(relabel({}, { app: "istio-ingressgateway", istio: "ingressgateway" })), []);
        assert.deepEqual(codes(relabel({ app: "edge-app" }, { app: "edge-app" })), []);
        assert.deepEqual(codes(relabel({}, { istio: "istio-ingressgateway" })), ["BM005"], "the release name loses its istio- prefix");
        const renamed = broken(
            canary,
            (o) => o.chart === "gateway" && o.name === "istio-ingressgateway",
            (chart) => (chart.values = { ...chart.values, labels: {}, name: "edge-istio-gw" }),
        );
        assert.deepEqual(
            codes(broken(renamed, named("Gateway", "frontend-gateway"), (gw) => (gw.spec.selector = { istio: "edge-istio-gw" }))),
            [],
            "only a leading istio-",
        );
        const none = structuredClone(canary);
        none.resources = none.resources.filter((r) => !(r.type === "kubernetes:helm.sh/v4:Chart" && String(r.inputs.chart).endsWith("gateway")));
        assert.match(
            analyze(none).map(formatFinding).join("\n"),
            /BM005 Gateway online-boutique\/frontend-gateway: .*matches no gateway deployment of the lab \(none\)/,
        );
    });

    it("takes a Service without a spec as selecting nothing, also behind a DestinationRule's subsets", () => {
        const specless = broken(canary, named("Service", "frontend"), (svc) => delete svc.spec);
        const findings = analyze(specless).map(formatFinding).join("\n");
        assert.match(findings, /BM004 DestinationRule online-boutique\/frontend: subset original /);
        assert.match(findings, /BM010 Deployment online-boutique\/frontend: /);
    });

    it("reads a route without a destination as going nowhere, even where a wildcard ServiceEntry knows every host", () => {
        const wildcard = {
            apiVersion: NET,
            kind: "ServiceEntry",
            metadata: { name: "everything", namespace: NS },
            spec: { hosts: ["*.svc.cluster.local"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "NONE" },
        };
        const lab = broken(withObject(canary, wildcard), named("VirtualService", "frontend"), (vs) => vs.spec.http[0].route.push({ weight: 0 }));
        assert.doesNotThrow(() => analyze(lab));
    });

    it("BM010: a Service of another namespace does not select a workload, and the finding names the workload's own Deployment", () => {
        const deployment = (namespace: string) => ({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "listener", namespace },
            spec: {
                selector: { matchLabels: { app: "listener" } },
                template: {
                    metadata: { labels: { app: "listener" } },
                    spec: { containers: [{ name: "l", image: "l", ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] },
                },
            },
        });
        const elsewhere = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "listener", namespace: "default" },
            spec: { selector: { app: "listener" }, ports: [{ name: "http", port: 8080 }] },
        };
        const lab = withObject(canary, deployment("default"), elsewhere, deployment(NS));
        assert.deepEqual(
            analyze(lab)
                .filter((f) => f.code === "BM010")
                .map(formatFinding),
            [`error BM010 Deployment ${NS}/listener: listens on 8080, 9090 but no Service selects its pods; Istio routes only to Services`],
        );
    });

    it("takes a Service without a selector as selecting nothing", () => {
        const bare = broken(canary, named("Service", "adservice"), (svc) => delete svc.spec.selector);
        assert.deepEqual(codes(bare), ["BM010"]);
    });

    it("finds istiod and the gateways by chart name, also from an OCI repository, and reads the cluster domain from istiod", async () => {
        const lab = await evaluateConfig({ scenario: "canary", istio: { chartRepository: "oci://m.lab/istio" }, cluster: { domain: "lab.internal" } });
        assert.deepEqual(codes(lab), []);
        const withoutIstiod = structuredClone(canary);
        withoutIstiod.resources = withoutIstiod.resources.filter((r) => !(r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "istiod"));
        assert.deepEqual(codes(withoutIstiod), [], "cluster.local when no istiod says otherwise");
    });

    it("reads an object without a namespace as Kubernetes does, in default", () => {
        const lab = withObject(canary, {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "stray" },
            spec: { hosts: ["frontend"], http: [{ route: [{ destination: { host: "frontend" } }] }] },
        });
        assert.match(
            analyze(lab).map(formatFinding).join("\n"),
            /^error BM001 VirtualService stray: host frontend \(frontend\.default\.svc\.cluster\.local\) is no Service or ServiceEntry host/m,
        );
    });

    it("takes an HTTP route without destinations (a redirect) as routing nowhere", () => {
        const redirect = broken(canary, named("VirtualService", "frontend-ingress"), (vs) => {
            vs.spec.http = [{ match: [{ uri: { prefix: "/old" } }], redirect: { uri: "/" } }, ...vs.spec.http];
        });
        assert.deepEqual(codes(redirect), []);
    });

    it("reads objects with only what their schema requires, without failing on what is absent", () => {
        const sparse = withObject(
            canary,
            { apiVersion: NET, kind: "VirtualService", metadata: { name: "bare-vs", namespace: NS } },
            { apiVersion: NET, kind: "VirtualService", metadata: { name: "bare-vs-2", namespace: NS } },
            { apiVersion: NET, kind: "VirtualService", spec: { hosts: ["frontend"] } },
            {
                apiVersion: NET,
                kind: "VirtualService",
                metadata: { name: "no-destination", namespace: NS },
                spec: { hosts: ["cartservice"], http: [{ route: [{}] }] },
            },
            {
                apiVersion: NET,
                kind: "VirtualService",
                metadata: { name: "to-bare-svc", namespace: NS },
                spec: { hosts: ["bare-svc"], http: [{ route: [{ destination: { host: "bare-svc", port: { number: 80 } } }] }] },
            },
            { apiVersion: NET, kind: "DestinationRule", metadata: { name: "bare-dr", namespace: NS } },
            { apiVersion: NET, kind: "DestinationRule", metadata: { name: "no-subsets", namespace: NS }, spec: { host: "cartservice" } },
            {
                apiVersion: NET,
                kind: "DestinationRule",
                metadata: { name: "unlabelled", namespace: NS },
                spec: { host: "cartservice", subsets: [{ name: "all" }] },
            },
            { apiVersion: NET, kind: "Gateway", metadata: { name: "bare-gw", namespace: NS } },
            { apiVersion: NET, kind: "ServiceEntry", metadata: { name: "bare-se", namespace: NS } },
            { apiVersion: "v1", kind: "Service", metadata: { name: "bare-svc", namespace: NS } },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "no-spec", namespace: NS } },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "empty-spec", namespace: NS }, spec: {} },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "empty-template", namespace: NS }, spec: { template: {} } },
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "portless", namespace: NS },
                spec: { template: { metadata: {}, spec: { containers: [{ name: "c" }] } } },
            },
        );
        const withChart = withResource(sparse, {
            type: "kubernetes:helm.sh/v4:Chart",
            inputs: { chart: "gateway", name: "istio-extra", namespace: "istio-system" },
        });
        assert.deepEqual(analyze(withChart).map(formatFinding), [
            "error BM001 DestinationRule online-boutique/bare-dr: host undefined (.online-boutique.svc.cluster.local) is no Service or ServiceEntry host of the lab; use the Service's name in namespace online-boutique or its full name",
            "error BM001 VirtualService (unnamed): host frontend (frontend.default.svc.cluster.local) is no Service or ServiceEntry host of the lab; sidecars will never match it",
            "error BM001 VirtualService online-boutique/no-destination: destination undefined (.online-boutique.svc.cluster.local) is no Service or ServiceEntry host of the lab; requests will fail with 503",
            "error BM002 VirtualService online-boutique/to-bare-svc: destination bare-svc.online-boutique.svc.cluster.local port 80 is not a port of Service online-boutique/bare-svc ()",
        ]);
    });

    it("ignores resources of other providers, whatever their inputs look like", () => {
        const lookalike = withResource(
            canary,
            {
                type: "command:local:Command",
                inputs: {
                    kind: "Deployment",
                    metadata: { name: "fake", namespace: NS },
                    spec: { template: { metadata: { labels: { app: "fake" } }, spec: { containers: [{ name: "c", ports: [{ containerPort: 1 }] }] } } },
                },
            },
            {
                type: "command:local:Command",
                inputs: { chart: "gateway", name: "istio-fake", namespace: "istio-system", values: { labels: { istio: "fake" } } },
            },
        );
        assert.deepEqual(codes(lookalike), [], "no BM010 for a Deployment that is not one");
        const selectingFake = broken(lookalike, named("Gateway", "frontend-gateway"), (gw) => (gw.spec.selector = { istio: "fake" }));
        assert.deepEqual(codes(selectingFake), ["BM005"], "no gateway chart behind it");
    });

    it("takes the cluster domain from istiod's values, cluster.local when they do not say", () => {
        for (const values of [undefined, {}, { global: {} }, { global: { proxy: {} } }]) {
            const lab = broken(
                canary,
                (o) => o.chart === "istiod",
                (chart) => (chart.values = values),
            );
            assert.deepEqual(codes(lab), [], JSON.stringify(values));
        }
        const other = broken(
            canary,
            (o) => o.chart === "istiod",
            (chart) => (chart.values.global.proxy.clusterDomain = "lab.internal"),
        );
        assert.ok(codes(other).includes("BM001"), "hosts written for cluster.local no longer resolve");
    });

    it("matches wildcards of ServiceEntries on a dot, and leaves wildcard and gateway hosts alone", () => {
        const mesh = (name: string, host: string, gateways?: string[]) => ({
            apiVersion: NET,
            kind: "VirtualService",
            metadata: { name, namespace: NS },
            spec: { hosts: [host], gateways, http: [{ route: [{ destination: { host: "frontend" } }] }] },
        });
        assert.deepEqual(codes(withObject(canary, mesh("x", "xaccounts.google.com"))), ["BM001"]);
        assert.deepEqual(codes(withObject(canary, mesh("x", "*.example.com"))), [], "a wildcard host is not a Service to resolve");
        assert.deepEqual(codes(withObject(canary, mesh("x", "shop.example.com", ["frontend-gateway"]))), [], "a gateway's hosts are outside names");
        assert.deepEqual(
            codes(
                withObject(canary, mesh("a", "*"), {
                    ...mesh("b", "*"),
                    metadata: { name: "b", namespace: "other" },
                    spec: { hosts: ["*"], http: [{ route: [{ destination: { host: "frontend.online-boutique.svc.cluster.local" } }] }] },
                }),
            ),
            ["BM007", "BM007"],
            "* is every host, in any namespace",
        );
    });

    it("binds to the named Gateway of the named namespace among several", () => {
        const second = withObject(canary, {
            apiVersion: NET,
            kind: "Gateway",
            metadata: { name: "admin-gateway", namespace: NS },
            spec: { selector: { istio: "ingressgateway" }, servers: [] },
        });
        assert.deepEqual(codes(second), []);
        assert.deepEqual(codes(broken(second, named("VirtualService", "frontend-ingress"), (vs) => (vs.spec.gateways = ["online-boutique/nope"]))), ["BM006"]);
        const atGateway = withObject(canary, {
            apiVersion: NET,
            kind: "VirtualService",
            metadata: { name: "frontend-at-gateway", namespace: NS },
            spec: { hosts: ["frontend"], gateways: ["frontend-gateway"], http: [{ route: [{ destination: { host: "frontend" } }] }] },
        });
        assert.deepEqual(codes(atGateway), [], "a gateway-only VirtualService is no second mesh route");
    });

    it("weighs a route of several destinations even without weights, and finds the port among several", () => {
        const unweighted = broken(canary, named("VirtualService", "frontend"), (vs) => {
            for (const r of vs.spec.http[0].route) delete r.weight;
        });
        assert.match(analyze(unweighted).map(formatFinding).join("\n"), /BM008 VirtualService online-boutique\/frontend: route weights sum to 0/);
        const twoPorts = broken(canary, named("Service", "frontend"), (svc) => svc.spec.ports.push({ name: "http-admin", port: 8081, targetPort: 8080 }));
        assert.deepEqual(codes(twoPorts), []);
        const wrongPort = broken(twoPorts, named("VirtualService", "frontend"), (vs) => (vs.spec.http[0].route[0].destination.port.number = 9090));
        assert.match(analyze(wrongPort).map(formatFinding).join("\n"), /port 9090 is not a port of Service online-boutique\/frontend \(80, 8081\)/);
    });

    it("selects a subset's pods only in its Service's namespace", () => {
        const moved = broken(canary, named("Deployment", "frontend-v1"), (d) => (d.metadata.namespace = "other"));
        assert.match(analyze(moved).map(formatFinding).join("\n"), /BM004 DestinationRule online-boutique\/frontend: subset v1 /);
    });

    it("Gateway API: one weightless backend among weighted ones is fine, a listener open to All admits, a backend of another kind is not a Service", () => {
        assert.deepEqual(codes(broken(gatewayApi, route("frontend"), (r) => (r.spec.rules[0].backendRefs[1].weight = 0))), []);
        assert.deepEqual(codes(broken(gatewayApi, apiGateway, (gw) => (gw.spec.listeners[0].allowedRoutes = { namespaces: { from: "All" } }))), []);
        const entry = broken(
            gatewayApi,
            route("frontend"),
            (r) => (r.spec.rules[0].backendRefs[0] = { group: "networking.istio.io", kind: "ServiceEntry", name: "x" }),
        );
        assert.deepEqual(codes(entry), []);
    });

    it("lists every rule with what it finds on --help", async () => {
        const { value: code, out } = await captureStderr(() => main(["--help"]));
        assert.equal(code, 0);
        const rules = out.split("rules:\n")[1].trimEnd().split("\n");
        assert.deepEqual(
            rules.map((line) => line.slice(2, 7)),
            Object.keys(RULES),
        );
        for (const line of rules) assert.match(line, /^ {2}BM\d{3} {2}\S+( \S+){3,}$/, line);
    });

    it("has a firing case for every rule", () => {
        assert.deepEqual([...new Set(cases.map((c) => c.code))].sort(), Object.keys(RULES).sort());
    });

    it("resolves short names in the object's namespace and a custom cluster domain", async () => {
        const lab = await evaluateConfig({ scenario: "canary", boutique: { namespace: "shop" }, cluster: { domain: "lab.internal" } });
        assert.deepEqual(codes(lab), []);
        const short = broken(lab, named("VirtualService", "frontend"), (vs) => (vs.spec.hosts = ["frontend"]));
        assert.deepEqual(codes(short), []);
    });

    it("prints a summary and exits 0 on a clean stack, 2 on a bad command line", async () => {
        const lines: string[] = [];
        const log = console.log;
        console.log = (line: string) => lines.push(line);
        try {
            assert.equal(await main(["dev"]), 0);
        } finally {
            console.log = log;
        }
        assert.match(lines[lines.length - 1], /^Pulumi\.dev\.yaml: 0 error\(s\), 0 warning\(s\), \d+ resources checked$/);
        const write = process.stderr.write;
        process.stderr.write = () => true;
        try {
            assert.equal(await main(["no-such-stack"]), 2);
        } finally {
            process.stderr.write = write;
        }
    });
});
