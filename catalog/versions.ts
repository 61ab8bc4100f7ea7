/**
 * What the lab knows about the charts and images it installs, per version, as one table. Each fact
 * says what holds, for which versions, and where it was read (repository, tag, path). The program
 * asks this table (`holds`) instead of comparing versions itself, and test/versions.spec.ts walks every
 * supported Istio release against it. Value paths a chart reads (`reads`) were checked by rendering
 * each chart at its tag with the lab's values (Helm 3.18.6 then; the provider bundles Helm 3.20.2 from
 * pulumi-kubernetes v4.29.0, provider/go.mod, whose template engine reads values the same way): changing
 * a value changed the manifest.
 */

/** Where a fact was read: a file of a public repository at a tag (or a commit, where it has no tag). */
export interface Source {
    repository: string;
    tag: string;
    path: string;
}

/** Versions from `from` (inclusive) up to `before` (exclusive), or without end. */
export interface VersionRange {
    from: string;
    before?: string;
}

/** The charts the lab installs, by chart name. */
export type ChartName = "base" | "istiod" | "gateway" | "cni" | "ztunnel" | "prometheus" | "grafana" | "kiali-server";

/**
 * Whose version a fact's ranges count: Istio's (its charts and samples share its version), an addon
 * chart's (Kiali's server ships with the chart of the same number), or Jaeger's image.
 */
export type Versioned = "istio" | "prometheus" | "grafana" | "kiali-server" | "jaeger";

/** One fact about some versions of one thing, with the files it was read in. */
export interface VersionFact {
    id: string;
    of: Versioned;
    /** What the sources say, in a sentence. */
    claim: string;
    /** The versions the claim holds for. */
    holds: readonly VersionRange[];
    /** Value paths charts read in those versions; a path covers every value below it. */
    reads?: readonly { chart: ChartName; paths: readonly string[] }[];
    sources: readonly Source[];
}

const semver = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Compares two "X.Y.Z" versions numerically ("1.46" counts as "1.46.0"). */
export function compareVersions(a: string, b: string): number {
    const parse = (v: string) => {
        const m = v.match(semver);
        if (!m) throw new Error(`not a version: ${v}`);
        return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    };
    const [pa, pb] = [parse(a), parse(b)];
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
}

export function inRange(version: string, range: VersionRange): boolean {
    return compareVersions(version, range.from) >= 0 && (range.before === undefined || compareVersions(version, range.before) < 0);
}

const istio = (tag: string, path: string): Source => ({ repository: "istio/istio", tag, path });
const ISTIOD = "manifests/charts/istio-control/istio-discovery";
/** istio/istio release-1.31 at a8d7012 (2026-08-20): its charts and samples are those of 1.31.0-rc.0. */
const RELEASE_1_31 = "a8d7012191eb";
const prometheusChart = (version: string, path: string): Source => ({
    repository: "prometheus-community/helm-charts",
    tag: `prometheus-${version}`,
    path: `charts/prometheus/${path}`,
});
const grafanaChart = (version: string, path: string): Source => ({
    repository: "grafana/helm-charts",
    tag: `grafana-${version}`,
    path: `charts/grafana/${path}`,
});
const kialiChart = (version: string, path: string): Source => ({ repository: "kiali/helm-charts", tag: `v${version}`, path: `kiali-server/${path}` });
const kialiServer = (version: string): Source => ({ repository: "kiali/kiali", tag: `v${version}`, path: "config/config.go" });
const always = [{ from: "0.0.0" }] as const;

