import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as net from "net";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { KIND_CREATE, KIND_DELETE, kindClusterName } from "../components/cluster/cluster";
import { parseLabConfig } from "../config/schema";
import { PROJECT_DIR, stackNames } from "../config/project";
import { captureStderr } from "./support/stderr";
import { engineEnvironment, main, parseLabArgs, summary } from "../commands/lab";
import { checkPulumiCli, PreflightError } from "../commands/preflight/tools";
import { checkCluster } from "../commands/preflight/cluster";
import { evaluateConfig } from "./support/lab";

/** Runs `fn` with stderr captured and PATH replaced. */
async function captured<T>(fn: () => Promise<T>, pathValue?: string): Promise<{ value: T; err: string }> {
    const err: string[] = [];
    const [write, savedPath] = [process.stderr.write, process.env.PATH];
    process.stderr.write = (chunk: string) => (err.push(String(chunk)), true);
    if (pathValue !== undefined) process.env.PATH = pathValue;
    try {
        return { value: await fn(), err: err.join("") };
    } finally {
        process.stderr.write = write;
        process.env.PATH = savedPath;
    }
}

function kubeconfig(server: string, context = "lab"): string {
    const file = path.join(scratch("kubeconfig-"), "config");
    fs.writeFileSync(
        file,
        `apiVersion: v1\nkind: Config\ncurrent-context: ${context}\ncontexts:\n- name: ${context}\n  context: {cluster: c1, user: u1}\nclusters:\n- name: c1\n  cluster: {server: "${server}"}\nusers:\n- name: u1\n  user: {}\n`,
    );
    return file;
}

const closedPort = () =>
    new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });

