/**
 * The lab's one configuration: a zod schema for every `boutique-mesh:*` key, with the defaults.
 * Parsing is pure (no Pulumi, no I/O) so the program, the offline renderer and the tests share it.
 * The schema is made once, when the module loads.
 */
import { z } from "zod";
import { valueAt } from "./object-path";
import { ADDON_CHART_REPOSITORIES, ISTIO_DASHBOARDS_URL } from "../catalog/addons";
import { BOUTIQUE_RELEASES, FRONTEND_V1_IMAGE, FRONTEND_V1_VERSION } from "../catalog/boutique";
import { DEFAULT_ISTIO_VERSION, ISTIO_CHART_HOMES, RETIRED_ISTIO_CHART_HOST, rejectedIstioVersion, unverifiedReason } from "../catalog/releases";
import { compareVersions } from "../catalog/versions";
import { GATEWAY_API_CRDS_URL, HTTPROUTE_CANNOT, MIN_GATEWAY_API_ISTIO } from "../catalog/gateway-api";
import { MIN_AMBIENT_ISTIO } from "../catalog/ambient";
import { SCENARIO_NAMES, resolveScenario, scenarioOverridesSchema } from "../stacks";

/** The Pulumi project name, and so the namespace of every config key. */
export const PROJECT = "boutique-mesh";

/**
 * Oldest Istio release the lab installs: the reference lab's 1.14, whose Helm repository has the
 * base, istiod and gateway charts the lab uses (and whose addons catalog/addons.ts knows).
 */
export const MIN_ISTIO_VERSION = "1.14.0";

const dnsLabel = () =>
    z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
        .max(63, "must be at most 63 characters (a DNS-1123 label)");

const dnsDomain = () => z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a DNS domain such as cluster.local");

const hostPart = "[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]{1,5})?";
const pathPart = "(/[a-z0-9]+([._-][a-z0-9]+)*)*";

/** A registry host as it appears first in an image reference: "gcr.io", "localhost:5000". */
const registryHost = () => z.string().regex(new RegExp(`^${hostPart}$`), "must be a registry host such as gcr.io or localhost:5000 (no scheme, no path)");

/** Where images of a registry are pulled from instead: "mirror.example.com/gcr" (no scheme, no tag). */
const mirrorPrefix = () =>
    z
        .string()
        .regex(
            new RegExp(`^${hostPart}${pathPart}$`),
            "must be a registry host with an optional path, such as gcr.lank8s.cn or mirror.local:5000/gcr (no scheme, no trailing '/', no tag)",
        );

/** An Istio release as the config writes it: X.Y.Z. */
const ISTIO_RELEASE = /^(\d+)\.(\d+)\.(\d+)$/;

const istioVersion = () =>
    z
        .string()
        .regex(ISTIO_RELEASE, `must be an Istio release such as ${DEFAULT_ISTIO_VERSION} (X.Y.Z)`)
        // Refinements run even when the pattern failed: compare only what is a version.
        .refine(
            (v) => !ISTIO_RELEASE.test(v) || compareVersions(v, MIN_ISTIO_VERSION) >= 0,
            `must be ${MIN_ISTIO_VERSION} or newer (the oldest release whose charts the lab knows)`,
        )
        .superRefine((v, ctx) => {
            const reason = ISTIO_RELEASE.test(v) ? rejectedIstioVersion(v) : undefined;
            if (reason !== undefined) ctx.addIssue({ code: "custom", input: v, message: `cannot be installed: ${reason}` });
        });

/** An image reference with a tag or a digest: "gcr.io/tetratelabs/boutique-frontend:1.0.0". */
const imageReference = () =>
    z
        .string()
        .regex(
            new RegExp(`^${hostPart}${pathPart}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`),
            "must be an image reference such as registry.example.com/team/frontend:1.2.3 or ...@sha256:<digest>",
        )
        .refine((image) => /:[A-Za-z0-9_][A-Za-z0-9_.-]*$|@sha256:/.test(image), "must name a tag or a digest (a moving default tag is not reproducible)");

