/**
 * Kubernetes objects for the Online Boutique, built from the catalog: pure functions, no resources.
 * The Boutique component declares what these return; tests validate them against the real schemas.
 */
import type { types } from "@pulumi/kubernetes";
import {
    BOUTIQUE_SERVICES,
    BUSYBOX_IMAGE,
    BoutiqueRelease,
    BoutiqueService,
    EXTERNAL_ADDRESSES,
    EnvEntry,
    FRONTEND,
    FRONTEND_WAIT,
    LOADGENERATOR,
    boutiqueService,
} from "../../catalog/boutique";
import { LabConfig } from "../../config/schema";
import { FRONTEND_VERSIONS, FrontendVersion } from "../../stacks";
import { DATA_PLANE_ANNOTATION, EXPOSED_BY_CONFIG, SKIP_AWAIT } from "../labels";
import { Mirrors, mirrorImage } from "../images/references";

type Deployment = types.input.apps.v1.Deployment;
type Service = types.input.core.v1.Service;
type ServiceAccount = types.input.core.v1.ServiceAccount;
type EnvVar = types.input.core.v1.EnvVar;

/** Per frontend version: the `version` label its pods carry (which its subset selects) and, beyond the original, its image. */
export type FrontendVersions = Readonly<Record<FrontendVersion, { label: string; image?: string }>>;

/** The frontend versions of a lab: the release's own, labelled `original`, and `boutique.frontendV1`. */
export function frontendVersions(frontendV1: LabConfig["boutique"]["frontendV1"]): FrontendVersions {
    return { original: { label: FRONTEND_VERSIONS.original.label }, v1: { label: frontendV1.version, image: frontendV1.image } };
}

/** What the workloads depend on in the lab's config. */
export interface WorkloadSettings {
    namespace: string;
    release: BoutiqueRelease;
    mirrors: Mirrors;
    frontends: FrontendVersions;
    loadGenerator: { enabled: boolean; users: number; rate: number };
    /** Latency a service adds itself, by catalog name (a Go duration), for those with a latency variable. */
    latency: Readonly<Record<string, string>>;
    /** The data plane the pods are made for (`istio.dataPlane`). */
    dataPlane: LabConfig["istio"]["dataPlane"];
}

/** The services deployed with these settings (the load generator only when enabled). */
export function deployedServices(settings: Pick<WorkloadSettings, "loadGenerator">): BoutiqueService[] {
    return BOUTIQUE_SERVICES.filter((s) => s.name !== LOADGENERATOR || settings.loadGenerator.enabled);
}

/**
 * Pod labels, which are also the Deployment's selector. The frontend carries its version from the
 * first deploy: the selector is immutable, so adding it later would mean replacing the Deployment.
 */
export function podLabels(service: BoutiqueService, frontends: FrontendVersions, version: FrontendVersion = "original"): Record<string, string> {
    return service.name === FRONTEND ? { app: service.name, version: frontends[version].label } : { app: service.name };
}

/** "frontend" for the original, "frontend-v1" for another version. */
export function deploymentName(service: BoutiqueService, version: FrontendVersion = "original"): string {
    return version === "original" ? service.name : `${service.name}-${version}`;
}

/** "productcatalogservice:3550": how one service reaches another inside the namespace. */
export function addressOf(name: string): string {
    const external = EXTERNAL_ADDRESSES[name];
    if (external !== undefined) return external;
    const target = boutiqueService(name);
    if (target.service === undefined) throw new Error(`${name} has no Service to address`);
    return `${name}:${target.service.port}`;
}

function envVar(entry: EnvEntry): EnvVar {
    return "value" in entry ? { name: entry.name, value: entry.value } : { name: entry.name, value: addressOf(entry.addressOf) };
}

const podSecurityContext = { fsGroup: 1000, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000 };
const containerSecurityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: true,
};

/**
 * Waits, bounded, until the home page answers 200, so Locust does not start against a cold shop
 * (FRONTEND_WAIT). busybox wget exits non-zero on any status but 200 to 204 and redirects (networking/wget.c,
 * "server returned error", read at busybox 1_36_1).
 */
function frontendCheck(mirrors: Mirrors): types.input.core.v1.Container {
    const { path, attempts, intervalSeconds, requestTimeoutSeconds } = FRONTEND_WAIT;
    const script = [
        `for attempt in $(seq 1 ${attempts}); do`,
        `  if wget -q -T ${requestTimeoutSeconds} -O /dev/null "http://\${FRONTEND_ADDR}${path}"; then exit 0; fi`,
        `  echo "home page of \${FRONTEND_ADDR} not answering 200 (attempt \${attempt}/${attempts})"`,
        `  if [ "\${attempt}" -lt ${attempts} ]; then sleep ${intervalSeconds}; fi`,
        "done",
        `echo "home page of \${FRONTEND_ADDR} did not answer 200 in ${attempts} attempts; starting the load anyway"`,
    ].join("\n");
    return {
        name: "frontend-check",
        image: mirrorImage(BUSYBOX_IMAGE, mirrors),
        command: ["/bin/sh", "-ec", script],
        env: [{ name: "FRONTEND_ADDR", value: addressOf(FRONTEND) }],
        securityContext: containerSecurityContext,
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "50m", memory: "32Mi" } },
    };
}