describe("lifecycle: npm run lab", () => {
    describe("command line", () => {
        it("takes a command and a stack, or --all for every stack file", () => {
            assert.deepEqual(parseLabArgs(["up", "dev"]), { command: "up", stacks: ["dev"] });
            assert.deepEqual(parseLabArgs(["down", "--all"]), { command: "down", stacks: stackNames() });
            assert.throws(() => parseLabArgs(["launch", "dev"]), /unknown command launch/);
            assert.throws(() => parseLabArgs(["up"]), /name a stack, or --all/);
            assert.throws(
                () => parseLabArgs(["up", "nope"]),
                /no stack file Pulumi\.nope\.yaml; stacks: ambient-canary, ambient-fault-delay, canary, classroom, dev/,
            );
            assert.throws(() => parseLabArgs(["outputs", "--all"]), /outputs takes one stack/);
            assert.throws(() => parseLabArgs(["up", "dev", "--force"]), /unknown option --force/);
        });

        it("prints its help and exits 0 on --help", async () => {
            const { value, out, err } = await captureStderr(() => main(["--help"]));
            assert.equal(value, 0);
            assert.match(out, /usage: npm run lab -- <up\|preview\|refresh\|down\|outputs> <stack> \[--all\]/);
            assert.match(out, /PULUMI_BACKEND_URL/);
            assert.equal(err, "", "help is no error");
        });
    });

    describe("fails fast, before the engine starts", () => {
        it("when the Pulumi CLI is missing", async () => {
            const empty = scratch("empty-path-");
            const { value, err } = await captured(() => main(["preview", "dev"], { ask: undefined, env: { ...process.env, CI: "" } }), empty);
            assert.equal(value, 1);
            assert.match(
                err,
                /lab: the Pulumi CLI is not installed: run again with --install-cli to install Pulumi 3\.248\.0 into .*, or install it yourself: https:\/\/www\.pulumi\.com\/docs\/install\//,
            );
            assert.throws(
                () =>
                    checkPulumiCli(() => {
                        throw Object.assign(new Error("exit 1"), { code: 1 });
                    }),
                /the Pulumi CLI does not run: exit 1/,
            );
            assert.equal(
                checkPulumiCli(() => "v3.200.0\n"),
                "v3.200.0",
            );
        });

        it("when a stack file is invalid, with the validation message", async () => {
            const file = path.join(PROJECT_DIR, "Pulumi.zz-invalid-for-test.yaml");
            fs.writeFileSync(file, "config:\n  boutique-mesh:istio:\n    verison: 1.30.3\n");
            try {
                const { value, err } = await captured(() => main(["up", "zz-invalid-for-test"]));
                assert.equal(value, 2, "a bad config is a usage error");
                assert.match(err, /lab: Pulumi\.zz-invalid-for-test\.yaml: invalid configuration:\n {2}- boutique-mesh:istio\.verison: unknown key/);
                assert.doesNotMatch(err, /Pulumi CLI/, "checked before looking for the CLI");
            } finally {
                fs.rmSync(file);
            }
        });

        it("when no cluster is reachable, naming the server and the context", async () => {
            const port = await closedPort();
            const config = parseLabConfig({ cluster: { kubeconfig: kubeconfig(`https://127.0.0.1:${port}`) } });
            await assert.rejects(
                checkCluster(config, 2000),
                new RegExp(`no cluster reachable at https://127\\.0\\.0\\.1:${port} \\(context lab\\): .*ECONNREFUSED`),
            );
            await assert.rejects(
                checkCluster(parseLabConfig({ cluster: { kubeconfig: "/nonexistent/kubeconfig" } })),
                /no kubeconfig at \/nonexistent\/kubeconfig/,
            );
            await assert.rejects(
                checkCluster(parseLabConfig({ cluster: { kubeconfig: kubeconfig("https://127.0.0.1:1"), context: "prod" } })),
                (error: Error) => error instanceof PreflightError && /has no context prod; contexts: lab/.test(error.message),
            );
        });

        it("passes when the API server answers", async () => {
            const server = net.createServer((socket) => socket.end()).listen(0, "127.0.0.1");
            await new Promise((resolve) => server.once("listening", resolve));
            try {
                const { port } = server.address() as net.AddressInfo;
                const config = parseLabConfig({ cluster: { kubeconfig: kubeconfig(`https://127.0.0.1:${port}`) } });
                assert.equal(await checkCluster(config), `https://127.0.0.1:${port} (context lab)`);
            } finally {
                server.close();
            }
        });

        it("for a kind cluster, when docker or kind is missing", async () => {
            const config = parseLabConfig({ cluster: { kind: { enabled: true } } });
            const empty = scratch("empty-path-");
            const { value: error } = await captured(() => checkCluster(config).catch((e: Error) => e), empty);
            assert.match(String(error), /boutique-mesh:cluster\.kind needs docker and kind on PATH/);
        });
    });

    it("uses a file backend in the project folder and an empty passphrase unless the environment says otherwise", () => {
        assert.deepEqual(engineEnvironment({}), { PULUMI_BACKEND_URL: `file://${PROJECT_DIR}`, PULUMI_CONFIG_PASSPHRASE: "" });
        assert.deepEqual(engineEnvironment({ PULUMI_BACKEND_URL: "s3://labs", PULUMI_CONFIG_PASSPHRASE: "x" }), {
            PULUMI_BACKEND_URL: "s3://labs",
            PULUMI_CONFIG_PASSPHRASE: "x",
        });
        assert.deepEqual(engineEnvironment({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }), { PULUMI_BACKEND_URL: "https://api.pulumi.com" });
        assert.deepEqual(engineEnvironment({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pass" }), { PULUMI_BACKEND_URL: `file://${PROJECT_DIR}` });
    });

    it("ends up with where to open the shop and each dashboard", () => {
        const text = summary("dev", {
            scenario: { value: "baseline", secret: false },
            istioVersion: { value: "1.30.3", secret: false },
            namespace: { value: "online-boutique", secret: false },
            shopUrl: { value: "http://localhost:8080/", secret: false },
            shopAccess: { value: "kind publishes the ingress gateway's node port on 127.0.0.1", secret: false },
            shopPortForward: { value: "kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80", secret: false },
            dashboards: {
                value: { grafana: { url: "http://localhost:3000/", portForward: "kubectl -n istio-system port-forward svc/grafana 3000:3000" } },
                secret: false,
            },
            grafanaAdminPassword: { value: "[secret]", secret: true },
            images: { value: ["a", "b"], secret: false },
        });
        assert.match(text, /^lab dev is up: scenario baseline, Istio 1\.30\.3, shop in namespace online-boutique/);
        assert.match(text, /shop +http:\/\/localhost:8080\//);
        assert.match(text, /grafana +http:\/\/localhost:3000\/ +\(kubectl -n istio-system port-forward svc\/grafana 3000:3000\)/);
        assert.match(text, /pulumi stack output --show-secrets grafanaAdminPassword --stack dev/);
        assert.match(text, /2 images pulled/);
    });

    describe("local kind cluster", () => {
        it("creates a kind cluster named after the stack, publishing the ingress node port on localhost, and targets it", async () => {
            const lab = await evaluateConfig(
                { cluster: { kind: { enabled: true, hostPort: 9080 } }, istio: { ingress: { type: "NodePort", httpNodePort: 30081 } } },
                "demo",
            );
            const kind = lab.resources.find((r) => r.name === "lab-cluster-kind")!;
            assert.equal(kind.type, "command:local:Command");
            assert.equal(kind.inputs.create, KIND_CREATE);
            assert.equal(kind.inputs.delete, KIND_DELETE, "deleted with the stack");
            assert.equal(kind.inputs.environment.KIND_CLUSTER, "boutique-mesh-demo");
            const config = parseYaml(kind.inputs.environment.KIND_CONFIG);
            assert.deepEqual(config.nodes[0].extraPortMappings, [{ containerPort: 30081, hostPort: 9080, listenAddress: "127.0.0.1", protocol: "TCP" }]);
            const kubeconfigCmd = lab.resources.find((r) => r.name === "lab-cluster-kind-kubeconfig")!;
            assert.deepEqual(kubeconfigCmd.dependsOn, ["lab-cluster-kind"]);
            const provider = lab.resources.find((r) => r.name === "lab-cluster-provider")!;
            assert.equal(provider.inputs.kubeconfig, "offline stdout of lab-cluster-kind-kubeconfig");
            assert.ok(provider.secretPaths.includes("kubeconfig"), "the kubeconfig is a secret in the state");
            for (const r of lab.resources.filter((r) => r.type.startsWith("kubernetes:")))
                assert.ok(["lab-cluster-provider", "lab-cluster-adopting-provider"].includes(r.provider!), r.name);
            assert.equal(lab.outputs.shopUrl, "http://localhost:9080/");
            assert.match(lab.outputs.shopPortForward as string, /^kubectl --kubeconfig ~\/\.kube\/kind-boutique-mesh-demo\.yaml /);
        });

        it("targets the configured or ambient cluster without it", async () => {
            const lab = await evaluateConfig();
            assert.ok(!lab.resources.some((r) => r.type === "command:local:Command"));
        });

        it("rejects kind together with a kubeconfig, a context or a non-NodePort ingress", () => {
            assert.throws(
                () => parseLabConfig({ cluster: { kind: { enabled: true }, context: "prod" } }),
                /boutique-mesh:cluster\.context = "prod": cannot be set with cluster\.kind\.enabled/,
            );
            assert.throws(
                () => parseLabConfig({ cluster: { kind: { enabled: true }, kubeconfig: "/home/me/.kube/prod" } }),
                /boutique-mesh:cluster\.kubeconfig = "\/home\/me\/\.kube\/prod": cannot be set with cluster\.kind\.enabled/,
            );
            assert.doesNotThrow(() => parseLabConfig({ cluster: { kind: { enabled: false }, kubeconfig: "/k", context: "c" } }));
            assert.throws(
                () => parseLabConfig({ cluster: { kind: { enabled: true } }, istio: { ingress: { type: "LoadBalancer" } } }),
                /boutique-mesh:istio\.ingress\.type = "LoadBalancer": must be NodePort with cluster\.kind\.enabled/,
            );
            assert.equal(kindClusterName(parseLabConfig({}).cluster, "Fault_Delay"), "boutique-mesh-fault-delay");
        });

        it("its commands stop with a clear message when docker or kind is missing", () => {
            const bin = scratch("bin-");
            const run = () => spawnSync("/bin/bash", ["-c", KIND_CREATE], { env: { PATH: bin, KIND_CLUSTER: "x", KIND_CONFIG: "" }, encoding: "utf8" });
            let result = run();
            assert.equal(result.status, 1);
            assert.match(result.stderr, /docker is not installed/);
            fs.writeFileSync(path.join(bin, "docker"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
            result = run();
            assert.equal(result.status, 1);
            assert.match(result.stderr, /kind is not installed: https:\/\/kind\.sigs\.k8s\.io/);
        });
    });
});
