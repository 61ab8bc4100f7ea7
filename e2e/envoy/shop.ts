/**
 * The shop behind a real Envoy, on loopback. The frontends run the emulator's pages
 * (test/support/shop-emulator.ts: each page's calls in upstream order), but every backend call is a gRPC
 * call over HTTP/2 through Envoy's sidecar listener, and the backends are gRPC servers that only answer,
 * after the latency their Deployment gives them (productcatalogservice's EXTRA_LATENCY sleeps in
 * ListProducts and GetProduct: GoogleCloudPlatform/microservices-demo src/productcatalogservice). Faults,
 * timeouts and retries happen in Envoy alone, and the version header comes from the ingress route alone.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as http2 from "http2";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { Backends, CallFailed, FrontendCodeName, PAGE_HANDLERS, pageOf } from "../../test/support/shop-emulator";
import { LISTENERS, bootstrap } from "./bootstrap";
import { ServicePort, Translation, clusterName } from "./istiod";
import { FRONTEND } from "../../catalog/boutique";
import { FRONTEND_VERSIONS } from "../../stacks";

/** gRPC status codes by number, as Go's grpc prints them in an error. */
const CODES = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

/** What a gRPC client got back: the status code and message (from trailers, or a trailers-only response). */
export interface CallResult {
    code: number;
    message: string;
    ms: number;
}

/** One unary call with an empty message; a deadline sends grpc-timeout and cancels the call when it passes, as Go's client does. */
function grpcCall(session: http2.ClientHttp2Session, authority: string, method: string, deadlineMs?: number): Promise<CallResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        let code: number | undefined;
        let message = "";
        let timer: NodeJS.Timeout | undefined;
        const done = (c: number, m: string) => {
            clearTimeout(timer);
            resolve({ code: c, message: m, ms: Date.now() - started });
        };
        const read = (headers: http2.IncomingHttpHeaders) => {
            if (headers["grpc-status"] !== undefined) {
                code = Number(headers["grpc-status"]);
                message = decodeURIComponent(String(headers["grpc-message"] ?? ""));
            } else if (headers[":status"] !== undefined && Number(headers[":status"]) !== 200) {
                code = 2;
                message = `HTTP ${Number(headers[":status"])}`;
            }
        };
        const stream = session.request({
            ":method": "POST",
            ":path": method,
            ":authority": authority,
            "content-type": "application/grpc",
            te: "trailers",
            ...(deadlineMs !== undefined ? { "grpc-timeout": `${deadlineMs}m` } : {}),
        });
        if (deadlineMs !== undefined) {
            timer = setTimeout(() => {
                stream.close(http2.constants.NGHTTP2_CANCEL);
                done(4, "context deadline exceeded");
            }, deadlineMs);
        }
        stream.on("response", read);
        stream.on("trailers", read);
        stream.on("data", () => undefined);
        stream.on("error", (error: Error) => done(14, error.message));
        stream.on("close", () => done(code ?? 14, code === undefined ? "stream closed without a status" : message));
        stream.end(EMPTY_MESSAGE);
    });
}

/** The gRPC method each backend call names (hipstershop's services), and the service it goes to. */
const METHODS: Record<keyof Backends, [service: string, method: string]> = {
    currencies: ["currencyservice", "/hipstershop.CurrencyService/GetSupportedCurrencies"],
    convert: ["currencyservice", "/hipstershop.CurrencyService/Convert"],
    listProducts: ["productcatalogservice", "/hipstershop.ProductCatalogService/ListProducts"],
    getProduct: ["productcatalogservice", "/hipstershop.ProductCatalogService/GetProduct"],
    getCart: ["cartservice", "/hipstershop.CartService/GetCart"],
    getQuote: ["shippingservice", "/hipstershop.ShippingService/GetQuote"],
    listRecommendations: ["recommendationservice", "/hipstershop.RecommendationService/ListRecommendations"],
    getAds: ["adservice", "/hipstershop.AdService/GetAds"],
};
/** The frontend's deadline on GetAds (upstream src/frontend/rpc.go: 100 ms). */
const AD_DEADLINE_MS = 100;