/**
 * The Deployment of one catalog service; for the frontend, of one of its versions (the same pod but
 * for image and `version` label).
 */
export function deploymentFor(service: BoutiqueService, settings: WorkloadSettings, version: FrontendVersion = "original"): Deployment {
    const labels = podLabels(service, settings.frontends, version);
    const env = service.env.map(envVar);
    if (service.name === LOADGENERATOR) {
        env.push({ name: "USERS", value: String(settings.loadGenerator.users) }, { name: "RATE", value: String(settings.loadGenerator.rate) });
    }
    const latency = settings.latency[service.name];
    if (latency !== undefined && service.latencyVariable !== undefined) env.push({ name: service.latencyVariable, value: latency });
    const image = settings.frontends[version].image ?? service.image(settings.release);
    const annotations = { ...service.podAnnotations, ...(settings.dataPlane === "ambient" ? { [DATA_PLANE_ANNOTATION]: "ambient" } : {}) };
    return {
        metadata: { name: deploymentName(service, version), namespace: settings.namespace, labels: { app: service.name } },
        spec: {
            selector: { matchLabels: labels },
            template: {
                metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
                spec: {
                    ...(service.serviceAccount ? { serviceAccountName: service.name } : {}),
                    ...(service.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: service.terminationGracePeriodSeconds } : {}),
                    securityContext: podSecurityContext,
                    ...(service.name === LOADGENERATOR ? { initContainers: [frontendCheck(settings.mirrors)] } : {}),
                    containers: [
                        {
                            name: service.container,
                            image: mirrorImage(image, settings.mirrors),
                            securityContext: containerSecurityContext,
                            ...(service.containerPort
                                ? {
                                      ports: [
                                          {
                                              containerPort: service.containerPort.port,
                                              ...(service.containerPort.name ? { name: service.containerPort.name } : {}),
                                          },
                                      ],
                                  }
                                : {}),
                            ...(env.length > 0 ? { env } : {}),
                            ...(service.readinessProbe ? { readinessProbe: service.readinessProbe } : {}),
                            ...(service.livenessProbe ? { livenessProbe: service.livenessProbe } : {}),
                            resources: service.resources,
                            ...(service.emptyDirs ? { volumeMounts: service.emptyDirs.map(({ name, mountPath }) => ({ name, mountPath })) } : {}),
                        },
                    ],
                    ...(service.emptyDirs ? { volumes: service.emptyDirs.map(({ name }) => ({ name, emptyDir: {} })) } : {}),
                },
            },
        },
    };
}

/** The ClusterIP Service of one catalog service; it selects every version by `app` alone. */
export function serviceFor(service: BoutiqueService, namespace: string): Service | undefined {
    if (service.service === undefined || service.containerPort === undefined) return undefined;
    return {
        metadata: { name: service.name, namespace, labels: { app: service.name } },
        spec: {
            type: "ClusterIP",
            selector: { app: service.name },
            ports: [{ name: service.service.portName, port: service.service.port, targetPort: service.containerPort.port }],
        },
    };
}

export function serviceAccountFor(service: BoutiqueService, namespace: string): ServiceAccount | undefined {
    return service.serviceAccount ? { metadata: { name: service.name, namespace } } : undefined;
}

/**
 * Upstream's `frontend-external` LoadBalancer, for those who want the shop without the Istio ingress.
 * Nothing waits for its address (the ingress gateway's rule when `awaitAddress` is off, which has no
 * counterpart here): where a load balancer exists the address comes later, elsewhere never.
 */
export function frontendExternalService(namespace: string): Service {
    const frontend = boutiqueService(FRONTEND);
    return {
        metadata: { name: "frontend-external", namespace, labels: { app: FRONTEND }, annotations: { ...EXPOSED_BY_CONFIG, ...SKIP_AWAIT } },
        spec: {
            type: "LoadBalancer",
            selector: { app: FRONTEND },
            ports: [{ name: "http", port: 80, targetPort: frontend.containerPort!.port }],
        },
    };
}

/** Every image the shop pulls with these settings and frontend versions, mirrored, in catalog order. */
export function boutiqueImages(
    settings: Pick<WorkloadSettings, "release" | "mirrors" | "loadGenerator" | "frontends">,
    versions: FrontendVersion[] = ["original"],
): string[] {
    const images = deployedServices(settings).map((s) => s.image(settings.release));
    for (const version of versions) {
        const image = settings.frontends[version].image;
        if (image !== undefined) images.push(image);
    }
    if (settings.loadGenerator.enabled) images.push(BUSYBOX_IMAGE);
    return images.map((image) => mirrorImage(image, settings.mirrors));
}
