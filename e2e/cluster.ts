/**
 * A real Kubernetes control plane on 127.0.0.1 with fake nodes: etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler as built from k8s.io/kubernetes, and kwok standing in for the
 * kubelets, so Deployments are scheduled and become Available without a container runtime. Nothing
 * runs in a pod: pod IPs are kwok's, and no webhook or aggregated API can be served.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { stringify } from "yaml";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `ready` resolves true, or fails after `timeoutMs` naming what was awaited. */
export async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 120_000, everyMs = 500): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            if (await ready()) return;
        } catch (error) {
            last = error;
        }
        await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
}

/** A Kubernetes API answer. */
export interface ApiResponse {
    status: number;
    body: any;
}

/** A minimal client of the API server: bearer token, the server's own CA. */
export class Api {
    constructor(
        readonly server: string,
        private readonly token: string,
        private readonly ca: () => Buffer,
    ) {}

    request(method: string, urlPath: string, body?: unknown): Promise<ApiResponse> {
        const url = new URL(urlPath, this.server);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    ca: this.ca(),
                    headers: {
                        authorization: `Bearer ${this.token}`,
                        accept: "application/json",
                        ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
                    },
                    timeout: 30_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: unknown = text;
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            // not JSON: keep the text (healthz answers "ok")
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: no answer within 30s`)));
            req.on("error", reject);
            if (payload) req.write(payload);
            req.end();
        });
    }

    async get(urlPath: string): Promise<any> {
        const res = await this.request("GET", urlPath);
        if (res.status !== 200) throw new Error(`GET ${urlPath}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return res.body;
    }