/** The table. Ids are what the program asks by. */
export const VERSION_FACTS = [
    // Istio's charts
    {
        id: "gateway-schema-rejects-values",
        of: "istio",
        claim: "The gateway chart's values.schema.json sets additionalProperties: false beside a root $ref. Helm from 3.18.5 (the Kubernetes provider bundles 3.20.2 from v4.29.0) validates with santhosh-tekuri/jsonschema v6, which reads that schema as draft 2020-12: the root then allows no value at all, and the chart fails before it renders. Chart v4 has no way to skip the check.",
        holds: [
            { from: "1.21.0", before: "1.25.5" },
            { from: "1.26.0", before: "1.26.4" },
            { from: "1.27.0", before: "1.27.1" },
        ],
        sources: [
            istio("1.20.8", "manifests/charts/gateway/values.schema.json"),
            istio("1.21.0", "manifests/charts/gateway/values.schema.json"),
            istio("1.25.5", "manifests/charts/gateway/values.schema.json"),
            istio("1.26.4", "manifests/charts/gateway/values.schema.json"),
            istio("1.27.1", "manifests/charts/gateway/values.schema.json"),
            { repository: "helm/helm", tag: "v3.18.6", path: "pkg/chartutil/jsonschema.go" },
            { repository: "helm/helm", tag: "v3.20.2", path: "pkg/chartutil/jsonschema.go" },
            { repository: "pulumi/pulumi-kubernetes", tag: "v4.28.0", path: "provider/go.mod" },
            { repository: "pulumi/pulumi-kubernetes", tag: "v4.29.0", path: "provider/go.mod" },
            { repository: "santhosh-tekuri/jsonschema", tag: "v6.0.2", path: "draft.go" },
        ],
    },
    {
        id: "gateway-values",
        of: "istio",
        claim: "The gateway chart names its Deployment and Service after `name`, labels the pods with `labels`, and shapes its Service from `service`.",
        holds: always,
        reads: [
            {
                chart: "gateway",
                paths: ["name", "labels", "replicaCount", "autoscaling.enabled", "resources", "service.type", "service.ports", "service.annotations"],
            },
        ],
        sources: [
            istio("1.14.0", "manifests/charts/gateway/templates/deployment.yaml"),
            istio("1.14.0", "manifests/charts/gateway/templates/service.yaml"),
            istio("1.30.3", "manifests/charts/gateway/templates/deployment.yaml"),
            istio("1.30.3", "manifests/charts/gateway/templates/service.yaml"),
            istio(RELEASE_1_31, "manifests/charts/gateway/values.schema.json"),
            istio(RELEASE_1_31, "manifests/charts/gateway/templates/service.yaml"),
        ],
    },
    {
        id: "base-values",
        of: "istio",
        claim: "The base chart renders the validating webhook istiod-default-validator for `defaultRevision`, pointing at istiod in `global.istioNamespace`.",
        holds: always,
        reads: [{ chart: "base", paths: ["defaultRevision", "global.istioNamespace"] }],
        sources: [
            istio("1.14.0", "manifests/charts/base/templates/default.yaml"),
            istio("1.30.3", "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio(RELEASE_1_31, "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
        ],
    },
    {
        id: "validation-failure-policy-honoured",
        of: "istio",
        claim: "The base and istiod charts render the validating webhooks' failurePolicy from `base.validationFailurePolicy`; other releases render Ignore, for istiod to switch to Fail.",
        holds: [{ from: "1.28.6", before: "1.29.0" }, { from: "1.29.2" }],
        reads: [
            { chart: "base", paths: ["base.validationFailurePolicy"] },
            { chart: "istiod", paths: ["base.validationFailurePolicy"] },
        ],
        sources: [
            istio("1.28.5", "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio("1.28.6", "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio("1.28.6", `${ISTIOD}/templates/validatingwebhookconfiguration.yaml`),
            istio("1.29.1", "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio("1.29.2", "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio(RELEASE_1_31, "manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml"),
            istio(RELEASE_1_31, `${ISTIOD}/templates/validatingwebhookconfiguration.yaml`),
        ],
    },
    {
        id: "istiod-writes-ca-bundles",
        of: "istio",
        claim: "istiod writes its CA bundle, with updates of its own, into every validating webhook labelled with its revision (the base chart's istiod-default-validator and its own istio-validator) and into its injection webhook; the charts render none, so a webhook cannot be called until then.",
        holds: always,
        sources: [
            istio("1.14.6", "pkg/webhooks/validation/controller/controller.go"),
            istio("1.14.6", "pkg/webhooks/webhookpatch.go"),
            istio("1.30.3", "pkg/webhooks/validation/controller/controller.go"),
            istio("1.30.3", "pkg/webhooks/webhookpatch.go"),
        ],
    },
    {
        id: "istiod-validator-needs-config-validation",
        of: "istio",
        claim: "istiod's chart renders its own validating webhook (istio-validator-<namespace>) only with global.configValidation, which its values set to true from 1.22.0 and leave unset before (the base chart's true does not reach it); istiod's validation controller writes the CA bundle of every validating webhook of its revision in one pass (1.14: a loop over all; from 1.21: a queue of all, worked one at a time).",
        holds: always,
        sources: [
            istio("1.14.0", `${ISTIOD}/templates/validatingwebhookconfiguration.yaml`),
            istio("1.21.6", `${ISTIOD}/values.yaml`),
            istio("1.22.0", `${ISTIOD}/values.yaml`),
            istio("1.14.6", "pkg/webhooks/validation/controller/controller.go"),
            istio("1.21.0", "pkg/webhooks/validation/controller/controller.go"),
        ],
    },
    {
        id: "base-chart-renders-istiod-rbac",
        of: "istio",
        claim: "The base chart renders istiod's ClusterRole and ClusterRoleBinding istiod-<namespace> and the reader's istio-reader-<namespace> besides the ones istiod's chart renders; from 1.19 only istiod's chart renders RBAC.",
        holds: [{ from: "1.14.0", before: "1.19.0" }],
        sources: [
            istio("1.14.6", "manifests/charts/base/templates/clusterrole.yaml"),
            istio("1.18.7", "manifests/charts/base/templates/clusterrole.yaml"),
            istio("1.19.10", "manifests/charts/base/templates"),
        ],
    },
    {
        id: "istiod-pdb-whatever-the-replicas",
        of: "istio",
        claim: "istiod's chart renders a PodDisruptionBudget with minAvailable 1 for istiod whenever global.defaultPodDisruptionBudget.enabled (true in its values), also for one replica, which then blocks draining its node; from 1.28.0 only when istiod runs more than one replica.",
        holds: [{ from: "1.14.0", before: "1.28.0" }],
        reads: [{ chart: "istiod", paths: ["global.defaultPodDisruptionBudget.enabled"] }],
        sources: [
            istio("1.14.6", `${ISTIOD}/templates/poddisruptionbudget.yaml`),
            istio("1.14.6", `${ISTIOD}/values.yaml`),
            istio("1.27.9", `${ISTIOD}/templates/poddisruptionbudget.yaml`),
            istio("1.28.0", `${ISTIOD}/templates/poddisruptionbudget.yaml`),
        ],
    },
    {
        id: "istiod-chart-renders-envoyfilters",
        of: "istio",
        claim: "istiod's chart renders its telemetry EnvoyFilters (networking.istio.io, stats and metadata exchange) by default, so Istio config objects are created with istiod itself, before its webhooks can be called; from 1.18 it renders them only when meshConfig.defaultProviders or a prometheus configOverride is set, which the lab never sets.",
        holds: [{ from: "1.14.0", before: "1.18.0" }],
        sources: [
            istio("1.14.6", `${ISTIOD}/templates/telemetryv2_1.14.yaml`),
            istio("1.14.6", `${ISTIOD}/values.yaml`),
            istio("1.17.8", `${ISTIOD}/templates/telemetryv2_1.17.yaml`),
            istio("1.18.0", `${ISTIOD}/templates/telemetryv2_1.18.yaml`),
            istio("1.18.0", `${ISTIOD}/templates/_helpers.tpl`),
        ],
    },
    {
        id: "istiod-ready-before-webhook-server",
        of: "istio",
        claim: "istiod's /ready answers 200 once its caches are synced, while its webhook server (--httpsAddr, :15017 by default) only listens later in Start; the fix (istio#61049, 'mark webhooks ready only after server ready') sets the webhooks' ready flags right after net.Listen on :15017 succeeds.",
        holds: [
            { from: "1.14.0", before: "1.29.7" },
            { from: "1.30.0", before: "1.30.4" },
        ],
        sources: [
            istio("1.14.6", "pilot/cmd/pilot-discovery/app/cmd.go"),
            istio("1.14.6", "pilot/pkg/bootstrap/server.go"),
            istio("1.30.3", "pilot/pkg/bootstrap/server.go"),
            istio("1.30.3", "pilot/pkg/bootstrap/validation.go"),
            istio("44653896c221", "pilot/pkg/bootstrap/server.go"),
            istio("1d435ebf6530", "pilot/pkg/bootstrap/server.go"),
            istio("1.31.0-rc.0", "pilot/pkg/bootstrap/server.go"),
            istio("1.31.0-rc.0", `${ISTIOD}/templates/deployment.yaml`),
            { repository: "istio/istio.io", tag: "21695d3", path: "content/en/news/releases/1.30.x/announcing-1.30.4/index.md" },
        ],
    },
    {
        id: "validator-writes-ignore-until-ready",
        of: "istio",
        claim: "istiod's validation controller writes failurePolicy Ignore while its dry-run of an invalid Gateway is not yet rejected, and Fail once it is; later releases only ever write Fail.",
        holds: [{ from: "1.14.0", before: "1.21.0" }],
        sources: [istio("1.20.8", "pkg/webhooks/validation/controller/controller.go"), istio("1.21.0", "pkg/webhooks/validation/controller/controller.go")],
    },
    {
        id: "istiod-pilot-values",
        of: "istio",
        claim: "istiod's own settings are read under `pilot`.",
        holds: [{ from: "1.14.0", before: "1.24.0" }],
        reads: [{ chart: "istiod", paths: ["pilot.autoscaleEnabled", "pilot.replicaCount", "pilot.traceSampling", "pilot.resources"] }],
        sources: [istio("1.14.0", `${ISTIOD}/templates/deployment.yaml`), istio("1.23.6", `${ISTIOD}/templates/deployment.yaml`)],
    },
    {
        id: "istiod-flat-values",
        of: "istio",
        claim: "istiod's own settings are read at the top of the values.",
        holds: [{ from: "1.24.0" }],
        reads: [{ chart: "istiod", paths: ["autoscaleEnabled", "replicaCount", "traceSampling", "resources"] }],
        sources: [
            istio("1.24.0", `${ISTIOD}/templates/deployment.yaml`),
            istio("1.30.3", `${ISTIOD}/templates/deployment.yaml`),
            istio(RELEASE_1_31, `${ISTIOD}/templates/deployment.yaml`),
        ],
    },
    {
        id: "istiod-global-values",
        of: "istio",
        claim: "istiod takes its images from `global.hub`/`global.tag`, the proxies' settings from `global.proxy`, and merges `meshConfig` over the mesh config it renders.",
        holds: always,
        reads: [
            {
                chart: "istiod",
                paths: [
                    "global.hub",
                    "global.tag",
                    "global.istioNamespace",
                    "global.configValidation",
                    "global.proxy.clusterDomain",
                    "global.proxy.resources",
                    "global.proxy.tracer",
                    "meshConfig",
                ],
            },
        ],
        sources: [
            istio("1.14.0", `${ISTIOD}/templates/configmap.yaml`),
            istio("1.14.0", `${ISTIOD}/templates/deployment.yaml`),
            istio("1.14.0", `${ISTIOD}/files/injection-template.yaml`),
            istio("1.30.3", `${ISTIOD}/templates/configmap.yaml`),
            istio(RELEASE_1_31, `${ISTIOD}/templates/configmap.yaml`),
            istio(RELEASE_1_31, `${ISTIOD}/values.yaml`),
        ],
    },
    {
        id: "ambient-profile",
        of: "istio",
        claim: "istiod and cni take `profile: ambient`, which merges files/profile-ambient.yaml under the user's values: PILOT_ENABLE_AMBIENT and HBONE for istiod, `cni.ambient.enabled` (copied to the top of cni's values), and `global.variant: distroless`.",
        holds: [{ from: "1.24.0" }],
        reads: [
            { chart: "istiod", paths: ["profile"] },
            { chart: "cni", paths: ["profile"] },
        ],
        sources: [
            istio("1.24.0", `${ISTIOD}/templates/zzz_profile.yaml`),
            istio("1.24.0", `${ISTIOD}/files/profile-ambient.yaml`),
            istio("1.24.0", "manifests/charts/istio-cni/files/profile-ambient.yaml"),
            istio("1.24.0", "manifests/charts/istio-cni/templates/zzy_descope_legacy.yaml"),
            istio(RELEASE_1_31, `${ISTIOD}/files/profile-ambient.yaml`),
            istio(RELEASE_1_31, "manifests/charts/istio-cni/templates/zzz_profile.yaml"),
        ],
    },
    {
        id: "node-agent-values",
        of: "istio",
        claim: "cni takes its image from `global.hub`/`global.tag` (unless its own hub/tag are set) and its container's `resources`; ztunnel from its top-level `hub`/`tag`, into which it flattens `global`, and `resources`.",
        holds: [{ from: "1.24.0" }],
        reads: [
            { chart: "cni", paths: ["global.hub", "global.tag", "resources"] },
            { chart: "ztunnel", paths: ["hub", "tag", "resources"] },
        ],
        sources: [
            istio("1.24.0", "manifests/charts/istio-cni/templates/daemonset.yaml"),
            istio("1.24.0", "manifests/charts/istio-cni/templates/_helpers.tpl"),
            istio("1.24.0", "manifests/charts/ztunnel/templates/daemonset.yaml"),
            istio("1.24.0", "manifests/charts/ztunnel/templates/zzz_profile.yaml"),
            istio(RELEASE_1_31, "manifests/charts/istio-cni/templates/daemonset.yaml"),
            istio(RELEASE_1_31, "manifests/charts/ztunnel/templates/daemonset.yaml"),
        ],
    },
    {
        id: "trace-sampling-zero-dropped",
        of: "istio",
        claim: "istiod's chart sets PILOT_TRACE_SAMPLING only when traceSampling is truthy, and pilot takes a proxy config sampling of 0 as unset, so 0 falls back to pilot's default of 1%; without a Telemetry resource pilot traces only when meshConfig.enableTracing is true.",
        holds: always,
        sources: [
            istio("1.14.0", `${ISTIOD}/templates/deployment.yaml`),
            istio("1.14.6", "pilot/pkg/features/pilot.go"),
            istio("1.14.6", "pilot/pkg/networking/core/v1alpha3/tracing.go"),
            istio("1.21.6", "pilot/pkg/networking/core/v1alpha3/tracing.go"),
            istio("1.22.0", "pilot/pkg/networking/core/tracing.go"),
        ],
    },
    {
        id: "no-tracer-by-default",
        of: "istio",
        claim: "istiod's chart defaults global.proxy.tracer to none, so the mesh has no tracer unless an extension provider and a Telemetry resource select one (telemetry.istio.io/v1 is served); before, it defaults to zipkin and writes a Zipkin address into every proxy's config.",
        holds: [{ from: "1.22.0" }],
        sources: [
            istio("1.21.6", `${ISTIOD}/values.yaml`),
            istio("1.22.0", `${ISTIOD}/values.yaml`),
            istio("1.14.0", `${ISTIOD}/templates/configmap.yaml`),
            istio("1.22.0", "manifests/charts/base/crds/crd-all.gen.yaml"),
        ],
    },
    {
        id: "networking-v1",
        of: "istio",
        claim: "Istio's CRDs serve networking.istio.io/v1; before, v1beta1 is the newest.",
        holds: [{ from: "1.22.0" }],
        sources: [istio("1.21.6", "manifests/charts/base/crds/crd-all.gen.yaml"), istio("1.22.0", "manifests/charts/base/crds/crd-all.gen.yaml")],
    },
    {
        id: "demo-profile-resources",
        of: "istio",
        claim: "The demo profile requests 10m CPU / 100Mi for istiod and 10m / 40Mi for proxies and gateways, and sets no limits; the charts' own proxy limits (2000m / 1024Mi) stay.",
        holds: always,
        sources: [
            istio("1.14.6", "manifests/profiles/demo.yaml"),
            istio("1.30.3", `${ISTIOD}/files/profile-demo.yaml`),
            istio("1.30.3", `${ISTIOD}/values.yaml`),
            istio("1.30.3", "manifests/charts/gateway/values.yaml"),
            istio(RELEASE_1_31, `${ISTIOD}/files/profile-demo.yaml`),
        ],
    },
    {
        id: "jaeger-sample",
        of: "istio",
        claim: "Istio's Jaeger sample runs the all-in-one image with badger storage on an emptyDir, and a jaeger-collector Service with ports 14268, 14250 and 9411, plus 4317 and 4318 (OTLP) from Jaeger 1.46 on.",
        holds: [{ from: "1.14.0", before: "1.29.0" }],
        sources: [
            istio("1.14.6", "samples/addons/jaeger.yaml"),
            istio("1.18.7", "samples/addons/jaeger.yaml"),
            istio("1.19.10", "samples/addons/jaeger.yaml"),
            istio("1.28.10", "samples/addons/jaeger.yaml"),
        ],
    },
    // Addon charts and images
    {
        id: "jaeger-otlp-by-default",
        of: "jaeger",
        claim: "The Jaeger collector serves OTLP on 4317 and 4318 by default (--collector.otlp.enabled defaults to true); before, only with that flag.",
        holds: [{ from: "1.46.0" }],
        sources: [
            { repository: "jaegertracing/jaeger", tag: "v1.45.0", path: "cmd/collector/app/flags/flags.go" },
            { repository: "jaegertracing/jaeger", tag: "v1.46.0", path: "cmd/collector/app/flags/flags.go" },
        ],
    },
    {
        id: "prometheus-values",
        of: "prometheus",
        claim: "The prometheus chart shapes its server Deployment, Service and config reloader from these values.",
        holds: [{ from: "15.0.1" }],
        reads: [
            {
                chart: "prometheus",
                paths: [
                    "alertmanager.enabled",
                    "server.fullnameOverride",
                    "server.podLabels",
                    "server.persistentVolume.enabled",
                    "server.global.scrape_interval",
                    "server.image",
                    "server.securityContext",
                    "server.resources",
                    "server.service.servicePort",
                    "server.service.type",
                    "server.service.nodePort",
                    "server.service.annotations",
                    "configmapReload.prometheus.image",
                    "configmapReload.prometheus.resources",
                ],
            },
        ],
        sources: [
            prometheusChart("15.0.1", "templates/server/deploy.yaml"),
            prometheusChart("15.0.1", "templates/server/service.yaml"),
            prometheusChart("28.13.0", "templates/deploy.yaml"),
            prometheusChart("28.13.0", "templates/service.yaml"),
        ],
    },
    {
        id: "prometheus-server-container-security",
        of: "prometheus",
        claim: "The prometheus chart sets the server container's securityContext from server.containerSecurityContext.",
        holds: [{ from: "15.9.0" }],
        reads: [{ chart: "prometheus", paths: ["server.containerSecurityContext"] }],
        sources: [prometheusChart("15.0.1", "templates/server/deploy.yaml"), prometheusChart("15.9.0", "templates/server/deploy.yaml")],
    },
    {
        id: "prometheus-reloader-container-security",
        of: "prometheus",
        claim: "The prometheus chart sets the config reloader container's securityContext from configmapReload.prometheus.containerSecurityContext.",
        holds: [{ from: "19.6.1" }],
        reads: [{ chart: "prometheus", paths: ["configmapReload.prometheus.containerSecurityContext"] }],
        sources: [prometheusChart("15.9.0", "templates/server/deploy.yaml"), prometheusChart("19.6.1", "templates/deploy.yaml")],
    },
    {
        id: "prometheus-exporters-in-chart",
        of: "prometheus",
        claim: "Pushgateway and node exporter are templates of the chart, turned off by pushgateway.enabled and nodeExporter.enabled; kube-state-metrics is a dependency with the condition kubeStateMetrics.enabled.",
        holds: [{ from: "15.0.1", before: "19.6.1" }],
        reads: [{ chart: "prometheus", paths: ["pushgateway.enabled", "nodeExporter.enabled", "kubeStateMetrics.enabled"] }],
        sources: [prometheusChart("15.9.0", "Chart.yaml"), prometheusChart("15.9.0", "templates/pushgateway/deploy.yaml")],
    },
    {
        id: "prometheus-exporters-as-dependencies",
        of: "prometheus",
        claim: "Pushgateway, node exporter and kube-state-metrics are dependencies with the conditions prometheus-pushgateway.enabled, prometheus-node-exporter.enabled and kube-state-metrics.enabled.",
        holds: [{ from: "19.6.1" }],
        reads: [{ chart: "prometheus", paths: ["prometheus-pushgateway.enabled", "prometheus-node-exporter.enabled", "kube-state-metrics.enabled"] }],
        sources: [prometheusChart("19.6.1", "Chart.yaml"), prometheusChart("28.13.0", "Chart.yaml")],
    },
    {
        id: "grafana-values",
        of: "grafana",
        claim: "The grafana chart shapes its Deployment, Service, admin account, provisioning and ConfigMaps from these values.",
        holds: [{ from: "6.18.2" }],
        reads: [
            {
                chart: "grafana",
                paths: [
                    "rbac.create",
                    "testFramework.enabled",
                    "podLabels",
                    "image.repository",
                    "image.tag",
                    "admin.existingSecret",
                    "admin.userKey",
                    "admin.passwordKey",
                    "grafana.ini",
                    "securityContext",
                    "containerSecurityContext",
                    "extraEmptyDirMounts",
                    "resources",
                    "service.port",
                    "service.type",
                    "service.nodePort",
                    "service.annotations",
                    "datasources",
                    "dashboardProviders",
                    "dashboardsConfigMaps",
                ],
            },
        ],
        sources: [
            grafanaChart("6.18.2", "templates/_pod.tpl"),
            grafanaChart("6.18.2", "templates/service.yaml"),
            grafanaChart("6.18.2", "templates/podsecuritypolicy.yaml"),
            grafanaChart("6.57.4", "templates/podsecuritypolicy.yaml"),
            grafanaChart("9.2.2", "templates/_pod.tpl"),
        ],
    },
    {
        id: "grafana-psp-by-default",
        of: "grafana",
        claim: "The grafana chart defaults rbac.pspEnabled to true and then renders a policy/v1beta1 PodSecurityPolicy, which Kubernetes 1.25 and later do not serve; from 6.51.3 the default is false (and from 6.57.4 the template also checks that the API is served).",
        holds: [{ from: "6.18.2", before: "6.51.3" }],
        reads: [{ chart: "grafana", paths: ["rbac.pspEnabled"] }],
        sources: [
            grafanaChart("6.18.2", "values.yaml"),
            grafanaChart("6.18.2", "templates/podsecuritypolicy.yaml"),
            grafanaChart("6.51.2", "values.yaml"),
            grafanaChart("6.51.3", "values.yaml"),
            grafanaChart("6.57.4", "templates/podsecuritypolicy.yaml"),
        ],
    },
    {
        id: "grafana-image-registry",
        of: "grafana",
        claim: "The grafana chart builds the image from image.registry, image.repository and image.tag; before, from repository and tag alone.",
        holds: [{ from: "6.61.1" }],
        reads: [{ chart: "grafana", paths: ["image.registry"] }],
        sources: [grafanaChart("6.57.4", "templates/_pod.tpl"), grafanaChart("6.61.1", "templates/_pod.tpl")],
    },
    {
        id: "kiali-values",
        of: "kiali-server",
        claim: "The kiali-server chart passes its values to the server as its config and shapes the Deployment and Service from `deployment` and `server.port`; deployment.custom_secrets mounts each named Secret at its `mount` path.",
        holds: [{ from: "1.50.0" }],
        reads: [
            {
                chart: "kiali-server",
                paths: [
                    "auth.strategy",
                    "login_token.signing_key",
                    "deployment.image_name",
                    "deployment.image_version",
                    "deployment.pod_labels",
                    "deployment.ingress.enabled",
                    "deployment.view_only_mode",
                    "deployment.resources",
                    "deployment.service_type",
                    "deployment.service_annotations",
                    "deployment.custom_secrets",
                    "server.port",
                    "external_services.prometheus.url",
                    "external_services.grafana.enabled",
                    "external_services.grafana.auth.type",
                    "external_services.grafana.auth.username",
                    "external_services.tracing.enabled",
                    "external_services.tracing.use_grpc",
                ],
            },
        ],
        sources: [
            kialiChart("1.50.0", "templates/configmap.yaml"),
            kialiChart("1.50.0", "templates/deployment.yaml"),
            kialiChart("1.50.0", "templates/service.yaml"),
            kialiServer("1.50.0"),
            kialiServer("2.26.0"),
        ],
    },
    {
        id: "kiali-1-urls",
        of: "kiali-server",
        claim: "Kiali reads Grafana's and the tracer's addresses as in_cluster_url and url.",
        holds: [{ from: "1.50.0", before: "2.0.0" }],
        reads: [
            {
                chart: "kiali-server",
                paths: [
                    "external_services.grafana.in_cluster_url",
                    "external_services.grafana.url",
                    "external_services.tracing.in_cluster_url",
                    "external_services.tracing.url",
                ],
            },
        ],
        sources: [kialiServer("1.50.0"), kialiServer("1.87.0")],
    },
    {
        id: "kiali-2-urls",
        of: "kiali-server",
        claim: "Kiali reads Grafana's and the tracer's addresses as internal_url and external_url.",
        holds: [{ from: "2.0.0" }],
        reads: [
            {
                chart: "kiali-server",
                paths: [
                    "external_services.grafana.internal_url",
                    "external_services.grafana.external_url",
                    "external_services.tracing.internal_url",
                    "external_services.tracing.external_url",
                ],
            },
        ],
        sources: [kialiServer("1.87.0"), kialiServer("2.0.0"), kialiServer("2.26.0")],
    },
    {
        id: "kiali-tracing-provider",
        of: "kiali-server",
        claim: "Kiali reads which tracer it queries from external_services.tracing.provider; before, it queries Jaeger.",
        holds: [{ from: "1.76.0" }],
        reads: [{ chart: "kiali-server", paths: ["external_services.tracing.provider"] }],
        sources: [kialiServer("1.72.0"), kialiServer("1.76.0")],
    },
    {
        id: "kiali-network-policy",
        of: "kiali-server",
        claim: "The kiali-server chart renders a NetworkPolicy for the server unless deployment.network_policy.enabled is false.",
        holds: [{ from: "2.17.0" }],
        reads: [{ chart: "kiali-server", paths: ["deployment.network_policy.enabled"] }],
        sources: [kialiChart("2.12.0", "values.yaml"), kialiChart("2.17.0", "templates/networkpolicy.yaml")],
    },
    {
        id: "kiali-node-port",
        of: "kiali-server",
        claim: "The kiali-server chart sets the Service's node port from server.node_port when deployment.service_type is NodePort; before, the node port is random.",
        holds: [{ from: "1.81.0" }],
        reads: [{ chart: "kiali-server", paths: ["server.node_port"] }],
        sources: [
            kialiChart("1.80.0", "templates/service.yaml"),
            kialiChart("1.81.0", "templates/service.yaml"),
            kialiChart("2.29.0", "templates/service.yaml"),
        ],
    },
    {
        id: "kiali-secret-references",
        of: "kiali-server",
        claim: "The kiali-server chart mounts a credential written as secret:<name>:<key> (Grafana's password, and always the login token's signing key) at /kiali-override-secrets/<credential>/value.txt, where the server reads it; before, the server would use the string itself. Either way the chart copies the values into ConfigMap kiali.",
        holds: [{ from: "2.21.0" }],
        reads: [{ chart: "kiali-server", paths: ["external_services.grafana.auth.password"] }],
        sources: [
            kialiChart("2.17.0", "templates/_helpers.tpl"),
            kialiChart("2.21.0", "templates/_helpers.tpl"),
            kialiChart("2.21.0", "templates/configmap.yaml"),
            kialiServer("2.21.0"),
        ],
    },
    {
        id: "kiali-override-files",
        of: "kiali-server",
        claim: "The Kiali server takes Grafana's password from /kiali-override-secrets/grafana-password/value.txt, and its signing key from /kiali-override-secrets/login-token-signing-key/value.txt, when those files exist.",
        holds: [{ from: "1.59.1" }],
        sources: [kialiServer("1.55.1"), kialiServer("1.59.1"), kialiServer("2.21.0")],
    },
    {
        id: "kiali-environment-overrides",
        of: "kiali-server",
        claim: "The Kiali server takes Grafana's password from the GRAFANA_PASSWORD environment variable, and its signing key from LOGIN_TOKEN_SIGNING_KEY, when they are set, before it validates the key; its chart cannot set a variable from a Secret.",
        holds: [{ from: "1.50.0", before: "1.59.1" }],
        sources: [
            kialiServer("1.50.0"),
            kialiServer("1.55.1"),
            { repository: "kiali/kiali", tag: "v1.50.0", path: "kiali.go" },
            kialiChart("1.55.1", "templates/deployment.yaml"),
        ],
    },
] as const satisfies readonly VersionFact[];

export type FactId = (typeof VERSION_FACTS)[number]["id"];

/** The fact of an id. */
export function fact(id: FactId): VersionFact {
    return VERSION_FACTS.find((f) => f.id === id)!;
}

/** True when the fact holds for a version. */
export function holds(id: FactId, version: string): boolean {
    return fact(id).holds.some((range) => inRange(version, range));
}

/** The range of a fact that holds for a version, if any. */
export function rangeOf(id: FactId, version: string): VersionRange | undefined {
    return fact(id).holds.find((range) => inRange(version, range));
}