/** A Kubernetes label value (at most 63 characters). */
const labelValue = () =>
    z
        .string()
        .regex(
            /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
            "must be a Kubernetes label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        )
        .max(63, "must be at most 63 characters (a Kubernetes label value)");

const chartRepository = () =>
    z.string().regex(/^(https?|oci):\/\/[^\s]+[^/\s]$/, "must be an http(s):// Helm repository URL or an oci:// registry path, without a trailing '/'");

/** Istio's charts: any chart repository but the one Istio emptied in December 2026. */
const istioChartRepository = () =>
    chartRepository().refine(
        (url) => !url.includes(RETIRED_ISTIO_CHART_HOST),
        `is Istio's retired chart repository, emptied in December 2026 (istio.io, blog/2026/retirement-of-gcp); Istio's charts are now at ${ISTIO_CHART_HOMES.join(" (Helm) or ")} (OCI)`,
    );

/** Encrypted values cannot be read offline (the tools read stack files without the passphrase); they stand in as this. */
export const SECRET_PLACEHOLDER = "[secret, encrypted in the stack file]";

/** A secret string: checked where it can be read, taken as it is where it stands encrypted. */
const secretString = (valid: (value: string) => boolean, message: string) => z.string().refine((v) => v === SECRET_PLACEHOLDER || valid(v), message);

const nodePort = () => z.number().int().min(30000, "must be a node port from 30000 to 32767").max(32767, "must be a node port from 30000 to 32767");

/** How the ingress gateway's Service is exposed. */
const ingressService = () =>
    z.discriminatedUnion("type", [
        z.strictObject({
            type: z.literal("NodePort"),
            /** Stable node port for HTTP, so the shop URL survives a rebuild. */
            httpNodePort: nodePort().default(30080),
        }),
        z.strictObject({
            type: z.literal("LoadBalancer"),
            /** Wait for an external address. Off by default: kind, minikube and kubeadm never assign one. */
            awaitAddress: z.boolean().default(false),
        }),
        z.strictObject({ type: z.literal("ClusterIP") }),
    ]);

/** An addon's dashboard stays ClusterIP unless a node port is given. */
const addonExposure = () => ({ enabled: z.boolean().default(true), nodePort: nodePort().optional() });

const addons = () =>
    z
        .strictObject({
            /** Prometheus scraping the mesh (istiod, proxies, gateways) with Istio's standard configuration. */
            prometheus: z.strictObject(addonExposure()).prefault({}),
            grafana: z
                .strictObject({
                    ...addonExposure(),
                    /** Anonymous visitors may look (Viewer), never edit. */
                    anonymousViewer: z.boolean().default(true),
                    /** Admin password; set it as a secret. Generated (and kept secret) when absent. */
                    adminPassword: secretString((v) => v.length >= 12, "must be at least 12 characters").optional(),
                    /** Where Istio's dashboards are downloaded from at deploy time; {version} is the Istio version. */
                    dashboardsUrl: z
                        .string()
                        .regex(/^https?:\/\/\S+[^/\s]$/, "must be an http(s) URL without a trailing '/'")
                        .default(ISTIO_DASHBOARDS_URL),
                })
                .prefault({}),
            kiali: z
                .strictObject({
                    ...addonExposure(),
                    /** anonymous: no login, read-only; token: log in with a Kubernetes service account token. */
                    auth: z.enum(["anonymous", "token"]).default("anonymous"),
                    /** Key Kiali signs its sessions with; set it as a secret. Generated (and kept secret) when absent. */
                    signingKey: secretString((v) => v.length === 32, "must be exactly 32 characters (the length of the key the lab generates)").optional(),
                })
                .prefault({}),
            /** One tracer at a time: Jaeger and Zipkin both define the Services `tracing` and `zipkin`. */
            tracer: z
                .strictObject({
                    kind: z.enum(["zipkin", "jaeger", "none"]).default("zipkin"),
                    nodePort: nodePort().optional(),
                })
                .prefault({}),
            chartRepositories: z
                .strictObject({
                    prometheus: chartRepository().default(ADDON_CHART_REPOSITORIES.prometheus),
                    grafana: chartRepository().default(ADDON_CHART_REPOSITORIES.grafana),
                    kiali: chartRepository().default(ADDON_CHART_REPOSITORIES.kiali),
                })
                .prefault({}),
        })
        .prefault({});

/** Namespaces a shop may not take: the cluster's own and the mesh's. */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];

