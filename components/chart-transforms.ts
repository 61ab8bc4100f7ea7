/**
 * What the lab changes in the objects a chart renders, as Pulumi resource transforms. A transform
 * given to a helm.v4.Chart reaches every object the chart creates: the provider registers each object
 * with the Chart as its parent (pulumi-kubernetes f47bc2d6f199, provider/pkg/provider/helm/v4/chart.go,
 * Construct), and the engine keeps the transforms of a remote component until its provider registers
 * the component, then applies a parent's transforms to each child (pulumi/pulumi pkg v3.248.0,
 * resource/deploy/source_eval.go, RegisterResource: "pendingTransforms" and the walk over
 * "resourceTransforms" of the parents). Each transform is a pure function of one object, so it is
 * tested as such: under mocks a Chart has no children.
 */
import type * as pulumi from "@pulumi/pulumi";
import { named, withMetadata } from "./transforms";
import { PATCH_FORCE } from "./teardown";

/** Type tokens of the objects these transforms touch, as Chart v4 registers them. */
export const VALIDATING_WEBHOOKS = "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration";
export const MUTATING_WEBHOOKS = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";

/** The provider's await override (pulumi-kubernetes provider/pkg/metadata/annotations.go, AnnotationWaitFor). */
export const WAIT_FOR = "pulumi.com/waitFor";

/**
 * Ready once istiod has written the webhook's CA bundle. The provider waits until the JSONPath selects
 * something (provider/pkg/jsonpath/jsonpath.go, Matches: no value given, so a present path matches);
 * istiod writes the bundle into every webhook of the object in one update.
 */
export const CA_BUNDLE_WRITTEN = "jsonpath={.webhooks[0].clientConfig.caBundle}";

interface Webhook {
    failurePolicy?: string;
}

interface KubeObject {
    metadata?: { name?: string; annotations?: Record<string, string> };
}

interface WebhookConfiguration extends KubeObject {
    webhooks?: Webhook[];
}

const unchanged = undefined;

/**
 * Every validating webhook fails closed from the start, the value istiod itself converges to. Charts
 * before Istio 1.28.6, 1.29.2 and 1.30.0 render `Ignore` (catalog/versions.ts,
 * validation-failure-policy-honoured); istiod then sets `Fail` with an update of its own, so a refresh
 * records `Fail` and the next `up` would apply `Ignore` over a field istiod manages: a server-side
 * apply conflict. An apply conflicts only on fields whose value it changes (kubernetes-sigs/
 * structured-merge-diff v6.3.2, merge/update.go, Updater.update), so applying the value istiod keeps
 * leaves no drift and no conflict. (Istio 1.14 to 1.20 may write `Ignore` after a start until its
 * webhook serves: catalog/versions.ts, validator-writes-ignore-until-ready.)
 */
export const failClosedValidation: pulumi.ResourceTransform = (args) => {
    if (args.type !== VALIDATING_WEBHOOKS) return unchanged;
    const object = args.props as WebhookConfiguration;
    return { props: { ...object, webhooks: (object.webhooks ?? []).map((webhook) => ({ ...webhook, failurePolicy: "Fail" })) }, opts: args.opts };
};

export { PATCH_FORCE };

/**
 * For releases whose istiod chart creates Istio config with istiod itself (catalog/versions.ts,
 * istiod-chart-renders-envoyfilters, 1.14 to 1.17): the validating webhooks keep the `Ignore` the charts
 * render, so those EnvoyFilters are admitted while no istiod can answer (fail-closed, the API server
 * rejects them and the provider does not retry: pulumi-kubernetes provider/pkg/await/await.go), and
 * istiod sets `Fail` once it serves, as these releases do on every start (validator-writes-ignore-
 * until-ready). A later apply of the webhook object forces its fields over istiod's instead of
 * conflicting; istiod then writes `Fail` again.
 */
export const validationOwnedByIstiod: pulumi.ResourceTransform = (args) =>
    args.type === VALIDATING_WEBHOOKS ? withMetadata(args, "annotations", { [PATCH_FORCE]: "true" }) : unchanged;

/**
 * A webhook object counts as created only once it can be called: istiod has written its CA bundle.
 * Until then a fail-closed validating webhook rejects every Istio object and the injection webhook
 * every pod, because the API server cannot verify istiod's certificate.
 */
