/**
 * Stand-in Helm charts and Grafana dashboards, served from a loopback Helm repository, because no chart
 * repository or GitHub is reachable. Each chart has the name and version the lab asks for and renders the
 * objects the real chart would name (Deployments, Services, ServiceAccounts, ConfigMaps) from the values
 * the lab passes, so the lab's values reach real objects. What they are not:
 *  - no admission webhook (nothing could serve it: kwok pods have no network), so no injection or validation
 *    by istiod; the validating and mutating webhook configurations of a real install are absent;
 *  - no real workload: containers never run, readiness is kwok's.
 * Istio's CRDs are real: the stand-in base chart carries `kubernetes/customresourcedefinitions.gen.yaml`
 * of istio.io/api at the lab's Istio version (from the Go module proxy), schemas, CEL rules and
 * `helm.sh/resource-policy: keep` included, so the API server validates every Istio object the lab creates.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { stringify } from "yaml";

/** A chart to serve: its files, by path inside the chart folder. */
export interface StandInChart {
    name: string;
    version: string;
    files: Record<string, string>;
}

const chartYaml = (name: string, version: string) =>
    stringify({ apiVersion: "v2", name, version, appVersion: version, description: `e2e stand-in for ${name}` });

/** A container of a stand-in Deployment; securityContext and resources are Helm expressions of the values. */
interface Container {
    name: string;
    image: string;
    ports?: { name: string; port: number }[];
    securityContext?: string;
    resources?: string;
}

/** `key:` and the expression's value as YAML below it, at `indent` spaces (nothing when the value is empty). */
const block = (key: string, expression: string | undefined, indent: number) =>
    expression === undefined ? "" : `{{- with ${expression} }}\n${" ".repeat(indent)}${key}:\n{{ toYaml . | indent ${indent + 2} }}\n{{- end }}\n`;

/**
 * A Deployment, its Service and ServiceAccount. Security contexts and resources are rendered where and
 * from the values the real chart renders them (its template cited at each chart), so the policy pack
 * judges what the lab's values make of them.
 */