    async create(urlPath: string, object: unknown): Promise<any> {
        const res = await this.request("POST", urlPath, object);
        if (res.status !== 201 && res.status !== 200) throw new Error(`POST ${urlPath}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return res.body;
    }

    async delete(urlPath: string): Promise<number> {
        return (await this.request("DELETE", urlPath)).status;
    }
}

/** One listable kind the API server serves. */
export interface ApiKind {
    /** "apps/v1" or "v1". */
    groupVersion: string;
    kind: string;
    /** Plural resource name. */
    resource: string;
    namespaced: boolean;
}

/** Every kind that can be listed, across all groups (preferred versions), from discovery. */
export async function listableKinds(api: Api): Promise<ApiKind[]> {
    const groupVersions: string[] = ["v1"];
    const groups = await api.get("/apis");
    for (const group of groups.groups ?? []) groupVersions.push(group.preferredVersion.groupVersion);
    const kinds: ApiKind[] = [];
    for (const groupVersion of groupVersions) {
        const list = await api.get(groupVersion === "v1" ? "/api/v1" : `/apis/${groupVersion}`);
        for (const r of list.resources ?? []) {
            if (r.name.includes("/") || !(r.verbs ?? []).includes("list")) continue;
            kinds.push({ groupVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced });
        }
    }
    return kinds;
}

/** An object's identity, as the leftover check compares them: "apps/v1 Deployment ns/name". */
export type ObjectKey = string;

/** Objects that come and go by themselves (leases, events) and say nothing about the lab. */
export const VOLATILE = /^(coordination\.k8s\.io\/v1 Lease|v1 Event|events\.k8s\.io\/v1 Event) /;

/** Every object the API server holds but the volatile ones: what a clean teardown is compared with. */
export async function lastingObjects(api: Api): Promise<ObjectKey[]> {
    return (await allObjects(api)).filter((o) => !VOLATILE.test(o));
}

/** Every object the API server holds, of every listable kind. */
export async function allObjects(api: Api): Promise<ObjectKey[]> {
    return [...(await objectVersions(api)).keys()].sort();
}

/** Every object the API server holds, with its resourceVersion: what changed between two calls, and what did not. */
export async function objectVersions(api: Api): Promise<Map<ObjectKey, string>> {
    const versions = new Map<ObjectKey, string>();
    for (const k of await listableKinds(api)) {
        const base = k.groupVersion === "v1" ? "/api/v1" : `/apis/${k.groupVersion}`;
        const list = await api.get(`${base}/${k.resource}`);
        for (const item of list.items ?? []) {
            const ns = item.metadata?.namespace;
            versions.set(`${k.groupVersion} ${k.kind} ${ns ? `${ns}/` : ""}${item.metadata?.name}`, String(item.metadata?.resourceVersion));
        }
    }
    return versions;
}

/** Where the binaries are. */
export interface ControlPlaneBinaries {
    etcd: string;
    kubeApiserver: string;
    kubeControllerManager: string;
    kubeScheduler: string;
    kwok: string;
    /** kwok's stage files (node and pod lifecycles), from its module. */
    kwokStages: string[];
}

interface Managed {
    name: string;
    args: string[];
    binary: string;
    process?: ChildProcess;
}

/** The fake nodes, and how big each one says it is. */
const NODES = ["kwok-node-0", "kwok-node-1", "kwok-node-2"];

/**
 * etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, each a child process logging
 * into `dir/logs`. `stop()` ends them all; `stopApiserver()`/`startApiserver()` simulate an outage.
 */
export class ControlPlane {
    readonly kubeconfig: string;
    readonly api: Api;
    private readonly processes: Managed[] = [];
    private readonly logs: string;

    private constructor(
        readonly dir: string,
        readonly server: string,
        private readonly token: string,
    ) {
        this.kubeconfig = path.join(dir, "kubeconfig");
        this.logs = path.join(dir, "logs");
        this.api = new Api(server, token, () => fs.readFileSync(path.join(dir, "pki", "apiserver.crt")));
    }

    /** Starts the control plane in `dir` (created) and waits until nodes are Ready. */
    static async start(dir: string, bin: ControlPlaneBinaries): Promise<ControlPlane> {
        const pki = path.join(dir, "pki");
        fs.mkdirSync(pki, { recursive: true });
        fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
        const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort, kwokPort] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
        const token = randomBytes(24).toString("hex");
        fs.writeFileSync(path.join(pki, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });
        const { privateKey, publicKey } = generateKeyPairSync("rsa", {
            modulusLength: 2048,
            publicKeyEncoding: { type: "spki", format: "pem" },
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
        });
        fs.writeFileSync(path.join(pki, "sa.key"), privateKey, { mode: 0o600 });
        fs.writeFileSync(path.join(pki, "sa.pub"), publicKey);
        const server = `https://127.0.0.1:${apiPort}`;
        const plane = new ControlPlane(dir, server, token);
        fs.writeFileSync(plane.kubeconfig, plane.kubeconfigText(), { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "kwok-stages.yaml"), bin.kwokStages.map((f) => fs.readFileSync(f, "utf8").trim()).join("\n---\n") + "\n");

        plane.processes.push(
            {
                name: "etcd",
                binary: bin.etcd,
                args: [
                    `--data-dir=${path.join(dir, "etcd")}`,
                    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
                    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
                    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
                    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
                    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
                    "--quota-backend-bytes=2147483648",
                    "--log-level=warn",
                ],
            },
            {
                name: "kube-apiserver",
                binary: bin.kubeApiserver,
                args: [
                    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    `--secure-port=${apiPort}`,
                    `--cert-dir=${pki}`,
                    `--token-auth-file=${path.join(pki, "tokens.csv")}`,
                    "--authorization-mode=Node,RBAC",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
                    `--service-account-key-file=${path.join(pki, "sa.pub")}`,
                    "--service-cluster-ip-range=10.96.0.0/16",
                    "--allow-privileged=true",
                    // The kubernetes Service's endpoints would be 127.0.0.1, which Endpoints refuse.
                    "--endpoint-reconciler-type=none",
                ],
            },
            {
                name: "kube-controller-manager",
                binary: bin.kubeControllerManager,
                args: [
                    `--kubeconfig=${plane.kubeconfig}`,
                    "--leader-elect=false",
                    "--bind-address=127.0.0.1",
                    `--secure-port=${kcmPort}`,
                    `--service-account-private-key-file=${path.join(pki, "sa.key")}`,
                    `--root-ca-file=${path.join(pki, "apiserver.crt")}`,
                    "--controllers=*",
                    // The outage test stops the API server for 20 s. Nodes cannot renew their Leases then, and the node
                    // lifecycle controller marks a node Unknown and its pods not Ready once it has seen no renewal for the
                    // grace period (kubernetes v1.34.4 pkg/controller/nodelifecycle/node_lifecycle_controller.go:925 and
                    // :746, MarkPodsNotReady; 50 s by default, config/v1alpha1/defaults.go:46). After the restart it can
                    // take a while to see renewals again, so 20 s of outage crossed that line in one CI run. A kubelet
                    // would report its pods Ready again; kwok does not, since its pod-ready stage only moves Pending pods
                    // (kwok v0.8.0 kustomize/stage/pod/fast/pod-ready.yaml), so those pods stayed not Ready for good.
                    "--node-monitor-grace-period=10m",
                ],
            },
            {
                name: "kube-scheduler",
                binary: bin.kubeScheduler,
                args: [`--kubeconfig=${plane.kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", `--secure-port=${schedulerPort}`],
            },
            {
                name: "kwok",
                binary: bin.kwok,
                args: [
                    `--kubeconfig=${plane.kubeconfig}`,
                    "--manage-all-nodes=true",
                    `--config=${path.join(dir, "kwok-stages.yaml")}`,
                    "--cidr=10.244.0.0/16",
                    // The heartbeat-with-lease stage patches a node's status every ten minutes only: kwok's
                    // lease controller must renew the nodes' Leases, or the node lifecycle controller marks
                    // the nodes, and so every pod, not ready after its grace period.
                    "--node-lease-duration-seconds=40",
                    `--server-address=127.0.0.1:${kwokPort}`,
                ],
            },
        );
        const [etcd, apiserver, ...rest] = plane.processes;
        plane.launch(etcd);
        plane.launch(apiserver);
        await plane.waitHealthy();
        for (const p of rest) plane.launch(p);
        for (const name of NODES) await plane.api.create("/api/v1/nodes", fakeNode(name));
        await waitFor("the fake nodes to be Ready", async () => {
            const nodes = await plane.api.get("/api/v1/nodes");
            return nodes.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")).length === NODES.length;
        });
        await waitFor(
            "the default ServiceAccount",
            async () => (await plane.api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
        );
        return plane;
    }

    private kubeconfigText(): string {
        return stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "e2e", cluster: { server: this.server, "certificate-authority": path.join(this.dir, "pki", "apiserver.crt") } }],
            users: [{ name: "e2e-admin", user: { token: this.token } }],
            contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e-admin" } }],
            "current-context": "e2e",
        });
    }

    private launch(p: Managed): void {
        const log = fs.openSync(path.join(this.logs, `${p.name}.log`), "a");
        p.process = spawn(p.binary, p.args, { stdio: ["ignore", log, log] });
        fs.closeSync(log);
        p.process.on("exit", (code, signal) => {
            if (p.process && !p.process.killed && code !== 0)
                process.stderr.write(`e2e: ${p.name} exited (${signal ?? code}); see ${path.join(this.logs, `${p.name}.log`)}\n`);
        });
    }

    private async waitHealthy(): Promise<void> {
        await waitFor(
            "kube-apiserver to be ready",
            async () => fs.existsSync(path.join(this.dir, "pki", "apiserver.crt")) && (await this.api.request("GET", "/readyz")).status === 200,
            120_000,
        );
    }

    private find(name: string): Managed {
        return this.processes.find((p) => p.name === name)!;
    }

    /** Kills the API server (SIGKILL, an outage rather than a shutdown). */
    async stopApiserver(): Promise<void> {
        await kill(this.find("kube-apiserver"), "SIGKILL");
    }

    async startApiserver(): Promise<void> {
        this.launch(this.find("kube-apiserver"));
        await this.waitHealthy();
    }

    /** The last lines of a component's log, for a failure message. */
    logTail(name: string, lines = 20): string {
        const file = path.join(this.logs, `${name}.log`);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "";
    }

    async stop(): Promise<void> {
        for (const p of [...this.processes].reverse()) await kill(p, "SIGTERM");
    }
}

function kill(p: Managed, signal: NodeJS.Signals): Promise<void> {
    const child = p.process;
    p.process = undefined;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => (clearTimeout(force), resolve()));
        child.kill(signal);
    });
}

/** A node kwok manages: it fills in the status (Ready, addresses, allocatable) when it starts. */
function fakeNode(name: string) {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: { type: "kwok", "kubernetes.io/hostname": name },
        },
        spec: {},
    };
}

/** kwok's stage files in its module: node start and heartbeat, pod ready/complete/delete (kwokctl's "fast" set). */
export function kwokStageFiles(kwokVersion: string): string[] {
    const json = execFileSync("go", ["mod", "download", "-json", `sigs.k8s.io/kwok@v${kwokVersion}`], {
        encoding: "utf8",
        env: { ...process.env, GOTOOLCHAIN: "local" },
    });
    const dir = (JSON.parse(json) as { Dir: string }).Dir;
    return [
        "node/fast/node-initialize.yaml",
        "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
        "pod/fast/pod-ready.yaml",
        "pod/fast/pod-complete.yaml",
        "pod/fast/pod-delete.yaml",
    ].map((f) => path.join(dir, "kustomize", "stage", f));
}
