/**
 * Cross-checks of the mesh a lab declares, in the spirit of `istioctl analyze`, run offline on an
 * evaluation: the mistakes the API server accepts but that silently break traffic.
 */
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule" with { "resolution-mode": "import" };
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway" with { "resolution-mode": "import" };
import type { IServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry" with { "resolution-mode": "import" };
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService" with { "resolution-mode": "import" };
import type { IGateway as IGatewayApiGateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway" with { "resolution-mode": "import" };
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute" with { "resolution-mode": "import" };
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment" with { "resolution-mode": "import" };
import type { INamespace } from "kubernetes-models/v1/Namespace" with { "resolution-mode": "import" };
import type { IService } from "kubernetes-models/v1/Service" with { "resolution-mode": "import" };
import { valueAt } from "../../config/object-path";
import { ChartInputs, DeclaredResource, Evaluation } from "../../mocks/evaluate";
import { DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL, WAYPOINT_CLASS } from "../../catalog/ambient";
import { SHOP_LABEL } from "../../components/labels";
import { ISTIO_NAMESPACE } from "../../components/mesh/charts";
import { exportedBeyond } from "../../components/routing/objects";

export type Severity = "error" | "warning";

export interface Finding {
    severity: Severity;
    /** Stable rule code, e.g. "BM003". */
    code: string;
    /** "Kind namespace/name" of the object the finding is about. */
    object: string;
    /** What is wrong and what to fix. */
    message: string;
}

/** Every rule, by code, with a one-line summary. */
export const RULES = {
    BM001: "host resolves to no Service or ServiceEntry of the lab",
    BM002: "destination port is not a port of the Service",
    BM003: "route uses a subset no DestinationRule defines for that host",
    BM004: "subset selects no pod of any Deployment behind the Service",
    BM005: "Gateway selector matches no gateway deployment",
    BM006: "VirtualService names a Gateway that is not declared",
    BM007: "two mesh VirtualServices for one host",
    BM008: "route weights do not sum to 100",
    BM009: "Service port name does not tell Istio the protocol",
    BM010: "workload that listens has no Service in the injected namespace",
    BM011: "namespace with mesh workloads is in no data plane (neither injected nor ambient)",
    BM012: "HTTPRoute attaches to a Gateway or Service that is not declared, or that does not admit it",
    BM013: "HTTPRoute backend is no Service of the lab, or not a port of it",
    BM014: "HTTPRoute rule whose backends all weigh 0",
    BM015: "Gateway API Gateway's address is no gateway Service of its namespace",
    BM016: "one host routed in the mesh by both a VirtualService and an HTTPRoute",
    BM017: "namespace or Service uses a waypoint that is not declared",
    BM018: "in-mesh route for an ambient host that no waypoint serves: ztunnel never applies it",
    BM019: "a classroom shop's Istio object is exported beyond its namespace and the ingress gateway's",
    BM020: "a classroom shop's route or rule reaches another namespace's host, or its ingress host is another shop's too",
} as const;
export type RuleCode = keyof typeof RULES;

type Labels = Record<string, string>;

/** The kinds the rules read, as their inputs declare them. */
interface Kinds {
    Namespace: INamespace;
    Service: IService;
    Deployment: IDeployment;
    ServiceEntry: IServiceEntry;
    VirtualService: IVirtualService;
    DestinationRule: IDestinationRule;
    Gateway: IGateway;
    HTTPRoute: IHTTPRoute;
}
type Obj = Kinds[keyof Kinds] | IGatewayApiGateway;

const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
/** Gateway is a kind of both APIs: Istio's selects pods, the Gateway API's names a class. */
const isGatewayApi = (o: Obj) => String(o.apiVersion).startsWith(`${GATEWAY_API_GROUP}/`);

interface Workload {
    namespace: string;
    name: string;
    labels: Labels;
    ports: number[];
}

/**
 * Protocols Istio reads from a port name `<protocol>[-<suffix>]`, in any case, "grpc-web" as a whole
 * (istio/istio 1.30.3, pkg/config/kube/conversion.go ConvertProtocol and pkg/config/protocol/instance.go Parse).
 */
const PROTOCOL_PREFIXES = ["tcp", "udp", "grpc", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql"];

const matches = (selector: Labels | undefined, labels: Labels) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** An object's namespace as Kubernetes reads it. */
const nsOf = (o: Obj): string => o.metadata?.namespace ?? "default";

const nameOf = (o: Obj) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? "(unnamed)"}`;

/** What the lab declares, indexed for the rules. */
class Mesh {
    readonly objects: Obj[];
    readonly domain: string;
    readonly namespaces: INamespace[];
    readonly services: IService[];
    readonly workloads: Workload[];
    readonly gatewayPods: Workload[];

    constructor(resources: DeclaredResource[]) {
        // Charts are Kubernetes resources too, with no kind: of() never returns them.
        this.objects = resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs as Obj);
        const charts = resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.inputs as ChartInputs);
        const istiod = charts.find((c) => c.chart.endsWith("istiod"));
        this.domain = (valueAt(istiod?.values, ["global", "proxy", "clusterDomain"]) as string | undefined) ?? "cluster.local";
        this.namespaces = this.of("Namespace");
        this.services = this.of("Service");
        this.workloads = this.of("Deployment").map((d) => {
            const pod = d.spec?.template;
            const containers = pod?.spec?.containers ?? [];
            return {
                namespace: nsOf(d),
                name: d.metadata?.name ?? "",
                labels: pod?.metadata?.labels ?? {},
                ports: containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)),
            };
        });
        // The gateway chart labels its pods app: <labels.app or release>, istio: <labels.istio or release without "istio-">.
        this.gatewayPods = charts
            .filter((c) => c.chart.endsWith("gateway"))
            .map((c) => {
                const values = (c.values ?? {}) as { name?: string; labels?: Labels };
                const release = values.name ?? c.name ?? "";
                const extra = values.labels ?? {};
                return {
                    namespace: c.namespace ?? "default",
                    name: release,
                    labels: { ...extra, app: extra.app ?? release, istio: extra.istio ?? release.replace(/^istio-/, "") },
                    ports: [],
                };
            });
    }

    /** Objects of a kind; Gateways are Istio's (the Gateway API's come from gatewayApiGateways). */
    of<K extends keyof Kinds>(kind: K): Kinds[K][] {
        return this.objects.filter((o): o is Kinds[K] => o.kind === kind && (kind !== "Gateway" || !isGatewayApi(o)));
    }

    gatewayApiGateways(): IGatewayApiGateway[] {
        return this.objects.filter((o): o is IGatewayApiGateway => o.kind === "Gateway" && isGatewayApi(o));
    }

    /** Istio's reading of a host written in a namespace: short names are local to it. */
    fqdn(host: string, namespace: string): string {
        return host.includes(".") || host === "*" ? host : `${host}.${namespace}.svc.${this.domain}`;
    }

    serviceFor(fqdn: string): IService | undefined {
        return this.services.find((s) => `${s.metadata?.name}.${nsOf(s)}.svc.${this.domain}` === fqdn);
    }

    /** True when a host is a Service of the lab or covered by a ServiceEntry. */
    known(fqdn: string): boolean {
        return this.serviceFor(fqdn) !== undefined || this.serviceEntryHost(fqdn);
    }

    serviceEntryHost(fqdn: string): boolean {
        return this.of("ServiceEntry").some((se) => (se.spec?.hosts ?? []).some((h) => h === fqdn || (h.startsWith("*.") && fqdn.endsWith(h.slice(1)))));
    }

    labelsOf(namespace: string): Labels {
        return this.namespaces.find((n) => n.metadata?.name === namespace)?.metadata?.labels ?? {};
    }

    injected(namespace: string): boolean {
        const labels = this.labelsOf(namespace);
        return labels["istio-injection"] === "enabled" || labels["istio.io/rev"] !== undefined;
    }

    ambient(namespace: string): boolean {
        return this.labelsOf(namespace)[DATAPLANE_MODE_LABEL] === "ambient";
    }

    /** In the mesh: pods get a sidecar, or ztunnel carries their traffic. */
    inMesh(namespace: string): boolean {
        return this.injected(namespace) || this.ambient(namespace);
    }

    /** The waypoint a Service's traffic goes through: its own label, else its namespace's (istio.io docs/ambient/usage/waypoint). */
    waypointOf(service: IService): string | undefined {
        const own = service.metadata?.labels?.[USE_WAYPOINT_LABEL];
        const chosen = own ?? this.labelsOf(nsOf(service))[USE_WAYPOINT_LABEL];
        return chosen === "none" ? undefined : chosen;
    }

    /** A waypoint Gateway of a namespace, by name. */
    waypointNamed(name: string, namespace: string): IGatewayApiGateway | undefined {
        return this.gatewayApiGateways().find((g) => g.metadata?.name === name && nsOf(g) === namespace && g.spec.gatewayClassName === WAYPOINT_CLASS);
    }
}

type Destination = NonNullable<NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number]["route"]>[number];

/** Destinations of every HTTP, TLS and TCP route of a VirtualService, with the route they belong to. */
function routes(vs: IVirtualService): { destinations: Destination[] }[] {
    const spec = vs.spec ?? {};
    return [...(spec.http ?? []), ...(spec.tls ?? []), ...(spec.tcp ?? [])].map((r) => ({ destinations: r.route ?? [] }));
}

export function analyze(evaluation: Evaluation): Finding[] {
    const mesh = new Mesh(evaluation.resources);
    const findings: Finding[] = [];
    const report = (severity: Severity, code: RuleCode, object: Obj, message: string) => findings.push({ severity, code, object: nameOf(object), message });

    const virtualServices = mesh.of("VirtualService");
    const destinationRules = mesh.of("DestinationRule");
    const gateways = mesh.of("Gateway");

    // Names of the subsets defined per resolved host.
    const subsets = new Map<string, Set<string>>();
    for (const dr of destinationRules) {
        const ns = nsOf(dr);
        const host = mesh.fqdn(dr.spec?.host ?? "", ns);
        const service = mesh.serviceFor(host);
        if (!mesh.known(host)) {
            report(
                "error",
                "BM001",
                dr,
                `host ${dr.spec?.host} (${host}) is no Service or ServiceEntry host of the lab; use the Service's name in namespace ${ns} or its full name`,
            );
        }
        const defined = subsets.get(host) ?? new Set<string>();
        for (const subset of dr.spec?.subsets ?? []) {
            defined.add(subset.name ?? "");
            if (!service) continue;
            const svcNs = nsOf(service);
            const selected = mesh.workloads.filter(
                (w) => w.namespace === svcNs && matches(service.spec?.selector, w.labels) && matches(subset.labels ?? {}, w.labels),
            );
            if (selected.length === 0) {
                report(
                    "error",
                    "BM004",
                    dr,
                    `subset ${subset.name} (${JSON.stringify(subset.labels ?? {})}) selects no pod behind Service ${svcNs}/${service.metadata?.name}; label a Deployment's pods with it or fix the subset's labels`,
                );
            }
        }
        subsets.set(host, defined);
    }

    const meshHosts = new Map<string, IVirtualService[]>();
    for (const vs of virtualServices) {
        const ns = nsOf(vs);
        const bound = vs.spec?.gateways ?? [];
        for (const g of bound) {
            if (g === "mesh") continue;
            const [gNs, gName] = g.includes("/") ? g.split("/") : [ns, g];
            if (!gateways.some((gw) => nsOf(gw) === gNs && gw.metadata?.name === gName)) {
                report("error", "BM006", vs, `gateway ${g} is not declared (looked for Gateway ${gNs}/${gName}); declare it or fix the name`);
            }
        }
        if (bound.length === 0 || bound.includes("mesh")) {
            for (const host of vs.spec?.hosts ?? []) {
                const fq = mesh.fqdn(host, ns);
                meshHosts.set(fq, [...(meshHosts.get(fq) ?? []), vs]);
            }
        }
        for (const host of vs.spec?.hosts ?? []) {
            const fq = mesh.fqdn(host, ns);
            if (fq !== "*" && !fq.startsWith("*.") && !mesh.known(fq) && bound.length === 0) {
                report("error", "BM001", vs, `host ${host} (${fq}) is no Service or ServiceEntry host of the lab; sidecars will never match it`);
            }
        }
        for (const { destinations } of routes(vs)) {
            const weighted = destinations.length > 1 || destinations.some((d) => d.weight !== undefined);
            const total = destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0);
            if (weighted && total !== 100) report("error", "BM008", vs, `route weights sum to ${total}; make them sum to 100`);
            for (const d of destinations) {
                const host = mesh.fqdn(d.destination?.host ?? "", ns);
                const service = mesh.serviceFor(host);
                if (!mesh.known(host)) {
                    report(
                        "error",
                        "BM001",
                        vs,
                        `destination ${d.destination?.host} (${host}) is no Service or ServiceEntry host of the lab; requests will fail with 503`,
                    );
                    continue;
                }
                const port = d.destination?.port?.number;
                if (service && port !== undefined && !(service.spec?.ports ?? []).some((p) => p.port === port)) {
                    const ports = (service.spec?.ports ?? []).map((p) => p.port).join(", ");
                    report(
                        "error",
                        "BM002",
                        vs,
                        `destination ${host} port ${port} is not a port of Service ${nsOf(service)}/${service.metadata?.name} (${ports})`,
                    );
                }
                const subset = d.destination?.subset;
                if (subset !== undefined && !subsets.get(host)?.has(subset)) {
                    report(
                        "error",
                        "BM003",
                        vs,
                        `route to subset ${subset} of ${host}, which no DestinationRule defines; add it to a DestinationRule for ${host}`,
                    );
                }
            }
        }
    }
    for (const [host, list] of meshHosts) {
        if (list.length > 1) {
            for (const vs of list)
                report(
                    "error",
                    "BM007",
                    vs,
                    `${list.length} mesh VirtualServices for ${host} (${list.map(nameOf).join(", ")}); Istio applies one at random: merge them`,
                );
        }
    }

    for (const gw of gateways) {
        const selector = gw.spec?.selector ?? {};
        const pods = mesh.gatewayPods;
        if (!pods.some((p) => matches(selector, p.labels))) {
            report(
                "error",
                "BM005",
                gw,
                `selector ${JSON.stringify(selector)} matches no gateway deployment of the lab (${mesh.gatewayPods.map((p) => JSON.stringify({ app: p.labels.app, istio: p.labels.istio })).join(", ") || "none"})`,
            );
        }
    }

    gatewayApiFindings(mesh, meshHosts, report);
    ambientFindings(mesh, meshHosts, report);
    classroomFindings(mesh, report);

    for (const service of mesh.services) {
        const ns = nsOf(service);
        if (!mesh.inMesh(ns)) continue;
        for (const port of service.spec?.ports ?? []) {
            const name = String(port.name ?? "").toLowerCase();
            // A UDP port or an appProtocol tells Istio the protocol whatever the name says (grpc-web names
            // start with the grpc prefix).
            const told = port.protocol === "UDP" || port.appProtocol !== undefined;
            if (!told && !PROTOCOL_PREFIXES.includes(name.split("-")[0])) {
                report(
                    "warning",
                    "BM009",
                    service,
                    `port ${port.port} is named ${JSON.stringify(port.name ?? "")}; name it <protocol>[-suffix] (http, grpc, tcp, ...) or set appProtocol so Istio does not treat it as opaque TCP`,
                );
            }
        }
    }

    // Workloads that opt out of the mesh (as Istio's addons do) need no injection.
    const optedOut = (w: Workload) => w.labels["sidecar.istio.io/inject"] === "false";
    const workloadNamespaces = new Set(mesh.workloads.filter((w) => !optedOut(w)).map((w) => w.namespace));
    for (const ns of workloadNamespaces) {
        const namespace = mesh.namespaces.find((n) => n.metadata?.name === ns);
        if (namespace && !mesh.inMesh(ns))
            report(
                "error",
                "BM011",
                namespace,
                `has mesh workloads but neither istio-injection=enabled nor ${DATAPLANE_MODE_LABEL}=ambient: its pods are outside the mesh`,
            );
    }
    for (const w of mesh.workloads) {
        if (!mesh.inMesh(w.namespace) || w.ports.length === 0) continue;
        const selected = mesh.services.some((s) => nsOf(s) === w.namespace && matches(s.spec?.selector, w.labels));
        if (!selected) {
            const deployment = mesh.of("Deployment").find((d) => d.metadata?.name === w.name && nsOf(d) === w.namespace)!;
            report("error", "BM010", deployment, `listens on ${w.ports.join(", ")} but no Service selects its pods; Istio routes only to Services`);
        }
    }
    return findings;
}

