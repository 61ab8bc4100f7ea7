/**
 * The lab's CrossGuard policies, as a module the tests import; policy/index.ts packs them. They look at
 * every Kubernetes object Pulumi is about to create, the charts' rendered children included.
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };
import type { IContainer } from "kubernetes-models/v1/Container" with { "resolution-mode": "import" };
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import type { IService } from "kubernetes-models/v1/Service" with { "resolution-mode": "import" };
import { valueAt } from "../config/object-path";
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { EXPOSURE_ANNOTATION, SHOP_LABEL } from "../components/labels";
import { parse as parseYaml } from "yaml";
import { isPinned, parseImage } from "../components/images/references";
import { NODE_AGENTS } from "../catalog/ambient";
import { ISTIO_NAMESPACE } from "../components/mesh/charts";
import { exportedBeyond } from "../components/routing/objects";

/** Policy config (`--policy-pack-config`): the stack's `boutique-mesh:images.mirrors`. */
export interface PolicySettings {
    mirrors?: Record<string, string>;
}

/** JSON schema of PolicySettings, as CrossGuard validates it. */
export const SETTINGS_SCHEMA = {
    properties: { mirrors: { type: "object" as const, additionalProperties: { type: "string" as const } } },
};

/** What the policies read of every object. */
interface KubeObject {
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATH = new Map<string | undefined, readonly string[]>([
    ["Pod", ["spec"]],
    ["Deployment", ["spec", "template", "spec"]],
    ["StatefulSet", ["spec", "template", "spec"]],
    ["DaemonSet", ["spec", "template", "spec"]],
    ["ReplicaSet", ["spec", "template", "spec"]],
    ["Job", ["spec", "template", "spec"]],
    ["CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]],
]);

/** The Kubernetes kind of a resource, from its Pulumi type ("kubernetes:apps/v1:Deployment"). */
function kindOf(args: ResourceValidationArgs): string | undefined {
    const match = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(args.type);
    return match?.[1];
}

function podSpec(args: ResourceValidationArgs): IPodSpec | undefined {
    const path = POD_SPEC_PATH.get(kindOf(args));
    return path === undefined ? undefined : (valueAt(args.props, path) as IPodSpec | undefined);
}

/** The object's name as the messages give it: its own, or the resource's. */
function objectName(args: ResourceValidationArgs): string {
    return (args.props as KubeObject).metadata?.name ?? args.name;
}

/** What an Istio networking object of a classroom's shop is read for. */
interface ShopObject {
    metadata?: { namespace?: string; labels?: Record<string, string> };
    spec?: { exportTo?: string[]; host?: string; hosts?: string[]; http?: { route?: { destination?: { host?: string } }[] }[] };
}

const ISTIO_KINDS_EXPORTED = ["VirtualService", "DestinationRule", "ServiceEntry"];

/**
 * What keeps a classroom's shop (an object labelled SHOP_LABEL) to itself: exported to its namespace and the
 * ingress gateway's alone, and naming Services of its own namespace only (`<service>.<namespace>.svc...`).
 */
export function shopIsolationProblems(kind: string | undefined, object: ShopObject): string[] {
    const shop = object.metadata?.labels?.[SHOP_LABEL];
    if (shop === undefined || kind === undefined || !ISTIO_KINDS_EXPORTED.includes(kind)) return [];
    const ns = object.metadata?.namespace;
    const spec = object.spec ?? {};
    const problems: string[] = [];
    const beyond = exportedBeyond(spec.exportTo, ns, ISTIO_NAMESPACE);
    if (beyond.length > 0) problems.push(`is exported to ${beyond.join(", ")}; a shop's objects go to "." and ${ISTIO_NAMESPACE} only`);
    if (kind === "ServiceEntry") return problems;
    const hosts = [spec.host, ...(spec.hosts ?? []), ...(spec.http ?? []).flatMap((r) => (r.route ?? []).map((d) => d.destination?.host))];
    for (const host of new Set(hosts)) {
        const owner = host?.includes(".svc.") ? host.split(".")[1] : undefined;
        if (owner !== undefined && owner !== ns) problems.push(`names ${host}, a host of namespace ${owner}, not of shop ${shop}`);
    }
    return problems;
}

/** What a Gateway API Gateway is read for. */
interface GatewayApiGateway {
    metadata?: { name?: string; annotations?: Record<string, string> };
    spec?: { gatewayClassName?: string; addresses?: { type?: string; value?: string }[] };
}

/**
 * A Gateway API Gateway of class `istio` that istiod deploys itself: one without a single Hostname address
 * (istio/istio 1.31.0-rc.0 pilot/pkg/config/kube/gatewaycommon/gateway_utils.go IsManaged, L64-78) gets a
 * Deployment and a Service, a LoadBalancer (classinfo.go L122, the class's DefaultServiceType) unless the
 * Gateway's annotation `networking.istio.io/service-type` says otherwise (deploymentcontroller.go L392-395).
 */
function istioDeployedLoadBalancer(args: ResourceValidationArgs): string | undefined {
    if (!/^kubernetes:gateway\.networking\.k8s\.io\/[^:]+:Gateway$/.test(args.type)) return undefined;
    const gateway = args.props as GatewayApiGateway;
    if (gateway.spec?.gatewayClassName !== "istio") return undefined;
    const addresses = gateway.spec.addresses ?? [];
    if (addresses.length === 1 && addresses[0].type === "Hostname") return undefined;
    const annotations = gateway.metadata?.annotations ?? {};
    const type = annotations["networking.istio.io/service-type"] ?? "LoadBalancer";
    if ((type !== "LoadBalancer" && type !== "NodePort") || annotations[EXPOSURE_ANNOTATION] === "config") return undefined;
    return `Gateway ${objectName(args)} has no Hostname address, so istiod deploys it with a ${type} Service the config did not ask for; bind it to the lab's ingress gateway`;
}

/** Every container of a workload, init containers included. */
function containers(spec: IPodSpec): IContainer[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Istio's gateway chart leaves the image to injection ("auto"), which draws it from istiod's hub. */
const INJECTED_IMAGE = "auto";

/**
 * An ambient node agent of Istio's (catalog/ambient.ts): the cni or ztunnel DaemonSet in istio-system. Each
 * must run as root with network capabilities to rewire pods' traffic, so the rules on a container's
 * privileges name them as their one exception.
 */
function isNodeAgent(args: ResourceValidationArgs): boolean {
    const metadata = (args.props as KubeObject).metadata;
    return kindOf(args) === "DaemonSet" && metadata?.namespace === ISTIO_NAMESPACE && NODE_AGENTS.some((a) => a.daemonSet === metadata.name);
}

/** The exception the privilege rules make, as their descriptions say it. */
const NODE_AGENT_EXCEPTION = ` Except Istio's ambient node agents, which need root and network capabilities: ${NODE_AGENTS.map((a) => `DaemonSet ${ISTIO_NAMESPACE}/${a.daemonSet} ${a.needs}`).join("; ")}.`;

/** A policy over every container of every workload; `nodeAgentsExempt`: one of the rules ambient's node agents cannot meet. */
function containerPolicy(
    name: string,
    description: string,
    check: (container: IContainer, pod: IPodSpec, settings: PolicySettings) => string | undefined,
    nodeAgentsExempt = false,
): ResourceValidationPolicy {
    return {
        name,
        description: nodeAgentsExempt ? description + NODE_AGENT_EXCEPTION : description,
        enforcementLevel: "mandatory",
        configSchema: SETTINGS_SCHEMA,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const spec = podSpec(args);
            if (spec === undefined || (nodeAgentsExempt && isNodeAgent(args))) return;
            const settings = args.getConfig<PolicySettings>() ?? {};
            for (const container of containers(spec)) {
                const problem = check(container, spec, settings);
                if (problem) reportViolation(`${kindOf(args)} ${objectName(args)}, container ${container.name}: ${problem}`);
            }
        },
    };
}

const SENSITIVE = /(password|passwd|secret|token|api[-_]?key|credential|private[-_]?key|signing[-_]?key)/i;
/** Names that point at a secret rather than hold it. */
const REFERENCE = /(_file|_path|_name|_ref)$/i;
const sensitive = (key: string) => SENSITIVE.test(key) && !REFERENCE.test(key);
/** A value that names where a secret is (Kiali's `secret:<name>:<key>`), not the secret. */
const SECRET_REFERENCE = /^secret:[^:\s]+:\S+$/;

/**
 * The paths of a configuration document (a ConfigMap value in YAML or JSON, as Kiali's chart writes its
 * config.yaml) whose key names a secret and whose value is one: a non-empty string that is no reference.
 */
export function secretsInDocument(text: string): string[] {
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch {
        return [];
    }
    const found: string[] = [];
    const walk = (value: unknown, at: string) => {
        if (value === null || typeof value !== "object") return;
        for (const [key, inner] of Object.entries(value)) {
            const path = at ? `${at}.${key}` : key;
            if (typeof inner === "string" && inner !== "" && sensitive(key) && !SECRET_REFERENCE.test(inner)) found.push(path);
            else walk(inner, path);
        }
    };
    walk(doc, "");
    return found;
}

export const policies: ResourceValidationPolicy[] = [
    containerPolicy(
        "containers-run-as-non-root",
        "Containers run as a non-root user.",
        (c, pod) => {
            const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
            const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
            return nonRoot === true || (typeof user === "number" && user > 0) ? undefined : "set runAsNonRoot: true (or a non-zero runAsUser)";
        },
        true,
    ),
    containerPolicy(
        "no-privilege-escalation",
        "Containers cannot gain privileges.",
        (c) => {
            const context = c.securityContext ?? {};
            return context.allowPrivilegeEscalation === false && context.privileged !== true
                ? undefined
                : "set allowPrivilegeEscalation: false and do not run privileged";
        },
        true,
    ),
    containerPolicy(
        "read-only-root-filesystem",
        "Containers run with a read-only root filesystem.",
        (c) => (c.securityContext?.readOnlyRootFilesystem === true ? undefined : "set readOnlyRootFilesystem: true (mount an emptyDir where it must write)"),
        true,
    ),
    containerPolicy("requests-and-limits", "Containers set CPU and memory requests and limits.", (c) => {
        const missing = ["requests", "limits"].flatMap((k) =>
            ["cpu", "memory"].filter((r) => valueAt(c.resources, [k, r]) === undefined).map((r) => `${k}.${r}`),
        );
        return missing.length === 0 ? undefined : `set resources ${missing.join(", ")}`;
    }),
    containerPolicy("pinned-images", "Images name one immutable version: a digest or a versioned tag, never latest.", (c) =>
        c.image === INJECTED_IMAGE || (c.image !== undefined && isPinned(c.image))
            ? undefined
            : `image ${c.image ?? "(none)"} is not pinned; use a versioned tag or a digest`,
    ),
    containerPolicy("images-through-mirrors", "Images come through the configured mirrors, never from a mirrored registry directly.", (c, _pod, settings) => {
        if (c.image === undefined || c.image === INJECTED_IMAGE) return undefined;
        const { registry } = parseImage(c.image);
        const mirror = settings.mirrors?.[registry];
        return mirror === undefined ? undefined : `image ${c.image} is pulled from ${registry} although its mirror is ${mirror}`;
    }),
    {
        name: "no-unrequested-exposure",
        description: "No NodePort or LoadBalancer Service unless the stack's config asked for it, nor a Gateway API Gateway istiod would expose so.",
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            const exposing = istioDeployedLoadBalancer(args);
            if (exposing) reportViolation(exposing);
            if (kindOf(args) !== "Service") return;
            const service = args.props as IService;
            const type = service.spec?.type;
            if (type !== "NodePort" && type !== "LoadBalancer") return;
            if (service.metadata?.annotations?.[EXPOSURE_ANNOTATION] === "config") return;
            reportViolation(`Service ${objectName(args)} is ${type} but the config did not ask for it (no ${EXPOSURE_ANNOTATION} annotation)`);
        },
    },
    {
        name: "shop-isolation",
        description: "A classroom shop's routes and rules stay within its namespace: exportTo its own and the ingress gateway's, hosts of its own.",
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            for (const problem of shopIsolationProblems(kindOf(args), args.props as ShopObject))
                reportViolation(`${kindOf(args)} ${(args.props as ShopObject).metadata?.namespace}/${objectName(args)} ${problem}`);
        },
    },
    {
        name: "no-plain-text-secrets",
        description: "No secret value in plain text in a ConfigMap or a container's env; use a Secret and valueFrom.",
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (kindOf(args) === "ConfigMap") {
                const name = objectName(args);
                for (const [key, text] of Object.entries((args.props as IConfigMap).data ?? {})) {
                    if (sensitive(key)) reportViolation(`ConfigMap ${name} holds ${key} in plain text; move it to a Secret`);
                    else if (typeof text === "string") {
                        for (const path of secretsInDocument(text)) {
                            reportViolation(`ConfigMap ${name} holds ${path} in plain text in ${key}; move it to a Secret and reference it`);
                        }
                    }
                }
            }
            const spec = podSpec(args);
            for (const c of spec ? containers(spec) : []) {
                for (const env of c.env ?? []) {
                    if (env.value !== undefined && sensitive(env.name)) {
                        reportViolation(
                            `${kindOf(args)} ${objectName(args)}, container ${c.name}: env ${env.name} is a plain value; use valueFrom.secretKeyRef`,
                        );
                    }
                }
            }
        },
    },
];
