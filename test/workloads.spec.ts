/**
 * The shop's workloads straight from the functions that build them (components/shop/workloads.ts), against
 * the release manifest (GoogleCloudPlatform/microservices-demo v0.10.6 release/kubernetes-manifests.yaml):
 * fast enough to run first under mutation testing, where boutique.spec.ts checks the same through a whole
 * evaluation of the lab.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { promisify } from "util";
import { BOUTIQUE_SERVICES, FRONTEND, LOADGENERATOR, boutiqueService } from "../catalog/boutique";
import { parseLabConfig } from "../config/schema";
import {
    WorkloadSettings,
    addressOf,
    boutiqueImages,
    deployedServices,
    deploymentFor,
    deploymentName,
    frontendExternalService,
    frontendVersions,
    serviceAccountFor,
    serviceFor,
} from "../components/shop/workloads";

const config = parseLabConfig({});
const settings = (loadGenerator = true): WorkloadSettings => ({
    dataPlane: "sidecar",
    namespace: "shop",
    release: "v0.10.6",
    mirrors: {},
    frontends: frontendVersions(config.boutique.frontendV1),
    loadGenerator: { enabled: loadGenerator, users: 10, rate: 1 },
    latency: {},
});

/** The plain data a Deployment is (its type allows Pulumi inputs). */
const plain = (value: unknown): any => JSON.parse(JSON.stringify(value));

// release/kubernetes-manifests.yaml v0.10.6: the same pod and container security context on all 12 Deployments
// (lines 39-43, 166-170, ...; loadgenerator's frontend-check init container at 487-493).
const POD_SECURITY = { fsGroup: 1000, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000 };
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, privileged: false, readOnlyRootFilesystem: true };

