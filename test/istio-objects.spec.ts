import { strict as assert } from "assert";
import {
    VERSION_HEADER,
    egressServiceEntries,
    frontendGateway,
    frontendRouting,
    networkingApi,
    routePolicy,
    routedVersions,
    routesPolicy,
    serviceHost,
    serviceVirtualService,
} from "../components/routing/objects";
import { Scenario, ServicePolicy } from "../stacks";
import { frontendVersions } from "../components/shop/workloads";

/** Tetrate's v1 image, the lab's default second frontend: its pods carry version 1.0.0. */
const V1_FRONTEND = frontendVersions({ image: "gcr.io/tetratelabs/boutique-frontend:1.0.0", version: "1.0.0" });

const V1 = "networking.istio.io/v1";
const V1BETA1 = "networking.istio.io/v1beta1";
const place = { namespace: "shop", clusterDomain: "lab.internal", networkingApi: V1 };
const old = { ...place, networkingApi: V1BETA1 };
const scenario = (frontend: Scenario["frontend"], services: Scenario["services"] = {}): Scenario => ({ description: "test", frontend, services });

describe("istio-objects: the Istio objects a lab declares, as data", () => {
    it("speaks networking.istio.io/v1 from Istio 1.22.0, v1beta1 before", () => {
        // Istio 1.22 promoted the networking API to v1 (istio.io/api v1.22.0, networking/v1).
        assert.equal(networkingApi("1.22.0"), V1);
        assert.equal(networkingApi("1.30.3"), V1);
        assert.equal(networkingApi("2.0.0"), V1);
        assert.equal(networkingApi("1.21.6"), V1BETA1);
        assert.equal(networkingApi("1.14.0"), V1BETA1);
    });

    it("derives a Service's host from the namespace and the cluster domain", () => {
        assert.equal(serviceHost("cartservice", place), "cartservice.shop.svc.lab.internal");
    });

    it("serves the shop through the ingress gateway's pods on HTTP port 80 for any host", () => {
        assert.deepEqual(frontendGateway(place, { app: "istio-ingressgateway", istio: "ingressgateway" }), {
            apiVersion: V1,
            kind: "Gateway",
            metadata: { name: "frontend-gateway", namespace: "shop" },
            spec: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] },
        });
        assert.equal(frontendGateway(old, { app: "a", istio: "gw" }).apiVersion, V1BETA1);
        assert.deepEqual(frontendGateway(place, { app: "a", istio: "gw" }).spec!.selector, { istio: "gw" });
    });

    it("allows the shop's egress as upstream does", () => {
        // Online Boutique v0.10.6, istio-manifests/allow-egress-googleapis.yaml; location and resolution are the
        // API's defaults, written out (istio.io/api v1.30.3, networking/v1alpha3/service_entry.pb.go:
        // MESH_EXTERNAL = 0, NONE = 0).
        const ports = [
            { number: 80, name: "http", protocol: "HTTP" },
            { number: 443, name: "https", protocol: "HTTPS" },
        ];
        const metadata = (name: string) => ({ name, namespace: "shop" });
        assert.deepEqual(egressServiceEntries(place), [
            {
                apiVersion: V1,
                kind: "ServiceEntry",
                metadata: metadata("allow-egress-googleapis"),
                spec: { location: "MESH_EXTERNAL", resolution: "NONE", hosts: ["accounts.google.com", "*.googleapis.com"], ports },
            },
            {
                apiVersion: V1,
                kind: "ServiceEntry",
                metadata: metadata("allow-egress-google-metadata"),
                spec: { location: "MESH_EXTERNAL", resolution: "NONE", hosts: ["metadata.google.internal"], addresses: ["169.254.169.254"], ports },
            },
        ]);
        assert.deepEqual(
            egressServiceEntries(old).map((e) => e.apiVersion),
            [V1BETA1, V1BETA1],
        );
    });

    it("routes to the versions with a share, in catalog order", () => {
        assert.deepEqual(routedVersions(scenario({ v1: 30, original: 70 })), [
            { version: "original", weight: 70 },
            { version: "v1", weight: 30 },
        ]);
        assert.deepEqual(routedVersions(scenario({ original: 100, v1: 0 })), [{ version: "original", weight: 100 }]);
        assert.deepEqual(routedVersions(scenario({ v1: 100 })), [{ version: "v1", weight: 100 }]);
    });

    describe("a service's policy as fields of an Istio HTTP route", () => {
        it("nothing for no policy, or for latency alone (the service's own)", () => {
            assert.deepEqual(routePolicy(undefined), {});
            assert.deepEqual(routePolicy({}), {});
            assert.deepEqual(routePolicy({ extraLatency: "6s" }), {});
            assert.equal(routesPolicy(undefined), false);
            assert.equal(routesPolicy({ extraLatency: "6s" }), false);
        });

        it("a delay, an abort, or both in one fault", () => {
            const delay = { percentage: 50, fixedDelay: "1500ms" };
            const abort = { percentage: 10, httpStatus: 503 };
            assert.deepEqual(routePolicy({ delay }), { fault: { delay: { percentage: { value: 50 }, fixedDelay: "1.5s" } } });
            assert.deepEqual(routePolicy({ abort }), { fault: { abort: { percentage: { value: 10 }, httpStatus: 503 } } });
            assert.deepEqual(routePolicy({ delay, abort }), {
                fault: { delay: { percentage: { value: 50 }, fixedDelay: "1.5s" }, abort: { percentage: { value: 10 }, httpStatus: 503 } },
            });
            assert.equal(routesPolicy({ delay }), true);
            assert.equal(routesPolicy({ abort }), true);
        });

        it("a timeout, and retries with only the fields given", () => {
            assert.deepEqual(routePolicy({ timeout: "2s", extraLatency: "6s" }), { timeout: "2s" });
            assert.deepEqual(routePolicy({ retries: { attempts: 3 } }), { retries: { attempts: 3 } });
            assert.deepEqual(routePolicy({ retries: { attempts: 2, perTryTimeout: "500ms" } }), { retries: { attempts: 2, perTryTimeout: "0.5s" } });
            assert.deepEqual(routePolicy({ retries: { attempts: 3, retryOn: "5xx" } }), { retries: { attempts: 3, retryOn: "5xx" } });
            const all: ServicePolicy = {
                timeout: "10s",
                retries: { attempts: 3, perTryTimeout: "1s", retryOn: "gateway-error" },
                delay: { percentage: 1, fixedDelay: "1s" },
            };
            assert.deepEqual(routePolicy(all), {
                fault: { delay: { percentage: { value: 1 }, fixedDelay: "1s" } },
                timeout: "10s",
                retries: { attempts: 3, perTryTimeout: "1s", retryOn: "gateway-error" },
            });
            assert.equal(routesPolicy({ timeout: "2s" }), true);
            assert.equal(routesPolicy({ retries: { attempts: 1 } }), true);
        });
    });

    it("puts a service's whole policy in one mesh VirtualService on its Service port", () => {
        assert.deepEqual(serviceVirtualService("emailservice", { timeout: "3s" }, place), {
            apiVersion: V1,
            kind: "VirtualService",
            metadata: { name: "emailservice", namespace: "shop" },
            spec: {
                hosts: ["emailservice.shop.svc.lab.internal"],
                // The Service port, 5000, not the container's 8080 (v0.10.6 kubernetes-manifests).
                http: [{ timeout: "3s", route: [{ destination: { host: "emailservice.shop.svc.lab.internal", port: { number: 5000 } } }] }],
            },
        });
        assert.equal(serviceVirtualService("emailservice", {}, old).apiVersion, V1BETA1);
    });

    it("routes the frontend by subset through the ingress and the mesh alike, naming the version in a header", () => {
        const host = "frontend.shop.svc.lab.internal";
        const routing = frontendRouting(
            scenario({ original: 70, v1: 30 }, { frontend: { timeout: "10s" }, cartservice: { timeout: "1s" } }),
            place,
            V1_FRONTEND,
        );
        assert.equal(VERSION_HEADER, "x-boutique-version");
        const http = [
            {
                timeout: "10s",
                route: [
                    {
                        destination: { host, port: { number: 80 }, subset: "original" },
                        weight: 70,
                        headers: { response: { set: { "x-boutique-version": "original" } } },
                    },
                    { destination: { host, port: { number: 80 }, subset: "v1" }, weight: 30, headers: { response: { set: { "x-boutique-version": "v1" } } } },
                ],
            },
        ];
        assert.deepEqual(routing, {
            destinationRule: {
                apiVersion: V1,
                kind: "DestinationRule",
                metadata: { name: "frontend", namespace: "shop" },
                // Pod labels: version original on the release's frontend, 1.0.0 on Tetrate's v1 image.
                spec: {
                    host,
                    subsets: [
                        { name: "original", labels: { version: "original" } },
                        { name: "v1", labels: { version: "1.0.0" } },
                    ],
                },
            },
            ingress: {
                apiVersion: V1,
                kind: "VirtualService",
                metadata: { name: "frontend-ingress", namespace: "shop" },
                spec: { hosts: ["*"], gateways: ["frontend-gateway"], http },
            },
            mesh: { apiVersion: V1, kind: "VirtualService", metadata: { name: "frontend", namespace: "shop" }, spec: { hosts: [host], http } },
        });
        const legacy = frontendRouting(scenario({ original: 100 }), old, V1_FRONTEND);
        assert.deepEqual([legacy.destinationRule.apiVersion, legacy.ingress.apiVersion, legacy.mesh.apiVersion], [V1BETA1, V1BETA1, V1BETA1]);
        assert.deepEqual(legacy.mesh.spec!.http![0], {
            route: [
                {
                    destination: { host, port: { number: 80 }, subset: "original" },
                    weight: 100,
                    headers: { response: { set: { "x-boutique-version": "original" } } },
                },
            ],
        });
    });
});