export const awaitCaBundle: pulumi.ResourceTransform = (args) => {
    if (args.type !== VALIDATING_WEBHOOKS && args.type !== MUTATING_WEBHOOKS) return unchanged;
    return withMetadata(args, "annotations", { [WAIT_FOR]: CA_BUNDLE_WRITTEN });
};

interface Container {
    name: string;
    env?: { name: string }[];
}

interface DeploymentObject extends KubeObject {
    spec?: { template?: { spec?: { containers?: Container[] } } };
}

interface ServiceObject extends KubeObject {
    spec?: { ports?: { port: number; nodePort?: number }[] };
}

/** One container of one Deployment changed, the rest of the object as it was; other objects are left alone. */
function withContainer(
    args: pulumi.ResourceTransformArgs,
    deployment: string,
    container: string,
    change: (c: Container) => Record<string, unknown>,
): pulumi.ResourceTransformResult | undefined {
    const object = args.props as DeploymentObject;
    if (args.type !== DEPLOYMENT || object.metadata?.name !== deployment) return unchanged;
    const pod = object.spec?.template?.spec;
    const containers = (pod?.containers ?? []).map((c) => (c.name === container ? change(c) : c));
    return { props: { ...object, spec: { ...object.spec, template: { ...object.spec?.template, spec: { ...pod, containers } } } }, opts: args.opts };
}

/**
 * Gives one container of one Deployment an environment variable read from a Secret: for charts that
 * can only set variables to literal values (kiali-server before 1.59.1, catalog/versions.ts).
 */
export function envFromSecret(deployment: string, container: string, variable: string, secret: { name: string; key: string }): pulumi.ResourceTransform {
    return named(`envFromSecret(${deployment}/${container}: ${variable} from ${secret.name}/${secret.key})`, (args) =>
        withContainer(args, deployment, container, (c) => ({
            ...c,
            env: [...(c.env ?? []).filter((e) => e.name !== variable), { name: variable, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } }],
        })),
    );
}

/** Pins the node port of one port of one Service: for charts that leave it to Kubernetes (kiali-server before 1.81.0). */
export function serviceNodePort(service: string, port: number, nodePort: number): pulumi.ResourceTransform {
    return named(`serviceNodePort(${service}: ${port} on node port ${nodePort})`, (args) => {
        const object = args.props as ServiceObject;
        if (args.type !== SERVICE || object.metadata?.name !== service) return unchanged;
        const ports = (object.spec?.ports ?? []).map((p) => (p.port === port ? { ...p, nodePort } : p));
        return { props: { ...object, spec: { ...object.spec, ports } }, opts: args.opts };
    });
}

/** istiod's Deployment and container in its chart, and the port of its webhook server (--httpsAddr, :15017). */
export const ISTIOD_DEPLOYMENT = { name: "istiod", container: "discovery", webhookPort: 15017 };

/**
 * istiod is Ready only once its webhook server accepts connections. Releases with istio#61049
 * (catalog/versions.ts, istiod-ready-before-webhook-server) report ready on :8080 before the server on
 * :15017 listens, so an Istio object created at once meets a webhook the API server cannot call. A
 * startup probe on that port holds back the readiness probe until it succeeds (Kubernetes runs no
 * other probe before a startup probe has passed), and the provider waits for the Deployment's ready
 * replicas: the same guarantee the fixed releases give by gating /ready on the webhook server.
 */
export const awaitWebhookServer: pulumi.ResourceTransform = (args) =>
    withContainer(args, ISTIOD_DEPLOYMENT.name, ISTIOD_DEPLOYMENT.container, (c) => ({
        ...c,
        startupProbe: { tcpSocket: { port: ISTIOD_DEPLOYMENT.webhookPort }, periodSeconds: 1, failureThreshold: 300 },
    }));

/** Type tokens of the cluster-scoped kinds the lab's charts render (catalog/cluster-objects.ts). */
const CLUSTER_SCOPED = new Set([
    VALIDATING_WEBHOOKS,
    MUTATING_WEBHOOKS,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
]);

/**
 * Marks the cluster-scoped objects a chart renders with the labels of the lab's namespaces (the stack
 * that owns them): no namespace deletes them, so the preflight of another stack, or of this one after
 * its state is gone, can say whose they are.
 */
export function labelClusterScoped(labels: Record<string, string>): pulumi.ResourceTransform {
    return named(
        `labelClusterScoped(${Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")})`,
        (args) => (CLUSTER_SCOPED.has(args.type) ? withMetadata(args, "labels", labels) : unchanged),
    );
}