type Report = (severity: Severity, code: RuleCode, object: Obj, message: string) => void;

/**
 * The Gateway API's objects as Istio reads them (istio/istio 1.31.0-rc.0 pilot/pkg/config/kube/gateway/
 * conversion.go: parents L545-550 and L738-745, backends L977-1052 and L1139-1146, all-zero weights L229-234;
 * a Hostname address programs that Service's pods in the Gateway's namespace: gatewaycommon/gateway_utils.go
 * IsManaged, pilot/pkg/model/push_context.go L2431-2474).
 */
function gatewayApiFindings(mesh: Mesh, meshVirtualServices: Map<string, IVirtualService[]>, report: Report): void {
    const gateways = mesh.gatewayApiGateways();
    for (const gw of gateways) {
        for (const address of gw.spec.addresses ?? []) {
            if (address.type !== "Hostname") continue;
            const fq = mesh.fqdn(address.value ?? "", nsOf(gw));
            if (!mesh.gatewayPods.some((p) => `${p.name}.${p.namespace}.svc.${mesh.domain}` === fq && p.namespace === nsOf(gw))) {
                report(
                    "error",
                    "BM015",
                    gw,
                    `address ${address.value} is no gateway Service of namespace ${nsOf(gw)} (${mesh.gatewayPods.map((p) => `${p.name}.${p.namespace}`).join(", ") || "none"}); Istio programs only a Service in the Gateway's own namespace`,
                );
            }
        }
    }
    const serviceNamed = (name: string, ns: string) => mesh.serviceFor(`${name}.${ns}.svc.${mesh.domain}`);
    for (const route of mesh.of("HTTPRoute")) {
        const ns = nsOf(route);
        for (const parent of route.spec.parentRefs ?? []) {
            const parentNs = parent.namespace ?? ns;
            if (parent.kind === "Service" && parent.group === "") {
                const fq = `${parent.name}.${parentNs}.svc.${mesh.domain}`;
                if (mesh.serviceFor(fq) === undefined)
                    report("error", "BM012", route, `parent Service ${parentNs}/${parent.name} is not declared; mesh calls to it are not routed`);
                else {
                    const both = meshVirtualServices.get(fq);
                    if (both)
                        report(
                            "error",
                            "BM016",
                            route,
                            `${fq} is routed by ${both.map(nameOf).join(", ")} too; Istio does not support both APIs for one host: keep one`,
                        );
                }
                continue;
            }
            const gw = gateways.find((g) => g.metadata?.name === parent.name && nsOf(g) === parentNs);
            if (gw === undefined) {
                report("error", "BM012", route, `parent Gateway ${parentNs}/${parent.name} is not declared; declare it or fix the parentRef`);
                continue;
            }
            const admits = (gw.spec.listeners ?? []).some((l) => {
                const from = l.allowedRoutes?.namespaces?.from ?? "Same";
                if (from === "All") return true;
                if (from === "Same") return parentNs === ns;
                const labels = { ...(mesh.namespaces.find((n) => n.metadata?.name === ns)?.metadata?.labels ?? {}), "kubernetes.io/metadata.name": ns };
                return from === "Selector" && matches(l.allowedRoutes?.namespaces?.selector?.matchLabels ?? {}, labels);
            });
            if (!admits)
                report("error", "BM012", route, `Gateway ${parentNs}/${parent.name} admits no route of namespace ${ns} (its listeners' allowedRoutes)`);
        }
        for (const rule of route.spec.rules ?? []) {
            const backends = rule.backendRefs ?? [];
            if (backends.length > 0 && backends.every((b) => b.weight === 0))
                report("error", "BM014", route, "every backend weighs 0: Istio answers each request with 500");
            for (const b of backends) {
                if ((b.kind ?? "Service") !== "Service" || (b.group ?? "") !== "") continue;
                const backendNs = b.namespace ?? ns;
                const service = serviceNamed(b.name, backendNs);
                if (backendNs !== ns)
                    report(
                        "error",
                        "BM013",
                        route,
                        `backend ${backendNs}/${b.name} is in another namespace; it needs a ReferenceGrant, and the lab routes within its namespace`,
                    );
                else if (service === undefined)
                    report("error", "BM013", route, `backend ${b.name} is no Service of namespace ${ns}; requests to it fail with 500`);
                else if (!(service.spec?.ports ?? []).some((p) => p.port === b.port))
                    report(
                        "error",
                        "BM013",
                        route,
                        `backend ${b.name} port ${b.port} is not a port of Service ${ns}/${b.name} (${(service.spec?.ports ?? []).map((p) => p.port).join(", ")})`,
                    );
            }
        }
    }
}

