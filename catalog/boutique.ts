/**
 * Online Boutique as data: one entry per microservice, mirroring the upstream release manifests
 * (release/kubernetes-manifests.yaml of the pinned release). Kubernetes objects are built from
 * these entries in components/shop/workloads.ts; nothing here knows about Pulumi.
 */

/** A container probe in the shapes the upstream manifests use. */
export type ProbeCheck =
    { grpc: { port: number } } | { tcpSocket: { port: number } } | { httpGet: { path: string; port: number; httpHeaders: { name: string; value: string }[] } };

export type Probe = ProbeCheck & { initialDelaySeconds?: number; periodSeconds?: number };

export interface Resources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** One microservice of the shop. */
export interface BoutiqueService {
    /** Deployment, Service, ServiceAccount and `app` label. */
    name: string;
    /** Container name as upstream ("server" for most). */
    container: string;
    /** Image; a function of the release for the shop's own images. */
    image: (release: BoutiqueRelease) => string;
    /** Container port, when the container listens. */
    containerPort?: { port: number; name?: string };
    /** The ClusterIP Service in front of it; absent for the load generator. */
    service?: { port: number; portName: string };
    /** Environment, in upstream order. `addr(x)` entries resolve to "x:<service port>". */
    env: readonly EnvEntry[];
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    resources: Resources;
    terminationGracePeriodSeconds?: number;
    /** Upstream gives it its own ServiceAccount (redis-cart uses the namespace default). */
    serviceAccount: boolean;
    podAnnotations?: Readonly<Record<string, string>>;
    /** Writable scratch directories (the root filesystem is read-only). */
    emptyDirs?: readonly { name: string; mountPath: string }[];
    /** Environment variable through which the service adds latency to every call (a Go duration). */
    latencyVariable?: string;
}

/** A literal value, or the in-namespace address (name:port) of another service of the catalog. */
export type EnvEntry = { name: string; value: string } | { name: string; addressOf: string };

/** Releases this catalog mirrors. Adding one means checking every entry against its manifests. */
export const BOUTIQUE_RELEASES = ["v0.10.6"] as const;
export type BoutiqueRelease = (typeof BOUTIQUE_RELEASES)[number];

/** Where the shop's own images are published for the releases above. */
const BOUTIQUE_REGISTRY = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo";
const own = (name: string) => (release: BoutiqueRelease) => `${BOUTIQUE_REGISTRY}/${name}:${release}`;

/** Third-party images, pinned by digest (upstream's Helm chart pins the same redis digest). */
export const REDIS_IMAGE = "redis:alpine@sha256:9d317178eceac8454a2284a9e6df2466b93c745529947f0cd42a0fa9609d7005";
export const BUSYBOX_IMAGE = "busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d";

const grpc = (port: number, extra: { initialDelaySeconds?: number; periodSeconds?: number } = {}): Probe => ({
    ...extra,
    grpc: { port },
});

const small: Resources = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } };
const value = (name: string, v: string): EnvEntry => ({ name, value: v });
const addressOf = (name: string, service: string): EnvEntry => ({ name, addressOf: service });

/** Services the frontend is told about but that the release does not deploy (the assistant is off). */
export const EXTERNAL_ADDRESSES: Readonly<Record<string, string>> = {
    shoppingassistantservice: "shoppingassistantservice:80",
};

export const FRONTEND = "frontend";
export const LOADGENERATOR = "loadgenerator";

/**
 * How the load generator's init container waits for the shop, as upstream's does (`frontend-check` in
 * release/kubernetes-manifests.yaml, v0.10.6): GET the home page, which calls the backends, until it
 * answers 200 (`/_healthz` answers "ok" without calling any), 12 attempts 10 seconds apart. Upstream
 * waits on each request without bound and then fails the pod; the lab bounds each request and starts
 * the load after the last attempt anyway, since the timeout and retry scenarios fail the home page
 * on purpose and a pod stuck in its init container would hold `pulumi up` until it times out.
 */
export const FRONTEND_WAIT = { path: "/", attempts: 12, intervalSeconds: 10, requestTimeoutSeconds: 10 } as const;