/** One shop of a classroom: its name (its namespace and host), and a scenario and overrides of its own. */
const shopObject = () =>
    z.strictObject({
        name: dnsLabel().refine(
            (name) => !RESERVED_NAMESPACES.includes(name),
            `must not be one of ${RESERVED_NAMESPACES.join(", ")} (a shop's namespace is its name)`,
        ),
        /** Its scenario; the stack's `scenario` (and `traffic`) when absent. */
        scenario: z.enum(SCENARIO_NAMES).optional(),
        /** Adjustments of its scenario. */
        traffic: scenarioOverridesSchema.optional(),
    });

const labObject = () =>
    z.strictObject({
        /** The traffic scenario preset from stacks/. */
        scenario: z.enum(SCENARIO_NAMES).default("baseline"),
        /** Adjustments of the preset: a different split, more or other per-service policy. */
        traffic: scenarioOverridesSchema.optional(),
        /**
         * A classroom: one shop per entry, each in the namespace of its name with its own scenario, all on the one
         * mesh, ingress and addons. Absent: the one shop in boutique.namespace.
         */
        shops: z.array(shopObject()).min(1, "must list at least one shop (leave the key out for the single shop)").optional(),
        /** The domain under which each shop of `shops` is served: `<shop>.<shopDomain>` through the ingress. */
        shopDomain: dnsDomain().default("localhost"),

        cluster: z
            .strictObject({
                /** Path to a kubeconfig file; the ambient one (KUBECONFIG, ~/.kube/config) when absent. */
                kubeconfig: z.string().min(1, "must be a path to a kubeconfig file").optional(),
                /** kubeconfig context; the current context when absent. */
                context: z.string().min(1, "must name a kubeconfig context").optional(),
                /** The cluster's DNS domain, used in every fully qualified host. */
                domain: dnsDomain().default("cluster.local"),
                /** A kind cluster of the lab's own, created with the stack and deleted with it. */
                kind: z
                    .strictObject({
                        enabled: z.boolean().default(false),
                        /** Cluster name; `boutique-mesh-<stack>` when absent. */
                        name: dnsLabel().optional(),
                        /** Port on 127.0.0.1 that reaches the ingress gateway's HTTP node port. */
                        hostPort: z.number().int().min(1, "must be a TCP port from 1 to 65535").max(65535, "must be a TCP port from 1 to 65535").default(8080),
                        /** kindest/node image (pinned), when kind's default is not wanted. */
                        nodeImage: z.string().min(1).optional(),
                    })
                    .prefault({}),
            })
            .prefault({}),

        images: z
            .strictObject({
                /** Upstream registry host -> mirror prefix. Applies to every image the lab pulls. */
                mirrors: z.record(registryHost(), mirrorPrefix()).default({}),
                /** Copy every image the lab pulls into its mirror with skopeo before anything pulls it. */
                copy: z
                    .strictObject({
                        enabled: z.boolean().default(false),
                        /** Verify registries' TLS certificates; off only for plain-HTTP lab registries. */
                        tlsVerify: z.boolean().default(true),
                        /** Registry host -> "user:password"; only accepted as a secret. REGISTRY_AUTH_FILE works too. */
                        credentials: z.record(registryHost(), z.string().regex(/^[^:\s]+:\S+$/, "must be user:password")).optional(),
                    })
                    .prefault({}),
            })
            .prefault({}),

        istio: z
            .strictObject({
                version: istioVersion().default(DEFAULT_ISTIO_VERSION),
                /** Install a release the lab has not read (catalog/releases.ts) with the facts of the newest one it has. */
                allowUnverifiedVersion: z.boolean().default(false),
                chartRepository: istioChartRepository().default(ISTIO_CHART_HOMES[0]),
                /** Image hub of Istio's own images (pilot, proxyv2); rewritten through the mirrors like any image. */
                hub: z
                    .string()
                    .regex(new RegExp(`^${hostPart}${pathPart}$`), "must be an image repository prefix such as docker.io/istio")
                    .default("docker.io/istio"),
                /** An egress gateway, as Istio's demo profile has. */
                egressGateway: z.boolean().default(true),
                /** Percentage of requests traced by the proxies (the demo profile traces all). */
                traceSampling: z.number().min(0, "must be a percentage from 0 to 100").max(100, "must be a percentage from 0 to 100").default(100),
                ingress: ingressService().prefault({ type: "NodePort" }),
                /**
                 * How the scenario's routes are written: `istio` (Gateway, VirtualService, DestinationRule) or
                 * `gateway-api` (a Gateway API Gateway on the same ingress gateway, HTTPRoutes, a Service per version).
                 */
                routingApi: z.enum(["istio", "gateway-api"]).default("istio"),
                /**
                 * Where the shop's proxies run: `sidecar` (one injected into every pod) or `ambient` (ztunnel on
                 * every node, and a waypoint for the shop where the scenario routes inside the mesh).
                 */
                dataPlane: z.enum(["sidecar", "ambient"]).default("sidecar"),
                /** Where the Gateway API CRDs are downloaded from; {version} is the Gateway API version of the Istio release. */
                gatewayApiCrdsUrl: z
                    .string()
                    .regex(/^https?:\/\/\S+$/, "must be an http(s) URL")
                    .default(GATEWAY_API_CRDS_URL),
            })
            .superRefine((istio, ctx) => {
                // Zod runs this even when the version failed its own pattern: judge only what is a release.
                const reason = istio.allowUnverifiedVersion || !ISTIO_RELEASE.test(istio.version) ? undefined : unverifiedReason(istio.version);
                if (reason !== undefined) ctx.addIssue({ code: "custom", path: ["version"], input: istio.version, message: reason });
            })
            .prefault({}),

        boutique: z
            .strictObject({
                /** Namespace of the shop; labelled for sidecar injection. */
                namespace: dnsLabel().default("online-boutique"),
                /** Online Boutique release the catalog mirrors. */
                release: z.enum(BOUTIQUE_RELEASES).default("v0.10.6"),
                loadGenerator: z
                    .strictObject({
                        enabled: z.boolean().default(true),
                        /** Simulated concurrent users (Locust USERS). */
                        users: z.number().int().min(1, "must be a whole number from 1 to 1000").max(1000, "must be a whole number from 1 to 1000").default(10),
                        /** Users started per second (Locust RATE). */
                        rate: z.number().int().min(1, "must be a whole number from 1 to 100").max(100, "must be a whole number from 1 to 100").default(1),
                    })
                    .prefault({}),
                /** The upstream `frontend-external` LoadBalancer Service; the Istio ingress replaces it. */
                frontendExternal: z.boolean().default(false),
                /** The second frontend, subset `v1`, that scenarios such as canary send a share to. */
                frontendV1: z
                    .strictObject({
                        /** Its image, pulled through the mirrors like every image. */
                        image: imageReference().default(FRONTEND_V1_IMAGE),
                        /** The `version` label of its pods, which subset v1 selects. */
                        version: labelValue()
                            .refine((v) => v !== "original", 'must differ from "original", the label of the release\'s own frontend')
                            .default(FRONTEND_V1_VERSION),
                    })
                    .prefault({}),
            })
            .prefault({}),

        /** Observability: Prometheus, Grafana, Kiali and a tracer, in istio-system. */
        addons: addons(),
    });