/** How the shop's stand-ins reach a Service through the sidecar listener (its port known once Envoy listens). */
class Mesh {
    private session?: http2.ClientHttp2Session;
    sidecarPort = 0;
    constructor(private readonly ports: ServicePort[]) {}
    authority(service: string): string {
        const port = this.ports.find((p) => p.host.startsWith(`${service}.`));
        if (!port) throw new Error(`the shop has no Service ${service}`);
        return `${port.host}:${port.port}`;
    }
    call(service: string, method: string, deadlineMs?: number): Promise<CallResult> {
        if (!this.session || this.session.closed || this.session.destroyed) {
            this.session = http2.connect(`http://127.0.0.1:${this.sidecarPort}`);
            this.session.on("error", () => undefined);
        }
        return grpcCall(this.session, this.authority(service), method, deadlineMs);
    }
    close(): void {
        this.session?.destroy();
    }
}

async function listen(server: http.Server | http2.Http2Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
}

/** A backend: answers every call after its latency; recommendationservice lists the catalog first, failing when that fails. */
function backend(service: string, latencyMs: number, mesh: Mesh, counted: (service: string) => void): http2.Http2Server {
    const server = http2.createServer();
    server.on("stream", (stream) => {
        counted(service);
        stream.on("error", () => undefined);
        stream.on("data", () => undefined);
        void (async () => {
            let status = { code: 0, message: "" };
            if (service === "recommendationservice") {
                const catalog = await mesh.call("productcatalogservice", METHODS.listProducts[1]);
                if (catalog.code !== 0) status = { code: 2, message: `listing the catalog: ${catalog.message}` };
            }
            if (latencyMs > 0) await sleep(latencyMs);
            if (stream.closed || stream.destroyed) return;
            stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
            stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(status.code), "grpc-message": encodeURIComponent(status.message) }));
            stream.end(status.code === 0 ? EMPTY_MESSAGE : undefined);
        })();
    });
    return server;
}

/** A frontend version: the emulator's pages, each backend call a gRPC call through the sidecar. */
function frontend(code: FrontendCodeName, mesh: Mesh): http.Server {
    const backends = Object.fromEntries(
        (Object.keys(METHODS) as (keyof Backends)[]).map((name) => [
            name,
            async () => {
                const [service, method] = METHODS[name];
                const result = await mesh.call(service, method, name === "getAds" ? AD_DEADLINE_MS : undefined);
                if (result.code !== 0) throw new CallFailed(`rpc error: code = ${CODES[result.code] ?? result.code} desc = ${result.message}`);
            },
        ]),
    ) as unknown as Backends;
    return http.createServer((request, response) => {
        const page = pageOf(request.url ?? "");
        if (page === undefined) return void response.writeHead(404).end();
        PAGE_HANDLERS[page](backends, code).then(
            () => response.writeHead(200, { "content-type": "text/html" }).end("<html>shop</html>"),
            (error: Error) => response.writeHead(500, { "content-type": "text/html" }).end(`<html>${error.message}</html>`),
        );
    });
}

export interface ShopOptions {
    translation: Translation;
    ports: ServicePort[];
    /** Each Service's own latency, in ms (from its Deployment). */
    latencyMs: Record<string, number>;
    /** The frontend code each subset of the frontend runs. */
    codes: Record<string, FrontendCodeName>;
    envoy: string;
}

export interface EnvoyShop {
    url: string;
    /** Calls each backend received (tries included). */
    calls: () => Record<string, number>;
    /** A client of the sidecar listener, for calls the specs make themselves. */
    call: (service: string, method: string) => Promise<CallResult>;
    /** Envoy's counters whose names contain `filter` (admin /stats). */
    stats: (filter: string) => Promise<Record<string, number>>;
    close: () => Promise<void>;
}

