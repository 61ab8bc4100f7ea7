import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { promisify } from "util";
import { BOUTIQUE_SERVICES } from "../catalog/boutique";
import { Evaluation } from "../mocks/evaluate";
import { chart, evaluateConfig, objectNamed, objectsOfKind, resource } from "./support/lab";

const NS = "online-boutique";

type Container = { name: string; image: string; env?: { name: string; value: string }[]; securityContext: Record<string, any> };

function containers(deployment: Record<string, any>): Container[] {
    const spec = deployment.spec.template.spec;
    return [...(spec.initContainers ?? []), ...spec.containers];
}

describe("boutique: the shop's namespace and workloads", () => {
    let lab: Evaluation;
    before(async () => {
        lab = await evaluateConfig();
    });

    it("labels the namespace for sidecar injection, and with the stack that owns it", () => {
        assert.deepEqual(objectNamed(lab, "Namespace", "online-boutique").metadata.labels, { "boutique-mesh.io/stack": "test", "istio-injection": "enabled" });
    });

    it("declares the twelve Deployments, eleven Services and the ServiceAccounts in that namespace", () => {
        const deployments = objectsOfKind(lab, "Deployment", NS);
        assert.deepEqual([...deployments.keys()].sort(), BOUTIQUE_SERVICES.map((s) => s.name).sort());
        const services = objectsOfKind(lab, "Service", NS);
        assert.equal(services.size, 11);
        assert.ok(!services.has("loadgenerator"));
        assert.ok(!services.has("frontend-external"), "the upstream LoadBalancer is off by default");
        assert.equal(objectsOfKind(lab, "ServiceAccount", NS).size, 11, "every Deployment but redis-cart has its own account");
        const shop = new Set(BOUTIQUE_SERVICES.map((s) => s.name));
        for (const kind of ["Deployment", "Service", "ServiceAccount"]) {
            const elsewhere = lab.resources.filter((r) => r.inputs.kind === kind && shop.has(r.inputs.metadata.name) && r.inputs.metadata.namespace !== NS);
            assert.deepEqual(
                elsewhere.map((r) => r.name),
                [],
                `no ${kind} of the shop outside ${NS}`,
            );
        }
    });

    it("every Service selects its Deployment's pods and targets a port the container listens on", () => {
        const deployments = objectsOfKind(lab, "Deployment", NS);
        for (const [name, svc] of objectsOfKind(lab, "Service", NS)) {
            const pod = deployments.get(name)!.spec.template;
            // Upstream's Services select app: <name> (release/kubernetes-manifests.yaml, v0.10.6).
            assert.deepEqual(svc.spec.selector, { app: name }, `${name}'s selector`);
            assert.equal(pod.metadata.labels.app, name, `${name}'s pods carry app=${name}`);
            const ports = pod.spec.containers
                .flatMap((c: { ports?: { containerPort: number }[] }) => c.ports ?? [])
                .map((p: { containerPort: number }) => p.containerPort);
            for (const port of svc.spec.ports) {
                assert.ok(ports.includes(port.targetPort), `${name} targets ${port.targetPort}`);
                assert.match(port.name, /^(http|grpc|tcp)(-|$)/, "Istio picks the protocol from the port name");
            }
        }
        const email = objectNamed(lab, "Service", "emailservice").spec.ports[0];
        assert.deepEqual({ port: email.port, targetPort: email.targetPort }, { port: 5000, targetPort: 8080 });
    });

    it("labels the frontend version: original in selector and template from the first deploy", () => {
        const frontend = objectNamed(lab, "Deployment", "frontend");
        assert.deepEqual(frontend.spec.selector.matchLabels, { app: "frontend", version: "original" });
        assert.deepEqual(frontend.spec.template.metadata.labels, { app: "frontend", version: "original" });
        assert.deepEqual(objectNamed(lab, "Service", "frontend").spec.selector, { app: "frontend" }, "the Service spans every version");
    });

    it("keeps every pod non-root with a read-only root filesystem and no capabilities", () => {
        for (const [name, deployment] of objectsOfKind(lab, "Deployment", NS)) {
            assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true, name);
            for (const c of containers(deployment)) {
                assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${name}/${c.name}`);
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${name}/${c.name}`);
                assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], `${name}/${c.name}`);
            }
        }
    });

    it("creates workloads only after istiod serves its injection webhook", () => {
        const istiod = chart(lab, "istiod").name;
        for (const r of lab.resources.filter((r) => r.inputs.kind === "Deployment" && r.inputs.metadata.namespace === NS)) {
            assert.ok(r.dependsOn.includes(istiod), `${r.name} waits for istiod`);
        }
        for (const name of ["lab-boutique-frontend", "lab-boutique-redis-cart"]) {
            assert.ok(resource(lab, "kubernetes:apps/v1:Deployment", name).dependsOn.includes("lab-boutique-namespace"));
        }
    });

    it("pulls every image through the mirrors, init containers included", async () => {
        const mirrored = await evaluateConfig({
            images: { mirrors: { "us-central1-docker.pkg.dev": "mirror.lab/ar", "docker.io": "mirror.lab/hub" } },
        });
        const images = [...objectsOfKind(mirrored, "Deployment", NS).values()].flatMap(containers).map((c) => c.image);
        assert.equal(images.length, 13, "twelve main containers and the load generator's init container");
        for (const image of images) assert.match(image, /^mirror\.lab\/(ar|hub)\//);
        assert.ok(images.includes("mirror.lab/hub/library/redis:alpine@sha256:9d317178eceac8454a2284a9e6df2466b93c745529947f0cd42a0fa9609d7005"));
        assert.ok(images.includes("mirror.lab/ar/online-boutique-ci/microservices-demo/frontend:v0.10.6"));
        const output = mirrored.outputs.images as string[];
        for (const image of images) assert.ok(output.includes(image), `the images output lists ${image}`);
    });

    it("sets the load generator's users and rate, or leaves it out", async () => {
        const busy = await evaluateConfig({ boutique: { loadGenerator: { users: 42, rate: 3 } } });
        const env = containers(objectNamed(busy, "Deployment", "loadgenerator")).find((c) => c.name === "main")!.env!;
        assert.deepEqual(env, [
            { name: "FRONTEND_ADDR", value: "frontend:80" },
            { name: "USERS", value: "42" },
            { name: "RATE", value: "3" },
        ]);
        const quiet = await evaluateConfig({ boutique: { loadGenerator: { enabled: false } } });
        assert.ok(!objectsOfKind(quiet, "Deployment").has("loadgenerator"));
        assert.ok(!objectsOfKind(quiet, "ServiceAccount").has("loadgenerator"));
        assert.ok(!(quiet.outputs.images as string[]).some((i) => i.includes("busybox") || i.includes("loadgenerator")));
    });

    describe("the load generator waits for the home page, as upstream's frontend-check does", () => {
        /** Runs the init container's command against a frontend answering `status(n)` to its n-th home page; sleep is instant. */
        async function runWait(status: (n: number) => number): Promise<{ code: number; out: string; paths: string[] }> {
            const check = lab.resources.find((r) => r.inputs.kind === "Deployment" && r.inputs.metadata.name === "loadgenerator")!.inputs.spec.template.spec
                .initContainers[0];
            const paths: string[] = [];
            let homes = 0;
            const frontend = http.createServer((request, response) => {
                paths.push(request.url ?? "");
                // Like the real frontend: /_healthz answers "ok" whatever the backends do.
                response.writeHead(request.url === "/" ? status(++homes) : 200).end("ok");
            });
            await new Promise<void>((resolve) => frontend.listen(0, "127.0.0.1", resolve));
            const stubs = scratch("frontend-check-");
            fs.writeFileSync(path.join(stubs, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
            try {
                const env = { PATH: `${stubs}:${process.env.PATH}`, FRONTEND_ADDR: `127.0.0.1:${(frontend.address() as AddressInfo).port}` };
                const [file, ...args] = check.command as string[];
                const { stdout } = await promisify(execFile)(file, args, { env });
                return { code: 0, out: stdout, paths };
            } catch (error) {
                return { code: (error as { code: number }).code, out: String((error as { stdout?: string }).stdout), paths };
            } finally {
                await new Promise((resolve) => frontend.close(resolve));
            }
        }

        before(function () {
            // GNU wget stands in for busybox's: both exit non-zero on a 500 and take -q, -T and -O.
            if (!(process.env.PATH ?? "").split(":").some((dir) => fs.existsSync(path.join(dir, "wget")))) this.skip();
        });

        it("keeps asking while the home page fails, though /_healthz answers ok, and starts once it answers 200", async () => {
            const { code, paths } = await runWait((n) => (n <= 3 ? 500 : 200));
            assert.equal(code, 0);
            assert.deepEqual(paths, ["/", "/", "/", "/"]);
        });

        it("gives up after 12 attempts and lets the load start (a scenario may fail the home page on purpose)", async () => {
            const { code, out, paths } = await runWait(() => 500);
            assert.equal(code, 0);
            assert.equal(paths.length, 12);
            assert.match(out, /did not answer 200 in 12 attempts; starting the load anyway/);
        });
    });

    it("deploys into a configured namespace and adds frontend-external only when asked", async () => {
        const custom = await evaluateConfig({ boutique: { namespace: "shop", frontendExternal: true } });
        assert.equal(objectNamed(custom, "Namespace", "shop").metadata.labels["istio-injection"], "enabled");
        const external = objectNamed(custom, "Service", "frontend-external");
        assert.equal(external.spec.type, "LoadBalancer");
        // Without it the provider waits 10 minutes for an address kind, minikube and kubeadm never assign, then fails.
        assert.equal(external.metadata.annotations["pulumi.com/skipAwait"], "true");
        assert.equal(external.metadata.namespace, "shop");
        assert.equal(objectNamed(custom, "Deployment", "frontend").metadata.namespace, "shop");
    });
});

/**
 * Every container's environment in GoogleCloudPlatform/microservices-demo v0.10.6 (commit 5b3a712)
 * release/kubernetes-manifests.yaml, in order: names and values, the init container of the load
 * generator included. The lab changes none of them for the baseline.
 */
const UPSTREAM_ENV: Record<string, [string, string][]> = {
    "frontend/server": [
        ["PORT", "8080"],
        ["PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"],
        ["CURRENCY_SERVICE_ADDR", "currencyservice:7000"],
        ["CART_SERVICE_ADDR", "cartservice:7070"],
        ["RECOMMENDATION_SERVICE_ADDR", "recommendationservice:8080"],
        ["SHIPPING_SERVICE_ADDR", "shippingservice:50051"],
        ["CHECKOUT_SERVICE_ADDR", "checkoutservice:5050"],
        ["AD_SERVICE_ADDR", "adservice:9555"],
        ["SHOPPING_ASSISTANT_SERVICE_ADDR", "shoppingassistantservice:80"],
        ["ENABLE_PROFILER", "0"],
    ],
    "adservice/server": [["PORT", "9555"]],
    "currencyservice/server": [
        ["PORT", "7000"],
        ["DISABLE_PROFILER", "1"],
    ],
    "cartservice/server": [["REDIS_ADDR", "redis-cart:6379"]],
    "redis-cart/redis": [],
    "loadgenerator/main": [
        ["FRONTEND_ADDR", "frontend:80"],
        ["USERS", "10"],
        ["RATE", "1"],
    ],
    "loadgenerator/frontend-check": [["FRONTEND_ADDR", "frontend:80"]],
    "recommendationservice/server": [
        ["PORT", "8080"],
        ["PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"],
        ["DISABLE_PROFILER", "1"],
    ],
    "checkoutservice/server": [
        ["PORT", "5050"],
        ["PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"],
        ["SHIPPING_SERVICE_ADDR", "shippingservice:50051"],
        ["PAYMENT_SERVICE_ADDR", "paymentservice:50051"],
        ["EMAIL_SERVICE_ADDR", "emailservice:5000"],
        ["CURRENCY_SERVICE_ADDR", "currencyservice:7000"],
        ["CART_SERVICE_ADDR", "cartservice:7070"],
    ],
    "emailservice/server": [
        ["PORT", "8080"],
        ["DISABLE_PROFILER", "1"],
    ],
    "paymentservice/server": [
        ["PORT", "50051"],
        ["DISABLE_PROFILER", "1"],
    ],
    "shippingservice/server": [
        ["PORT", "50051"],
        ["DISABLE_PROFILER", "1"],
    ],
    "productcatalogservice/server": [
        ["PORT", "3550"],
        ["DISABLE_PROFILER", "1"],
    ],
};

describe("boutique: every container's environment as the release manifest has it", () => {
    it("the baseline declares each container's variables, names, values and order, exactly as v0.10.6 does", async () => {
        const lab = await evaluateConfig();
        const declared: Record<string, [string, string][]> = {};
        for (const [name, deployment] of objectsOfKind(lab, "Deployment", "online-boutique")) {
            const pod = deployment.spec.template.spec;
            for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
                declared[`${name}/${c.name}`] = (c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]);
            }
        }
        assert.deepEqual(declared, UPSTREAM_ENV);
    });
});