/**
 * Ambient's waypoints (istio/istio.io content/en/docs/ambient/usage/waypoint/index.md and l7-features/index.md):
 * a label naming a waypoint must find one, and a route inside the mesh takes effect only where a waypoint
 * serves its host, since ztunnel works at layer 4.
 */
function ambientFindings(mesh: Mesh, meshVirtualServices: Map<string, IVirtualService[]>, report: Report): void {
    for (const holder of [...mesh.namespaces, ...mesh.services]) {
        const name = holder.metadata?.labels?.[USE_WAYPOINT_LABEL];
        const ns = holder.kind === "Namespace" ? (holder.metadata?.name ?? "") : nsOf(holder);
        if (name === undefined || name === "none" || mesh.waypointNamed(name, ns)) continue;
        report(
            "error",
            "BM017",
            holder,
            `${USE_WAYPOINT_LABEL}=${name} names no Gateway of class ${WAYPOINT_CLASS} in namespace ${ns}; its traffic goes nowhere`,
        );
    }
    const unserved = (service: IService) => mesh.ambient(nsOf(service)) && mesh.waypointOf(service) === undefined;
    for (const [host, list] of meshVirtualServices) {
        const service = mesh.serviceFor(host);
        if (service === undefined || !unserved(service)) continue;
        for (const vs of list)
            report("error", "BM018", vs, `${host} is in ambient with no waypoint: ztunnel carries its calls at layer 4 and never applies this route`);
    }
    for (const route of mesh.of("HTTPRoute")) {
        for (const parent of route.spec.parentRefs ?? []) {
            if (parent.kind !== "Service" || parent.group !== "") continue;
            const service = mesh.serviceFor(`${parent.name}.${parent.namespace ?? nsOf(route)}.svc.${mesh.domain}`);
            if (service !== undefined && unserved(service))
                report(
                    "error",
                    "BM018",
                    route,
                    `parent Service ${nsOf(service)}/${parent.name} is in ambient with no waypoint: ztunnel never applies this route`,
                );
        }
    }
}

