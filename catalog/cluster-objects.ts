/**
 * The cluster-scoped objects the lab's charts create, besides Istio's CRDs (which the base chart adopts:
 * components/teardown.ts), by name, as the chart templates name them for the lab's releases (`istiod`,
 * `istio-base`, `prometheus`, `kiali` in istio-system, no revision). A cluster that already holds one of
 * them that is not in the stack's state stops the engine half-way (pulumi-kubernetes from 4.29.0: a
 * create of an existing object fails with AlreadyExists), so the preflight looks for them first.
 */
import { holds } from "./versions";

export type ClusterScopedKind = "ClusterRole" | "ClusterRoleBinding" | "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";

export interface ClusterObject {
    kind: ClusterScopedKind;
    name: string;
}

/** kubectl's resource names of the kinds. */
export const KUBECTL_RESOURCE: Record<ClusterScopedKind, string> = {
    ClusterRole: "clusterroles",
    ClusterRoleBinding: "clusterrolebindings",
    MutatingWebhookConfiguration: "mutatingwebhookconfigurations",
    ValidatingWebhookConfiguration: "validatingwebhookconfigurations",
};

const roleAndBinding = (name: string): ClusterObject[] => [
    { kind: "ClusterRole", name },
    { kind: "ClusterRoleBinding", name },
];

/**
 * Sources: istio/istio 1.14.6, 1.18.7, 1.19.10, 1.30.3 and release-1.31 manifests/charts/base/templates and
 * istio-control/istio-discovery/templates (clusterrole.yaml, clusterrolebinding.yaml, reader-clusterrole.yaml,
 * mutatingwebhook.yaml, validatingwebhookconfiguration.yaml, default.yaml / defaultrevision-validatingwebhook
 * configuration.yaml); prometheus-community/helm-charts prometheus-15.0.1 templates/server/clusterrole.yaml and
 * prometheus-28.13.0 templates/clusterrole.yaml (the server's fullname, which the lab overrides to
 * `prometheus`); kiali/helm-charts v1.50.0, v1.76.0, v2.0.0 kiali-server/templates/role.yaml, role-viewer.yaml,
 * rolebinding.yaml (`kiali`, `kiali-viewer`). In ambient, istio/istio 1.25.5 and 1.31.0-rc.0
 * manifests/charts/istio-cni/templates/clusterrole.yaml and clusterrolebinding.yaml (`istio-cni`, its repair role and
 * binding, `istio-cni-ambient`); ztunnel's rbac.yaml renders a ClusterRole only on OpenShift.
 */
export function labClusterObjects(
    istioVersion: string,
    addons: { prometheus: boolean; kiali: boolean },
    namespace = "istio-system",
    ambient = false,
): ClusterObject[] {
    return [
        ...(holds("base-chart-renders-istiod-rbac", istioVersion)
            ? [...roleAndBinding(`istiod-${namespace}`), ...roleAndBinding(`istio-reader-${namespace}`)]
            : []),
        { kind: "ValidatingWebhookConfiguration", name: "istiod-default-validator" },
        ...roleAndBinding(`istiod-clusterrole-${namespace}`),
        ...roleAndBinding(`istiod-gateway-controller-${namespace}`),
        ...roleAndBinding(`istio-reader-clusterrole-${namespace}`),
        { kind: "MutatingWebhookConfiguration", name: "istio-sidecar-injector" },
        { kind: "ValidatingWebhookConfiguration", name: `istio-validator-${namespace}` },
        ...(addons.prometheus ? roleAndBinding("prometheus") : []),
        ...(addons.kiali ? [...roleAndBinding("kiali"), ...roleAndBinding("kiali-viewer")] : []),
        ...(ambient
            ? [
                  ...roleAndBinding("istio-cni"),
                  { kind: "ClusterRole", name: "istio-cni-repair-role" } as const,
                  { kind: "ClusterRoleBinding", name: "istio-cni-repair-rolebinding" } as const,
                  ...roleAndBinding("istio-cni-ambient"),
              ]
            : []),
    ];
}
