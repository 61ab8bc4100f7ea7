/**
 * The Envoy proof's reading of istiod (e2e/envoy/istiod.ts), rule by rule against the lines it cites
 * (istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/route/route.go and retry/retry.go). The e2e then
 * runs these routes on a real Envoy; here each rule is pinned without one.
 */
import { strict as assert } from "assert";
import { DEFAULT_RETRY_POLICY, FAULT_FILTER, ServicePort, clusterName, httpFault, retryPolicy, translate, translateRoute } from "../e2e/envoy/istiod";
import { labObjects } from "../e2e/envoy/lab-objects";
import { virtualServicesOf } from "../e2e/envoy/gateway-api";
import { evaluateConfig } from "./support/lab";
import { evaluatedStack } from "./support/lab";

const CATALOG = "productcatalogservice.online-boutique.svc.cluster.local";
const FRONTEND = "frontend.online-boutique.svc.cluster.local";
const PORTS: ServicePort[] = [
    { host: CATALOG, port: 3550, protocol: "grpc" },
    { host: FRONTEND, port: 80, protocol: "http" },
];
const to = (host: string, extra: Record<string, unknown> = {}) => ({ destination: { host, ...extra } });

describe("the routes istiod would send (the Envoy proof's translation)", () => {
    it("a VirtualService percentage in parts per million, truncated (route.go 1370-1375); the deprecated integer percent in hundredths", () => {
        assert.deepEqual(httpFault({ delay: { fixedDelay: "5s", percentage: { value: 50 } } })!.delay, {
            fixed_delay: "5s",
            percentage: { numerator: 500000, denominator: "MILLION" },
        });
        assert.deepEqual(httpFault({ abort: { httpStatus: 500, percentage: { value: 0.00015 } } })!.abort, {
            http_status: 500,
            percentage: { numerator: 1, denominator: "MILLION" },
        });
        assert.deepEqual(httpFault({ delay: { fixedDelay: "1500ms", percent: 7 } })!.delay, {
            fixed_delay: "1.5s",
            percentage: { numerator: 7, denominator: "HUNDRED" },
        });
    });

    it("an abort without a percentage has none, so Envoy aborts nothing (route.go 1413-1415); no fault, no filter config", () => {
        assert.deepEqual(httpFault({ abort: { httpStatus: 503 } }), {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
            abort: { http_status: 503 },
        });
        assert.equal(httpFault(undefined), undefined);
        assert.equal(translateRoute({ route: [to(CATALOG)] }, PORTS).typed_per_filter_config, undefined);
        assert.throws(() => httpFault({ delay: { exponentialDelay: "1s", percentage: { value: 1 } } }), /only a fixed delay/);
    });

    it("Istio's default retries where the VirtualService sets none (retry.go 36-50); attempts 0 turns retries off (105-108)", () => {
        assert.deepEqual(DEFAULT_RETRY_POLICY, {
            retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
            num_retries: 2,
            retry_host_predicate: [
                {
                    name: "envoy.retry_host_predicates.previous_hosts",
                    typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" },
                },
            ],
            host_selection_retry_max_attempts: 5,
        });
        assert.equal(retryPolicy(undefined), DEFAULT_RETRY_POLICY);
        assert.equal(retryPolicy({ attempts: 0, perTryTimeout: "1s" }), undefined);
        assert.equal(translateRoute({ route: [to(CATALOG)], retries: { attempts: 0 } }, PORTS).route.retry_policy, undefined);
    });

    it("the VirtualService's retries over the defaults: attempts, per-try timeout, retryOn split into conditions and status codes (retry.go 110-128, 152-174)", () => {
        assert.deepEqual(retryPolicy({ attempts: 3, perTryTimeout: "1s", retryOn: "gateway-error,connect-failure,refused-stream" }), {
            ...DEFAULT_RETRY_POLICY,
            num_retries: 3,
            per_try_timeout: "1s",
            retry_on: "gateway-error,connect-failure,refused-stream",
        });
        assert.deepEqual(retryPolicy({ attempts: 2, retryOn: " 503 ,reset,504" }), {
            ...DEFAULT_RETRY_POLICY,
            num_retries: 2,
            retry_on: "reset,retriable-status-codes",
            retriable_status_codes: [503, 504],
        });
        assert.equal(retryPolicy({ attempts: 2, retryOn: "retriable-status-codes,503" })!.retry_on, "retriable-status-codes");
        assert.equal(retryPolicy({ attempts: 2 })!.retry_on, DEFAULT_RETRY_POLICY.retry_on);
        assert.throws(() => retryPolicy({ attempts: 2, retryRemoteLocalities: true }), /retries\.retryRemoteLocalities is not translated/);
    });

    it("no timeout means none at all, 0s, and max_grpc_timeout follows the route timeout (route.go 71, 1335-1355)", () => {
        assert.deepEqual(
            [translateRoute({ route: [to(CATALOG)] }, PORTS).route.timeout, translateRoute({ route: [to(CATALOG)] }, PORTS).route.max_grpc_timeout],
            ["0s", "0s"],
        );
        const timed = translateRoute({ route: [to(CATALOG)], timeout: "2s" }, PORTS).route;
        assert.deepEqual([timed.timeout, timed.max_grpc_timeout], ["2s", "2s"]);
    });

    it("one destination is a cluster with its headers on the route; several are weighted clusters, zero weights left out, headers on each (route.go 686-763)", () => {
        const set = (v: string) => ({ response: { set: { "x-boutique-version": v } } });
        const one = translateRoute(
            { route: [{ ...to(FRONTEND, { port: { number: 80 }, subset: "original" }), headers: set("original"), weight: 100 }] },
            PORTS,
        );
        assert.equal(one.route.cluster, `outbound|80|original|${FRONTEND}`);
        assert.deepEqual(one.response_headers_to_add, [
            { header: { key: "x-boutique-version", value: "original" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        ]);
        const split = translateRoute(
            {
                route: [
                    { ...to(FRONTEND, { subset: "original" }), headers: set("original"), weight: 70 },
                    { ...to(FRONTEND, { subset: "v1" }), headers: { response: { add: { a: "1" } } }, weight: 30 },
                    { ...to(FRONTEND, { subset: "v2" }), weight: 0 },
                ],
            },
            PORTS,
        );
        assert.equal(split.route.cluster, undefined);
        assert.deepEqual(split.route.weighted_clusters, {
            clusters: [
                {
                    name: `outbound|80|original|${FRONTEND}`,
                    weight: 70,
                    response_headers_to_add: [{ header: { key: "x-boutique-version", value: "original" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }],
                },
                {
                    name: `outbound|80|v1|${FRONTEND}`,
                    weight: 30,
                    response_headers_to_add: [{ header: { key: "a", value: "1" }, append_action: "APPEND_IF_EXISTS_OR_ADD" }],
                },
            ],
        });
        assert.equal(clusterName(CATALOG, 3550), `outbound|3550||${CATALOG}`);
    });

    it("refuses what it does not translate, rather than dropping it", () => {
        assert.throws(() => translateRoute({ match: [{ uri: { prefix: "/a" } }], route: [to(CATALOG)] }, PORTS), /http\.match is not translated/);
        assert.throws(() => translateRoute({ route: [] }, PORTS), /without a destination/);
        assert.throws(() => translateRoute({ route: [to("nowhere.example")] }, PORTS), /no Service port for nowhere\.example/);
    });

    for (const stack of ["fault-delay", "fault-abort", "timeout", "retry", "canary"]) {
        it(`${stack}: every Service has routes, the scenario's policy lands on its own Service only, every route's cluster exists`, async () => {
            const lab = labObjects((await evaluatedStack(stack)).resources, "online-boutique");
            const t = translate(lab, "frontend-gateway");
            assert.deepEqual(t.sidecar.map((v) => v.name).sort(), lab.ports.map((p) => `${p.host}:${p.port}`).sort());
            const names = new Set(t.clusters.map((c) => c.name));
            for (const route of [...t.sidecar, ...t.ingress].flatMap((v) => v.routes)) {
                for (const c of route.route.weighted_clusters?.clusters.map((w) => w.name) ?? [route.route.cluster!]) assert.ok(names.has(c), c);
            }
            const touched = t.sidecar.filter((v) =>
                v.routes.some((r) => r.typed_per_filter_config?.[FAULT_FILTER] || r.route.timeout !== "0s" || r.route.retry_policy !== DEFAULT_RETRY_POLICY),
            );
            const expected = {
                "fault-delay": ["recommendationservice"],
                "fault-abort": ["productcatalogservice"],
                timeout: ["productcatalogservice"],
                retry: ["productcatalogservice"],
                canary: [],
            }[stack];
            assert.deepEqual(
                touched.map((v) => v.name.split(".")[0]).filter((n) => n !== "frontend"),
                expected,
            );
            assert.equal(t.ingress.length, 1);
            assert.deepEqual(t.ingress[0].domains, ["*"]);
        });
    }

    it("gateway-api-canary: its HTTPRoutes become the routes Istio's API gives, to a Service per version instead of a subset", async () => {
        const version = (host: string, subset?: string) => subset || host.split(".")[0].replace(/^frontend-/, "");
        const shape = (t: ReturnType<typeof translate>) =>
            [...t.ingress, ...t.sidecar.filter((v) => v.name.startsWith("frontend."))].map((v) =>
                v.routes.map((r) => ({
                    timeout: r.route.timeout,
                    split: r.route.weighted_clusters!.clusters.map((c) => {
                        const [, , subset, host] = c.name.split("|");
                        return [version(host, subset), c.weight, c.response_headers_to_add?.[0].header.value];
                    }),
                })),
            );
        const gatewayApi = labObjects((await evaluatedStack("gateway-api-canary")).resources, "online-boutique");
        const istio = labObjects((await evaluatedStack("canary")).resources, "online-boutique");
        const split = [
            [
                {
                    timeout: "0s",
                    split: [
                        ["original", 70, "original"],
                        ["v1", 30, "v1"],
                    ],
                },
            ],
        ];
        assert.deepEqual(shape(translate(gatewayApi, "frontend-gateway")), [...split, ...split], "at the ingress and in the mesh");
        assert.deepEqual(shape(translate(gatewayApi, "frontend-gateway")), shape(translate(istio, "frontend-gateway")));
    });

    it("HTTPRoutes: a lone backend is unweighted, request timeouts become the route's, what the lab never writes is refused", async () => {
        const timeout = labObjects((await evaluateConfig({ istio: { routingApi: "gateway-api" }, scenario: "timeout" })).resources, "online-boutique");
        const catalog = timeout.virtualServices.find((v) => v.spec?.hosts?.[0] === CATALOG)!;
        assert.deepEqual(catalog.spec!.http, [{ timeout: "2s", route: [{ destination: { host: CATALOG, port: { number: 3550 } }, weight: 0 }] }]);
        const route = (
            rule: object,
            parentRefs: { group?: string; kind?: string; name: string }[] = [{ group: "", kind: "Service", name: "productcatalogservice" }],
        ) =>
            virtualServicesOf(
                [
                    {
                        apiVersion: "gateway.networking.k8s.io/v1",
                        kind: "HTTPRoute",
                        metadata: { name: "r", namespace: "online-boutique" },
                        spec: { parentRefs, rules: [rule] },
                    },
                ],
                "frontend-gateway",
            );
        assert.deepEqual(
            route({ timeouts: { request: "0s" }, backendRefs: [{ name: "a", port: 1 }] })[0].spec!.http![0].timeout,
            undefined,
            "0s is no timeout",
        );
        assert.throws(() => route({ matches: [{ path: { value: "/" } }], backendRefs: [] }), /rule\.matches is not translated/);
        assert.throws(() => route({ timeouts: { backendRequest: "1s" }, backendRefs: [] }), /timeouts\.backendRequest is not translated/);
        assert.throws(() => route({ backendRefs: [{ name: "a", port: 1, filters: [{ type: "RequestMirror" }] }] }), /backend filter RequestMirror/);
        assert.throws(() => route({ backendRefs: [] }, [{ kind: "Gateway", name: "other" }]), /parent Gateway other/);
    });

    it("the catalog's own latency comes from its Deployment (EXTRA_LATENCY), and every gRPC port's cluster speaks HTTP/2", async () => {
        const lab = labObjects((await evaluatedStack("retry")).resources, "online-boutique");
        assert.deepEqual(lab.latencyMs, { productcatalogservice: 6000 });
        assert.ok(!lab.ports.some((p) => p.host.startsWith("redis-cart.")), "redis-cart's port is TCP: no HTTP routes");
        const t = translate(lab, "frontend-gateway");
        assert.ok(t.clusters.filter((c) => c.port !== 80).every((c) => c.http2));
        assert.ok(t.clusters.filter((c) => c.host === FRONTEND).every((c) => !c.http2));
    });
});