/**
 * A choice of `istio.<key>` that needs a newer Istio than the config's: refused on that key, naming the release
 * and what works instead. The key is written whenever this runs (its default needs no newer release), so the
 * message shows it as written.
 */
function needsIstio(ctx: z.RefinementCtx, key: "routingApi" | "dataPlane", version: string, min: string, why: string, instead: string): void {
    if (ISTIO_RELEASE.test(version) && compareVersions(version, min) < 0)
        ctx.addIssue({ code: "custom", path: ["istio", key], message: `needs Istio ${min} or newer (${why}), not ${version}; use ${key} ${instead} with it` });
}

/** What `istio.routingApi: gateway-api` cannot do: old Istio releases, and scenarios HTTPRoute cannot express. */
function gatewayApiProblems(config: z.infer<ReturnType<typeof labObject>>, ctx: z.RefinementCtx): void {
    needsIstio(ctx, "routingApi", config.istio.version, MIN_GATEWAY_API_ISTIO, "the oldest release whose Gateway API support the lab read", '"istio"');
    const scenario = resolveScenario(config.scenario, config.traffic);
    for (const [service, policy] of Object.entries(scenario.services)) {
        for (const field of ["delay", "abort", "retries"] as const) {
            if (policy?.[field] === undefined) continue;
            ctx.addIssue({
                code: "custom",
                path: ["istio", "routingApi"],
                message:
                    `cannot express scenario ${config.scenario}: ${service} asks for ${field}, and ${HTTPROUTE_CANNOT[field]} ` +
                    `(docs/routing-apis.md has the sources); run this scenario with routingApi "istio"`,
            });
        }
    }
}