/** The twelve Deployments of the release, in upstream order. */
export const BOUTIQUE_SERVICES: readonly BoutiqueService[] = [
    {
        name: FRONTEND,
        container: "server",
        image: own("frontend"),
        containerPort: { port: 8080 },
        service: { port: 80, portName: "http" },
        env: [
            value("PORT", "8080"),
            addressOf("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"),
            addressOf("CURRENCY_SERVICE_ADDR", "currencyservice"),
            addressOf("CART_SERVICE_ADDR", "cartservice"),
            addressOf("RECOMMENDATION_SERVICE_ADDR", "recommendationservice"),
            addressOf("SHIPPING_SERVICE_ADDR", "shippingservice"),
            addressOf("CHECKOUT_SERVICE_ADDR", "checkoutservice"),
            addressOf("AD_SERVICE_ADDR", "adservice"),
            addressOf("SHOPPING_ASSISTANT_SERVICE_ADDR", "shoppingassistantservice"),
            value("ENABLE_PROFILER", "0"),
        ],
        // The session cookie keeps probes from minting a new shop session on every check.
        readinessProbe: {
            initialDelaySeconds: 10,
            httpGet: { path: "/_healthz", port: 8080, httpHeaders: [{ name: "Cookie", value: "shop_session-id=x-readiness-probe" }] },
        },
        livenessProbe: {
            initialDelaySeconds: 10,
            httpGet: { path: "/_healthz", port: 8080, httpHeaders: [{ name: "Cookie", value: "shop_session-id=x-liveness-probe" }] },
        },
        resources: small,
        serviceAccount: true,
        podAnnotations: { "sidecar.istio.io/rewriteAppHTTPProbers": "true" },
    },
    {
        name: "adservice",
        container: "server",
        image: own("adservice"),
        containerPort: { port: 9555 },
        service: { port: 9555, portName: "grpc" },
        env: [value("PORT", "9555")],
        readinessProbe: grpc(9555, { initialDelaySeconds: 20, periodSeconds: 15 }),
        livenessProbe: grpc(9555, { initialDelaySeconds: 20, periodSeconds: 15 }),
        resources: { requests: { cpu: "200m", memory: "180Mi" }, limits: { cpu: "300m", memory: "300Mi" } },
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "currencyservice",
        container: "server",
        image: own("currencyservice"),
        containerPort: { port: 7000, name: "grpc" },
        service: { port: 7000, portName: "grpc" },
        env: [value("PORT", "7000"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(7000),
        livenessProbe: grpc(7000),
        resources: small,
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "cartservice",
        container: "server",
        image: own("cartservice"),
        containerPort: { port: 7070 },
        service: { port: 7070, portName: "grpc" },
        env: [addressOf("REDIS_ADDR", "redis-cart")],
        readinessProbe: grpc(7070, { initialDelaySeconds: 15 }),
        livenessProbe: grpc(7070, { initialDelaySeconds: 15, periodSeconds: 10 }),
        resources: { requests: { cpu: "200m", memory: "64Mi" }, limits: { cpu: "300m", memory: "128Mi" } },
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "redis-cart",
        container: "redis",
        image: () => REDIS_IMAGE,
        containerPort: { port: 6379 },
        service: { port: 6379, portName: "tcp-redis" },
        env: [],
        readinessProbe: { periodSeconds: 5, tcpSocket: { port: 6379 } },
        livenessProbe: { periodSeconds: 5, tcpSocket: { port: 6379 } },
        resources: { requests: { cpu: "70m", memory: "200Mi" }, limits: { cpu: "125m", memory: "256Mi" } },
        serviceAccount: false,
        emptyDirs: [{ name: "redis-data", mountPath: "/data" }],
    },
    {
        name: LOADGENERATOR,
        container: "main",
        image: own("loadgenerator"),
        // USERS and RATE come from config (components/shop/workloads.ts).
        env: [addressOf("FRONTEND_ADDR", FRONTEND)],
        resources: { requests: { cpu: "300m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
        podAnnotations: { "sidecar.istio.io/rewriteAppHTTPProbers": "true" },
    },
    {
        name: "recommendationservice",
        container: "server",
        image: own("recommendationservice"),
        containerPort: { port: 8080 },
        service: { port: 8080, portName: "grpc" },
        env: [value("PORT", "8080"), addressOf("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(8080, { periodSeconds: 5 }),
        livenessProbe: grpc(8080, { periodSeconds: 5 }),
        resources: { requests: { cpu: "100m", memory: "220Mi" }, limits: { cpu: "200m", memory: "450Mi" } },
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "checkoutservice",
        container: "server",
        image: own("checkoutservice"),
        containerPort: { port: 5050 },
        service: { port: 5050, portName: "grpc" },
        env: [
            value("PORT", "5050"),
            addressOf("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"),
            addressOf("SHIPPING_SERVICE_ADDR", "shippingservice"),
            addressOf("PAYMENT_SERVICE_ADDR", "paymentservice"),
            addressOf("EMAIL_SERVICE_ADDR", "emailservice"),
            addressOf("CURRENCY_SERVICE_ADDR", "currencyservice"),
            addressOf("CART_SERVICE_ADDR", "cartservice"),
        ],
        readinessProbe: grpc(5050),
        livenessProbe: grpc(5050),
        resources: small,
        serviceAccount: true,
    },
    {
        name: "emailservice",
        container: "server",
        image: own("emailservice"),
        containerPort: { port: 8080 },
        service: { port: 5000, portName: "grpc" },
        env: [value("PORT", "8080"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(8080, { periodSeconds: 5 }),
        livenessProbe: grpc(8080, { periodSeconds: 5 }),
        resources: small,
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "paymentservice",
        container: "server",
        image: own("paymentservice"),
        containerPort: { port: 50051 },
        service: { port: 50051, portName: "grpc" },
        env: [value("PORT", "50051"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(50051),
        livenessProbe: grpc(50051),
        resources: small,
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
    },
    {
        name: "shippingservice",
        container: "server",
        image: own("shippingservice"),
        containerPort: { port: 50051 },
        service: { port: 50051, portName: "grpc" },
        env: [value("PORT", "50051"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(50051, { periodSeconds: 5 }),
        livenessProbe: grpc(50051),
        resources: small,
        serviceAccount: true,
    },
    {
        name: "productcatalogservice",
        container: "server",
        image: own("productcatalogservice"),
        containerPort: { port: 3550 },
        service: { port: 3550, portName: "grpc" },
        env: [value("PORT", "3550"), value("DISABLE_PROFILER", "1")],
        readinessProbe: grpc(3550),
        livenessProbe: grpc(3550),
        resources: small,
        terminationGracePeriodSeconds: 5,
        serviceAccount: true,
        // Parsed with Go's time.ParseDuration at start-up; a bad value crashes the pod.
        latencyVariable: "EXTRA_LATENCY",
    },
];

/**
 * The reference lab's second frontend, which its traffic split sends 30% to, and the `version` label
 * its pods carry: the defaults of `boutique.frontendV1`. The image is named by tag alone (no digest)
 * on Container Registry (gcr.io); its source is not published (tetratelabs/microservices-demo, the
 * Tetrate fork, publishes `microservicesdemomesh/*` on Docker Hub instead).
 */
export const FRONTEND_V1_IMAGE = "gcr.io/tetratelabs/boutique-frontend:1.0.0";
export const FRONTEND_V1_VERSION = "1.0.0";

/** Services reached over HTTP or gRPC through a Service: what Istio's HTTP routing can act on. */
export const ROUTABLE_SERVICES = BOUTIQUE_SERVICES.filter((s) => s.service !== undefined && /^(http|grpc)/.test(s.service.portName)).map((s) => s.name) as [
    string,
    ...string[],
];

/** The catalog entry for a name; throws on a name the catalog does not have. */
export function boutiqueService(name: string): BoutiqueService {
    const found = BOUTIQUE_SERVICES.find((s) => s.name === name);
    if (found === undefined) throw new Error(`Online Boutique has no service "${name}"`);
    return found;
}