function workload(opts: { name: string; labels: string; containers: Container[]; podSecurityContext?: string; serviceType?: string }): string {
    const containers = opts.containers
        .map((c) =>
            [
                `        - name: ${c.name}\n          image: ${c.image}\n`,
                c.ports ? `          ports:\n${c.ports.map((p) => `            - name: ${p.name}\n              containerPort: ${p.port}`).join("\n")}\n` : "",
                block("securityContext", c.securityContext, 10),
                block("resources", c.resources, 10),
            ].join(""),
        )
        .join("");
    const ports = opts.containers.flatMap((c) => c.ports ?? []);
    const servicePorts = ports.map((p) => `    - name: ${p.name}\n      port: ${p.port}\n      targetPort: ${p.port}`).join("\n");
    return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${opts.name}
  namespace: {{ .Release.Namespace }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${opts.name}
  namespace: {{ .Release.Namespace }}
  labels:
${opts.labels.replace(/^/gm, "    ")}
spec:
  replicas: 1
  selector:
    matchLabels:
${opts.labels.replace(/^/gm, "      ")}
  template:
    metadata:
      labels:
${opts.labels.replace(/^/gm, "        ")}
    spec:
      serviceAccountName: ${opts.name}
${block("securityContext", opts.podSecurityContext, 6)}      containers:
${containers}---
apiVersion: v1
kind: Service
metadata:
  name: ${opts.name}
  namespace: {{ .Release.Namespace }}
spec:
  type: ${opts.serviceType ?? "ClusterIP"}
  selector:
${opts.labels.replace(/^/gm, "    ")}
  ports:
${servicePorts}
`;
}

/** Istio's base chart: the CRDs (real, from istio.io/api) and the reader account. */
export function baseChart(version: string, crds: string): StandInChart {
    return {
        name: "base",
        version,
        files: {
            "Chart.yaml": chartYaml("base", version),
            "crds/crd-all.gen.yaml": crds,
            "templates/reader.yaml": `apiVersion: v1
kind: ServiceAccount
metadata:
  name: istio-reader-service-account
  namespace: {{ .Release.Namespace }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: istio-reader-clusterrole-{{ .Release.Namespace }}
rules:
  - apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io"]
    resources: ["*"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: istio-reader-clusterrole-{{ .Release.Namespace }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: istio-reader-clusterrole-{{ .Release.Namespace }}
subjects:
  - kind: ServiceAccount
    name: istio-reader-service-account
    namespace: {{ .Release.Namespace }}
`,
        },
    };
}

/** istiod: Deployment, Service and the `istio` ConfigMap holding the mesh config the lab sets. */
export function istiodChart(version: string): StandInChart {
    return {
        name: "istiod",
        version,
        files: {
            "Chart.yaml": chartYaml("istiod", version),
            // istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/templates/deployment.yaml:
            // resources from .Values.resources, the discovery container's securityContext fixed in the template.
            "templates/istiod.yaml": workload({
                name: "istiod",
                labels: "app: istiod\nistio: pilot",
                containers: [
                    {
                        name: "discovery",
                        image: "{{ .Values.global.hub }}/pilot:{{ .Values.global.tag }}",
                        ports: [
                            { name: "grpc-xds", port: 15010 },
                            { name: "https-dns", port: 15012 },
                            { name: "https-webhook", port: 15017 },
                            { name: "http-monitoring", port: 15014 },
                        ],
                        securityContext:
                            '(dict "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "runAsNonRoot" true "capabilities" (dict "drop" (list "ALL")))',
                        resources: ".Values.resources",
                    },
                ],
            }),
            "templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: {{ .Release.Namespace }}
data:
  mesh: |-
{{ toYaml .Values.meshConfig | indent 4 }}
`,
        },
    };
}

/** The gateway chart: a Deployment and Service named after the release, labelled and exposed as the values say. */
export function gatewayChart(version: string): StandInChart {
    return {
        name: "gateway",
        version,
        files: {
            "Chart.yaml": chartYaml("gateway", version),
            "templates/gateway.yaml": `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
{{ toYaml .Values.labels | indent 6 }}
  template:
    metadata:
      labels:
{{ toYaml .Values.labels | indent 8 }}
    spec:
      serviceAccountName: {{ .Release.Name }}
      containers:
        # istio/istio 1.30.3 manifests/charts/gateway/templates/deployment.yaml: containerSecurityContext, or this default.
        - name: istio-proxy
          image: auto
          securityContext:
          {{- if .Values.containerSecurityContext }}
{{ toYaml .Values.containerSecurityContext | indent 12 }}
          {{- else }}
            capabilities:
              drop:
              - ALL
            allowPrivilegeEscalation: false
            privileged: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
          {{- end }}
          resources:
{{ toYaml .Values.resources | indent 12 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  {{- with .Values.service.annotations }}
  annotations:
{{ toYaml . | indent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  selector:
{{ toYaml .Values.labels | indent 4 }}
  ports:
{{ toYaml .Values.service.ports | indent 4 }}
`,
        },
    };
}

/**
 * An ambient node agent: a DaemonSet (one pod per kwok node) and its ServiceAccount, with the container's
 * security context as the real chart fixes it in its template and the image and resources from the values.
 */
function nodeAgent(name: string, daemonSet: string, image: string, securityContext: string): string {
    return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: {{ .Release.Namespace }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${daemonSet}
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels:
      k8s-app: ${daemonSet}
  template:
    metadata:
      labels:
        k8s-app: ${daemonSet}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: ${name === "istio-cni" ? "install-cni" : "istio-proxy"}
          image: ${image}
          securityContext:
${securityContext.replace(/^/gm, "            ")}
          resources:
{{ toYaml .Values.resources | indent 12 }}
`;
}

/**
 * Istio's cni chart (istio/istio 1.31.0-rc.0 manifests/charts/istio-cni/templates/daemonset.yaml): DaemonSet
 * istio-cni-node, image from `global.hub`/`global.tag` with the ambient profile's distroless variant, root with
 * the capabilities its template adds, no escalation setting and a writable root filesystem.
 */
export function cniChart(version: string): StandInChart {
    return {
        name: "cni",
        version,
        files: {
            "Chart.yaml": chartYaml("cni", version),
            "templates/cni.yaml": nodeAgent(
                "istio-cni",
                "istio-cni-node",
                '{{ .Values.global.hub }}/install-cni:{{ .Values.global.tag }}{{ if eq (.Values.profile | default "") "ambient" }}-distroless{{ end }}',
                "privileged: false\nrunAsGroup: 0\nrunAsUser: 0\nrunAsNonRoot: false\ncapabilities:\n  drop: [ALL]\n  add: [NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_ADMIN]",
            ),
        },
    };
}

/**
 * Istio's ztunnel chart (istio/istio 1.31.0-rc.0 manifests/charts/ztunnel/templates/daemonset.yaml): DaemonSet
 * ztunnel, image from the top-level `hub`/`tag`, root with escalation allowed and a read-only root filesystem.
 */
export function ztunnelChart(version: string): StandInChart {
    return {
        name: "ztunnel",
        version,
        files: {
            "Chart.yaml": chartYaml("ztunnel", version),
            "templates/ztunnel.yaml": nodeAgent(
                "ztunnel",
                "ztunnel",
                "{{ .Values.hub }}/ztunnel:{{ .Values.tag }}",
                "allowPrivilegeEscalation: true\nprivileged: false\ncapabilities:\n  drop: [ALL]\n  add: [NET_ADMIN, SYS_ADMIN, NET_RAW]\nreadOnlyRootFilesystem: true\nrunAsGroup: 1337\nrunAsNonRoot: false\nrunAsUser: 0",
            ),
        },
    };
}

export function prometheusChart(version: string): StandInChart {
    return {
        name: "prometheus",
        version,
        files: {
            "Chart.yaml": chartYaml("prometheus", version),
            // prometheus-community/helm-charts prometheus-28.13.0 charts/prometheus/templates/deploy.yaml:
            // the reloader and the server, each with its own containerSecurityContext and resources, the pod's securityContext.
            "templates/server.yaml": workload({
                name: "{{ .Values.server.fullnameOverride }}",
                labels: "app.kubernetes.io/name: prometheus\napp.kubernetes.io/component: server",
                podSecurityContext: ".Values.server.securityContext",
                containers: [
                    {
                        name: "prometheus-server-configmap-reload",
                        image: "{{ .Values.configmapReload.prometheus.image.repository }}:{{ .Values.configmapReload.prometheus.image.tag }}",
                        securityContext: ".Values.configmapReload.prometheus.containerSecurityContext",
                        resources: ".Values.configmapReload.prometheus.resources",
                    },
                    {
                        name: "prometheus-server",
                        image: "{{ .Values.server.image.repository }}:{{ .Values.server.image.tag }}",
                        ports: [{ name: "http", port: 9090 }],
                        securityContext: ".Values.server.containerSecurityContext",
                        resources: ".Values.server.resources",
                    },
                ],
                serviceType: "{{ .Values.server.service.type }}",
            }),
        },
    };
}

export function grafanaChart(version: string): StandInChart {
    return {
        name: "grafana",
        version,
        files: {
            "Chart.yaml": chartYaml("grafana", version),
            // grafana/helm-charts grafana-9.2.2 charts/grafana/templates/_pod.tpl: image registry/repository:tag,
            // the pod's securityContext, the container's containerSecurityContext and resources.
            "templates/grafana.yaml": workload({
                name: "grafana",
                labels: "app.kubernetes.io/name: grafana",
                podSecurityContext: ".Values.securityContext",
                containers: [
                    {
                        name: "grafana",
                        image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}",
                        ports: [{ name: "http", port: 3000 }],
                        securityContext: ".Values.containerSecurityContext",
                        resources: ".Values.resources",
                    },
                ],
                serviceType: "{{ .Values.service.type }}",
            }),
        },
    };
}

export function kialiChart(version: string): StandInChart {
    return {
        name: "kiali-server",
        version,
        files: {
            "Chart.yaml": chartYaml("kiali-server", version),
            // kiali/helm-charts v2.26.0 kiali-server/templates/deployment.yaml: deployment.security_context or
            // this default, deployment.resources.
            "templates/kiali.yaml": workload({
                name: "kiali",
                labels: "app.kubernetes.io/name: kiali",
                containers: [
                    {
                        name: "kiali",
                        image: "{{ .Values.deployment.image_name }}:{{ .Values.deployment.image_version }}",
                        ports: [{ name: "http", port: 20001 }],
                        securityContext:
                            '(.Values.deployment.security_context | default (dict "allowPrivilegeEscalation" false "privileged" false "readOnlyRootFilesystem" true "runAsNonRoot" true "seccompProfile" (dict "type" "RuntimeDefault") "capabilities" (dict "drop" (list "ALL"))))',
                        resources: ".Values.deployment.resources",
                    },
                ],
                serviceType: '{{ .Values.deployment.service_type | default "ClusterIP" }}',
            }),
            // kiali/helm-charts templates/configmap.yaml: the values, as the server's config, in ConfigMap kiali;
            // the policy pack then sees whatever the lab hands the chart, its signing key included.
            "templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: kiali
  namespace: {{ .Release.Namespace }}
data:
  config.yaml: |
{{ toYaml (omit .Values "kiali_route_url") | indent 4 }}
`,
        },
    };
}

/** Writes charts as `<name>-<version>.tgz` into `dir` with an index.yaml, as a Helm repository serves them. */
export function writeRepository(dir: string, charts: StandInChart[]): void {
    fs.mkdirSync(dir, { recursive: true });
    const entries: Record<string, unknown[]> = {};
    const created = "2026-01-01T00:00:00Z";
    for (const chart of charts) {
        const staging = fs.mkdtempSync(path.join(dir, ".build-"));
        for (const [file, text] of Object.entries(chart.files)) {
            const target = path.join(staging, chart.name, file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, text);
        }
        const archive = `${chart.name}-${chart.version}.tgz`;
        execFileSync("tar", ["-czf", path.join(dir, archive), "-C", staging, chart.name]);
        fs.rmSync(staging, { recursive: true, force: true });
        (entries[chart.name] ??= []).push({ apiVersion: "v2", name: chart.name, version: chart.version, appVersion: chart.version, urls: [archive], created });
    }
    fs.writeFileSync(path.join(dir, "index.yaml"), stringify({ apiVersion: "v1", generated: created, entries }));
}

/** A static file server on 127.0.0.1 that counts requests per path (to show what was fetched). */
export class LoopbackServer {
    readonly requests = new Map<string, number>();
    private constructor(
        private readonly server: http.Server,
        readonly url: string,
    ) {}

    static start(root: string): Promise<LoopbackServer> {
        let self: LoopbackServer;
        const server = http.createServer((req, res) => {
            const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
            self.requests.set(urlPath, (self.requests.get(urlPath) ?? 0) + 1);
            const file = path.join(root, path.normalize(urlPath));
            if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
                res.writeHead(404).end("not found");
                return;
            }
            res.writeHead(200, { "content-type": file.endsWith(".yaml") ? "text/yaml" : file.endsWith(".json") ? "application/json" : "application/gzip" });
            fs.createReadStream(file).pipe(res);
        });
        return new Promise((resolve) =>
            server.listen(0, "127.0.0.1", () => {
                self = new LoopbackServer(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
                resolve(self);
            }),
        );
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}