/**
 * A classroom's shops on one mesh (namespaces labelled with SHOP_LABEL): Istio exports an object to every
 * namespace unless its exportTo says otherwise, and a host of another namespace or another shop's ingress host
 * would carry one shop's scenario into another's traffic.
 */
function classroomFindings(mesh: Mesh, report: Report): void {
    const shopOf = (namespace: string) => mesh.labelsOf(namespace)[SHOP_LABEL];
    const ingressHosts = new Map<string, string[]>();
    for (const object of [...mesh.of("VirtualService"), ...mesh.of("DestinationRule"), ...mesh.of("ServiceEntry")]) {
        const ns = nsOf(object);
        if (shopOf(ns) === undefined) continue;
        const exportTo = object.spec?.exportTo;
        const beyond = exportedBeyond(exportTo, ns, ISTIO_NAMESPACE);
        if (beyond.length > 0)
            report(
                "error",
                "BM019",
                object,
                `${exportTo ? `exportTo ${JSON.stringify(exportTo)} reaches ${beyond.join(", ")}` : "has no exportTo, so Istio exports it to every namespace"}: other shops' proxies would apply it; export it to "." (and ${ISTIO_NAMESPACE} where the ingress needs it)`,
            );
        if (object.kind === "ServiceEntry") continue;
        const hosts =
            object.kind === "DestinationRule"
                ? [object.spec?.host ?? ""]
                : [...(object.spec?.hosts ?? []), ...routes(object).flatMap((r) => r.destinations.map((d) => d.destination?.host ?? ""))];
        for (const host of new Set(hosts.map((h) => mesh.fqdn(h, ns)))) {
            const owner = host.endsWith(`.svc.${mesh.domain}`) ? host.split(".")[1] : undefined;
            if (owner !== undefined && owner !== ns)
                report("error", "BM020", object, `${host} is a host of namespace ${owner}: shop ${shopOf(ns)} reaches beyond its own`);
        }
        if (object.kind === "VirtualService" && (object.spec?.gateways ?? []).length > 0)
            for (const host of object.spec?.hosts ?? []) ingressHosts.set(host, [...(ingressHosts.get(host) ?? []), ns]);
    }
    for (const [host, namespaces] of ingressHosts) {
        const shops = [...new Set(namespaces)];
        if (shops.length < 2) continue;
        for (const vs of mesh.of("VirtualService").filter((v) => shops.includes(nsOf(v)) && (v.spec?.hosts ?? []).includes(host)))
            report("error", "BM020", vs, `ingress host ${host} is served by the shops of ${shops.join(", ")}: the ingress mixes their traffic`);
    }
}

/** One line per finding. */
export function formatFinding(f: Finding): string {
    return `${f.severity} ${f.code} ${f.object}: ${f.message}`;
}