/** "alice.localhost": where the shared ingress serves a classroom's shop. */
export function shopHost(name: string, config: { shopDomain: string }): string {
    return `${name}.${config.shopDomain}`;
}

/** A classroom's shops: names once each, hosts a DNS name can hold, and the routing API it runs on. */
function classroomProblems(config: z.infer<ReturnType<typeof labObject>>, ctx: z.RefinementCtx): void {
    const shops = config.shops ?? [];
    const seen = new Set<string>();
    shops.forEach(({ name }, index) => {
        if (seen.has(name))
            ctx.addIssue({
                code: "custom",
                path: ["shops", index, "name"],
                input: name,
                message: `names shop ${name} a second time: each shop needs a name of its own`,
            });
        seen.add(name);
        const host = shopHost(name, config);
        if (host.length > 253)
            ctx.addIssue({
                code: "custom",
                path: ["shops", index, "name"],
                input: name,
                message: `makes the host ${host}, longer than a DNS name's 253 characters`,
            });
    });
    if (shops.length > 0 && config.istio.routingApi === "gateway-api") {
        ctx.addIssue({
            code: "custom",
            path: ["istio", "routingApi"],
            message: 'cannot serve several shops yet: the lab\'s Gateway API Gateway is one per ingress (docs/classroom.md); use routingApi "istio" with shops',
        });
    }
}