describe("workloads, straight from their functions", () => {
    it("every pod and container runs with the release manifest's security contexts, the init container too", () => {
        for (const service of deployedServices(settings())) {
            const pod = plain(deploymentFor(service, settings())).spec.template.spec;
            assert.deepEqual(pod.securityContext, POD_SECURITY, service.name);
            for (const c of [...(pod.initContainers ?? []), ...pod.containers])
                assert.deepEqual(c.securityContext, CONTAINER_SECURITY, `${service.name}/${c.name}`);
        }
    });

    it("the load generator's wait: busybox, the frontend's address, small bounded resources; only with the load generator", () => {
        const pod = plain(deploymentFor(boutiqueService(LOADGENERATOR), settings())).spec.template.spec;
        const [check] = pod.initContainers;
        assert.equal(check.name, "frontend-check");
        assert.deepEqual(check.env, [{ name: "FRONTEND_ADDR", value: "frontend:80" }]);
        assert.deepEqual(check.command.slice(0, 2), ["/bin/sh", "-ec"]);
        assert.deepEqual(check.resources, { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "50m", memory: "32Mi" } });
        assert.ok(deployedServices(settings(false)).every((s) => s.name !== LOADGENERATOR));
        assert.equal(deployedServices(settings()).length, BOUTIQUE_SERVICES.length);
    });

    it("a frontend version beyond the original: its own name, image and version label, the same pod otherwise", () => {
        const frontend = boutiqueService(FRONTEND);
        const [original, v1] = [plain(deploymentFor(frontend, settings())), plain(deploymentFor(frontend, settings(), "v1"))];
        assert.deepEqual([deploymentName(frontend), deploymentName(frontend, "v1")], ["frontend", "frontend-v1"]);
        assert.equal(v1.metadata.name, "frontend-v1");
        assert.deepEqual(v1.spec.selector.matchLabels, { app: "frontend", version: config.boutique.frontendV1.version });
        assert.deepEqual(original.spec.selector.matchLabels, { app: "frontend", version: "original" });
        assert.equal(v1.spec.template.spec.containers[0].image, config.boutique.frontendV1.image);
        // release/kubernetes-manifests.yaml v0.10.6: the frontend's image.
        assert.equal(original.spec.template.spec.containers[0].image, "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6");
        assert.deepEqual(v1.metadata.labels, { app: "frontend" });
        const withoutImage = (d: any) => ({ ...d.spec.template.spec, containers: [{ ...d.spec.template.spec.containers[0], image: undefined }] });
        assert.deepEqual(withoutImage(v1), withoutImage(original));
    });

    it("a service's own latency goes into its latency variable only, and the load generator's users and rate into its env", () => {
        const latency = { ...settings(), latency: { productcatalogservice: "6s", cartservice: "6s" } };
        const env = (name: string, s = latency) => plain(deploymentFor(boutiqueService(name), s)).spec.template.spec.containers[0].env ?? [];
        assert.deepEqual(env("productcatalogservice").at(-1), { name: "EXTRA_LATENCY", value: "6s" });
        assert.ok(!env("cartservice").some((e: { name: string }) => e.name === "EXTRA_LATENCY"), "cartservice has no latency variable");
        assert.deepEqual(env(LOADGENERATOR).slice(-2), [
            { name: "USERS", value: "10" },
            { name: "RATE", value: "1" },
        ]);
    });

    it("addresses other services by name and port, refuses one without a Service", () => {
        assert.equal(addressOf("productcatalogservice"), "productcatalogservice:3550");
        assert.throws(() => addressOf(LOADGENERATOR), /loadgenerator has no Service to address/);
    });

    it("Services select every version by app alone; service accounts only where the manifest has them; frontend-external exposes port 80", () => {
        const cart = plain(serviceFor(boutiqueService("cartservice"), "shop"));
        assert.deepEqual(cart, {
            metadata: { name: "cartservice", namespace: "shop", labels: { app: "cartservice" } },
            spec: { type: "ClusterIP", selector: { app: "cartservice" }, ports: [{ name: "grpc", port: 7070, targetPort: 7070 }] },
        });
        assert.equal(serviceFor(boutiqueService(LOADGENERATOR), "shop"), undefined);
        assert.deepEqual(serviceAccountFor(boutiqueService("cartservice"), "shop"), { metadata: { name: "cartservice", namespace: "shop" } });
        const external = plain(frontendExternalService("shop"));
        assert.deepEqual(external.spec, { type: "LoadBalancer", selector: { app: "frontend" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] });
        assert.equal(external.metadata.annotations["pulumi.com/skipAwait"], "true");
    });

    it("lists every image the shop pulls, through the mirrors, the frontend versions and busybox with the load generator", () => {
        const mirrored = { ...settings(), mirrors: { "us-central1-docker.pkg.dev": "mirror.example" } };
        const images = boutiqueImages(mirrored, ["original", "v1"]);
        assert.equal(images.length, BOUTIQUE_SERVICES.length + 2);
        assert.ok(
            images.slice(0, BOUTIQUE_SERVICES.length).every((i) => !i.startsWith("us-central1-docker.pkg.dev/")),
            images.join("\n"),
        );
        assert.ok(images.at(-1)!.includes("busybox"));
        assert.equal(boutiqueImages(settings(false)).length, BOUTIQUE_SERVICES.length - 1);
    });

    it("each container as its catalog entry says: ports and their names, probes, env only when there is some, scratch volumes, account, grace period, annotations", () => {
        for (const service of deployedServices(settings())) {
            const pod = plain(deploymentFor(service, settings())).spec.template;
            const [c] = pod.spec.containers;
            const what = service.name;
            assert.deepEqual(
                c.ports,
                service.containerPort
                    ? [{ containerPort: service.containerPort.port, ...(service.containerPort.name ? { name: service.containerPort.name } : {}) }]
                    : undefined,
                what,
            );
            assert.deepEqual(c.readinessProbe, service.readinessProbe && plain(service.readinessProbe), what);
            assert.deepEqual(c.livenessProbe, service.livenessProbe && plain(service.livenessProbe), what);
            assert.equal("env" in c, service.env.length > 0 || service.name === LOADGENERATOR, what);
            assert.deepEqual(
                c.volumeMounts,
                service.emptyDirs?.map(({ name, mountPath }) => ({ name, mountPath })),
                what,
            );
            assert.deepEqual(
                pod.spec.volumes,
                service.emptyDirs?.map(({ name }) => ({ name, emptyDir: {} })),
                what,
            );
            assert.equal(pod.spec.serviceAccountName, service.serviceAccount ? service.name : undefined, what);
            assert.equal(pod.spec.terminationGracePeriodSeconds, service.terminationGracePeriodSeconds, what);
            assert.deepEqual(pod.metadata.annotations, service.podAnnotations, what);
            assert.deepEqual(pod.metadata.labels, service.name === FRONTEND ? { app: FRONTEND, version: "original" } : { app: service.name }, what);
        }
        // release/kubernetes-manifests.yaml v0.10.6: the load generator's pod annotation, and some pods' grace period of 5 s.
        assert.deepEqual(plain(deploymentFor(boutiqueService(LOADGENERATOR), settings())).spec.template.metadata.annotations, {
            "sidecar.istio.io/rewriteAppHTTPProbers": "true",
        });
        const graces = deployedServices(settings()).map((s) => plain(deploymentFor(s, settings())).spec.template.spec.terminationGracePeriodSeconds);
        assert.ok(graces.includes(5) && graces.includes(undefined));
        const ports = deployedServices(settings()).flatMap((s) => plain(deploymentFor(s, settings())).spec.template.spec.containers[0].ports ?? []);
        assert.ok(ports.some((p: { name?: string }) => p.name !== undefined) && ports.some((p: { name?: string }) => p.name === undefined));
    });

    it("the load's users and rate and a latency only where they belong", () => {
        const env = (name: string) => plain(deploymentFor(boutiqueService(name), settings())).spec.template.spec.containers[0].env ?? [];
        assert.ok(!env("cartservice").some((e: { name: string }) => e.name === "USERS"));
        assert.ok(!env("productcatalogservice").some((e: { name: string }) => e.name === "EXTRA_LATENCY"), "no latency configured");
        assert.deepEqual(plain(frontendExternalService("shop")).metadata.labels, { app: "frontend" });
    });

    it("the load generator waits for the home page: asks again while it fails, sleeping between tries, and gives up after its attempts", async () => {
        const [check] = plain(deploymentFor(boutiqueService(LOADGENERATOR), settings())).spec.template.spec.initContainers;
        const stubs = scratch("frontend-check-");
        const sleeps = path.join(stubs, "sleeps");
        fs.writeFileSync(path.join(stubs, "sleep"), `#!/bin/sh\necho "$1" >> "${sleeps}"\n`, { mode: 0o755 });
        const run = async (status: (n: number) => number) => {
            let n = 0;
            const server = http.createServer((request, response) => void response.writeHead(request.url === "/" ? status(++n) : 200).end("ok"));
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            fs.rmSync(sleeps, { force: true });
            try {
                const env = { PATH: `${stubs}:${process.env.PATH}`, FRONTEND_ADDR: `127.0.0.1:${(server.address() as AddressInfo).port}` };
                const { stdout } = await promisify(execFile)(check.command[0], check.command.slice(1), { env });
                return { out: stdout, homes: n, sleeps: fs.existsSync(sleeps) ? fs.readFileSync(sleeps, "utf8").trim().split("\n") : [] };
            } finally {
                await new Promise((resolve) => server.close(resolve));
            }
        };
        try {
            const late = await run((n) => (n <= 2 ? 500 : 200));
            assert.deepEqual([late.homes, late.sleeps.length], [3, 2]);
            assert.match(late.out, /home page of 127\.0\.0\.1:\d+ not answering 200 \(attempt 1\/12\)/);
            const never = await run(() => 500);
            assert.deepEqual([never.homes, never.sleeps.length], [12, 11], "no sleep after the last attempt");
            assert.match(never.out, /did not answer 200 in 12 attempts; starting the load anyway/);
        } finally {
            fs.rmSync(stubs, { recursive: true, force: true });
        }
    });
});