/** Waits until Envoy serves; then the admin's address (the file it writes) and each listener's port. */
async function waitReady(envoy: ChildProcess, addressFile: string, logFile: string): Promise<{ admin: string; listeners: Record<string, number> }> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        if (envoy.exitCode !== null) throw new Error(`envoy exited with ${envoy.exitCode}:\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
        const admin = fs.existsSync(addressFile) ? fs.readFileSync(addressFile, "utf8").trim() : "";
        const ready =
            admin !== "" &&
            (await fetch(`http://${admin}/ready`).then(
                (r) => r.ok,
                () => false,
            ));
        if (ready) {
            const { listener_statuses } = (await (await fetch(`http://${admin}/listeners?format=json`)).json()) as {
                listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[];
            };
            return { admin, listeners: Object.fromEntries(listener_statuses.map((l) => [l.name, l.local_address.socket_address.port_value])) };
        }
        await sleep(100);
    }
    throw new Error(`envoy was not ready after 30s:\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
}

/**
 * The frontend version a cluster's endpoints run, or undefined for a backend: a subset of Service `frontend`
 * (Istio's API), or the Service of one version, `frontend-<version>` (the Gateway API: versionServiceName).
 */
function frontendVersion(host: string, subset: string): string | undefined {
    const service = host.split(".")[0];
    if (service === FRONTEND) return subset || "original";
    const version = service.startsWith(`${FRONTEND}-`) ? service.slice(FRONTEND.length + 1) : "";
    return version in FRONTEND_VERSIONS ? version : undefined;
}

/** Starts the stand-ins and an Envoy serving the translation in front of them. */
export async function startEnvoyShop(options: ShopOptions): Promise<EnvoyShop> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-envoy-"));
    const mesh = new Mesh(options.ports);
    const calls: Record<string, number> = {};
    const servers: (http.Server | http2.Http2Server)[] = [];
    const endpoints: Record<string, number> = {};
    for (const p of options.ports) {
        const service = p.host.split(".")[0];
        if (frontendVersion(p.host, "") !== undefined) continue;
        const server = backend(service, options.latencyMs[service] ?? 0, mesh, (s) => (calls[s] = (calls[s] ?? 0) + 1));
        servers.push(server);
        endpoints[clusterName(p.host, p.port)] = await listen(server);
    }
    for (const c of options.translation.clusters) {
        const version = frontendVersion(c.host, c.subset);
        if (version === undefined) continue;
        const code = options.codes[version];
        if (!code) throw new Error(`no frontend code for version ${version} (${c.name})`);
        const server = frontend(code, mesh);
        servers.push(server);
        endpoints[c.name] = await listen(server);
    }
    const config = path.join(dir, "envoy.json");
    fs.writeFileSync(config, JSON.stringify(bootstrap(options.translation, endpoints), null, 2));
    const [logFile, addressFile] = [path.join(dir, "envoy.log"), path.join(dir, "admin-address")];
    const log = fs.openSync(logFile, "w");
    // Errors only: Istio's max_grpc_timeout is deprecated in Envoy, which warns on every route that has it.
    const args = ["-c", config, "--admin-address-path", addressFile, "--concurrency", "1", "--disable-hot-restart", "--log-level", "error"];
    const envoy = spawn(options.envoy, args, { stdio: ["ignore", log, log] });
    const { admin, listeners } = await waitReady(envoy, addressFile, logFile);
    if (LISTENERS.some((l) => listeners[l] === undefined)) throw new Error(`envoy did not report every listener: ${JSON.stringify(listeners)}`);
    mesh.sidecarPort = listeners.sidecar;
    return {
        url: `http://127.0.0.1:${listeners.ingress}/`,
        calls: () => ({ ...calls }),
        call: (service, method) => mesh.call(service, method),
        stats: async (filter) => {
            const text = await (await fetch(`http://${admin}/stats?filter=${encodeURIComponent(filter)}`)).text();
            return Object.fromEntries(
                text.split("\n").flatMap((line) => {
                    const counter = /^(\S+): (\d+)$/.exec(line);
                    return counter ? [[counter[1], Number(counter[2])]] : [];
                }),
            );
        },
        close: async () => {
            mesh.close();
            envoy.kill("SIGTERM");
            await new Promise((resolve) => (envoy.exitCode !== null ? resolve(undefined) : envoy.once("exit", resolve)));
            fs.closeSync(log);
            for (const server of servers) {
                if ("closeAllConnections" in server) server.closeAllConnections();
                await new Promise((resolve) => server.close(resolve));
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