/** Rules across keys: what an addon needs, and node ports that would collide. */
export const labConfigSchema = labObject().superRefine((config, ctx) => {
    const { kind } = config.cluster;
    if (kind.enabled) {
        for (const key of ["kubeconfig", "context"] as const) {
            if (config.cluster[key] !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["cluster", key],
                    input: config.cluster[key],
                    message: "cannot be set with cluster.kind.enabled: kind creates the cluster and its kubeconfig",
                });
            }
        }
        if (config.istio.ingress.type !== "NodePort") {
            ctx.addIssue({
                code: "custom",
                path: ["istio", "ingress", "type"],
                input: config.istio.ingress.type,
                message: "must be NodePort with cluster.kind.enabled: kind reaches the ingress through its node port",
            });
        }
    }
    if (config.istio.routingApi === "gateway-api") gatewayApiProblems(config, ctx);
    classroomProblems(config, ctx);
    if (config.istio.dataPlane === "ambient")
        needsIstio(ctx, "dataPlane", config.istio.version, MIN_AMBIENT_ISTIO, "ambient is GA from 1.24; the lab installs no earlier ambient", '"sidecar"');
    if (config.images.copy.enabled && Object.keys(config.images.mirrors).length === 0) {
        ctx.addIssue({
            code: "custom",
            // The key is written (it defaults to false), so the message shows it as written.
            path: ["images", "copy", "enabled"],
            message: "needs boutique-mesh:images.mirrors: there is no mirror to copy into",
        });
    }
    const { prometheus, grafana, kiali, tracer } = config.addons;
    for (const [name, addon] of [
        ["grafana", grafana],
        ["kiali", kiali],
    ] as const) {
        if (addon.enabled && !prometheus.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["addons", name, "enabled"],
                input: true,
                message: `needs boutique-mesh:addons.prometheus.enabled (${name} reads the mesh's metrics from Prometheus)`,
            });
        }
    }
    const ports: [PropertyKey[], number | undefined][] = [
        [["istio", "ingress", "httpNodePort"], config.istio.ingress.type === "NodePort" ? config.istio.ingress.httpNodePort : undefined],
        [["addons", "prometheus", "nodePort"], prometheus.enabled ? prometheus.nodePort : undefined],
        [["addons", "grafana", "nodePort"], grafana.enabled ? grafana.nodePort : undefined],
        [["addons", "kiali", "nodePort"], kiali.enabled ? kiali.nodePort : undefined],
        [["addons", "tracer", "nodePort"], tracer.kind !== "none" ? tracer.nodePort : undefined],
    ];
    const seen = new Map<number, PropertyKey[]>();
    for (const [path, port] of ports) {
        if (port === undefined) continue;
        const first = seen.get(port);
        if (first) ctx.addIssue({ code: "custom", path, input: port, message: `node port ${port} is already taken by ${configKey(first)}` });
        else seen.set(port, path);
    }
});

/** The validated configuration with every default applied. */
export type LabConfig = z.infer<typeof labConfigSchema>;
/** The configuration as written in a stack file (every key optional). */
export type LabConfigInput = z.input<typeof labConfigSchema>;
export type IngressService = LabConfig["istio"]["ingress"];

/** A configuration that failed validation; `problems` has one line per bad key. */
export class ConfigError extends Error {
    /** `file`: the stack file the problems are in, when the message should name it. */
    constructor(
        readonly problems: string[],
        readonly file?: string,
    ) {
        super(`${file ? `${file}: ` : ""}invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

type Schema = z.core.$ZodType;

/** Follows wrappers (default, optional, ...) down to the schema that decides the shape. */
function unwrap(schema: Schema): Schema {
    const def = schema._zod.def as { innerType?: Schema };
    return def.innerType !== undefined ? unwrap(def.innerType) : schema;
}

/** The keys an object at `path` may have, or undefined when the schema there is not an object or a keyed record. */
function allowedKeys(root: Schema, path: PropertyKey[], input: unknown): string[] | undefined {
    let schema = unwrap(root instanceof z.ZodPipe ? root._zod.def.in : root);
    let value = input;
    for (const step of [...path, undefined]) {
        if (schema instanceof z.ZodDiscriminatedUnion) {
            const def = schema._zod.def;
            const tag = (value as Record<string, unknown> | undefined)?.[def.discriminator];
            const option = def.options.find(
                (o) =>
                    unwrap(o) instanceof z.ZodObject &&
                    ((unwrap(o) as z.ZodObject).shape[def.discriminator] as z.ZodLiteral)._zod.def.values.includes(tag as never),
            );
            if (option === undefined) return undefined;
            schema = unwrap(option);
        }
        let next: Schema | undefined;
        if (schema instanceof z.ZodArray) {
            if (step === undefined) return undefined;
            next = schema._zod.def.element;
        } else if (schema instanceof z.ZodObject) {
            if (step === undefined) return Object.keys(schema.shape);
            next = schema.shape[step as string] as Schema | undefined;
        } else if (schema instanceof z.ZodRecord) {
            const keys = unwrap(schema._zod.def.keyType);
            if (step === undefined) return keys instanceof z.ZodEnum ? (keys.options as string[]) : undefined;
            next = schema._zod.def.valueType;
        }
        if (next === undefined) return undefined;
        schema = unwrap(next);
        value = (value as Record<PropertyKey, unknown> | undefined)?.[step as PropertyKey];
    }
    return undefined;
}

/** The value at `path` as the stack file has it, or "nothing" where the key is missing. */
function written(input: unknown, path: PropertyKey[]): string {
    const value = valueAt(input, path);
    return value === undefined ? "nothing" : JSON.stringify(value);
}

/** "boutique-mesh:istio.ingress.type" for the path ["istio", "ingress", "type"]. */
export function configKey(path: PropertyKey[]): string {
    const [top, ...rest] = path;
    const step = (k: PropertyKey) =>
        typeof k === "number" ? `[${k}]` : /^[A-Za-z_][\w-]*$/.test(String(k)) ? `.${String(k)}` : `[${JSON.stringify(String(k))}]`;
    return `${PROJECT}:${String(top ?? "")}${rest.map(step).join("")}`;
}

function describe(issue: z.core.$ZodIssue, input: unknown, schema: Schema): string {
    const key = configKey(issue.path);
    switch (issue.code) {
        case "unrecognized_keys": {
            const allowed = allowedKeys(schema, issue.path, input) ?? [];
            const unknown = issue.keys.map((k) => configKey([...issue.path, k])).join(", ");
            return `${unknown}: unknown key; allowed under ${key}: ${allowed.join(", ")}`;
        }
        case "invalid_key": {
            const parent = configKey(issue.path.slice(0, -1));
            const inner = issue.issues.map((i) => i.message).join("; ");
            return `${parent}: key ${JSON.stringify(issue.path[issue.path.length - 1])} ${inner}`;
        }
        case "invalid_union":
            if ("options" in issue && issue.options !== undefined) {
                return `${key} = ${written(input, issue.path)} is not allowed; allowed: ${issue.options.map((o) => JSON.stringify(o)).join(" | ")}`;
            }
            return `${key} = ${written(input, issue.path)}: ${issue.message}`;
        case "invalid_value":
            return `${key} = ${written(input, issue.path)} is not allowed; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
        case "invalid_type": {
            const value = valueAt(input, issue.path);
            const got = value === undefined ? "nothing" : `${JSON.stringify(value)} (${Array.isArray(value) ? "array" : typeof value})`;
            // A schema's own message says more than zod's generic one.
            const expected = issue.message.startsWith("Invalid input")
                ? `expected ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`
                : issue.message;
            return `${key} = ${got}: ${expected}`;
        }
        default: {
            // Cross-key rules can fire on a value the stack left to its default.
            const value = valueAt(input, issue.path);
            const fallback = (issue as { input?: unknown }).input;
            const shown = value !== undefined ? JSON.stringify(value) : `${JSON.stringify(fallback)} (the default)`;
            return `${key} = ${shown}: ${issue.message}`;
        }
    }
}

/** Validates a configuration and applies defaults; throws ConfigError naming every bad key. */
export function parseLabConfig(input: unknown): LabConfig {
    const result = labConfigSchema.safeParse(input, { reportInput: true });
    if (!result.success) throw new ConfigError(result.error.issues.map((i) => describe(i, input, labConfigSchema)));
    return result.data;
}
