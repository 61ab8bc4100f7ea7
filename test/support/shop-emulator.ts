/**
 * A stand-in for the shop behind the Istio ingress, on 127.0.0.1. Its frontend is a small restatement,
 * written for the tests, of the upstream handlers (GoogleCloudPlatform/microservices-demo,
 * src/frontend/handlers.go and rpc.go at v0.10.6 and v0.2.1): each page makes its backend calls in
 * upstream order, and the emulated backends apply faults per call, the way Istio's sidecars would.
 * Deliberately independent of commands/verify/callgraph.ts, which the tests check against it.
 *
 * The n-th request to a page takes its i-th draw from a Kronecker sequence, frac(offset_i + n * alpha_i)
 * with alpha_i the fractional part of the square root of the i-th prime and offset_i from the seed: N
 * requests give the same outcomes every run, whatever order concurrent requests arrive in, and each
 * draw's share below p stays within a request or two of p * N, as if the sample were exactly typical.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { seededRandom } from "./random";

/** What the mesh does to each call to one backend. */
export interface BackendFault {
    /** A share p of calls delayed by ms before they leave (Istio's fault delay). */
    delay?: { p: number; ms: number };
    /** A share p of calls fail at once (Istio's fault abort). */
    abort?: { p: number };
    /** Every call ends after ms, failing or not (a slow service behind a timeout, or retries). */
    slow?: { ms: number; fails: boolean };
}

/**
 * "v0.10": recommendations are optional (v0.10.6); "v0.2": a failed recommendation fails the product
 * and cart pages (v0.2.1).
 */
export type FrontendCodeName = "v0.10" | "v0.2";

export interface Behaviour {
    seed?: number;
    /** Share per frontend version, in percent. */
    weights: Record<string, number>;
    /** The code each version runs; by default original runs v0.10 and every other version v0.2. */
    code?: Record<string, FrontendCodeName>;
    /** Faults per backend service, applied to every call to it. */
    backends?: Record<string, BackendFault>;
    /** Faults on the frontend's own route, before the frontend: an abort answers `status` itself. */
    frontend?: { delay?: { p: number; ms: number }; abort?: { p: number; status: number } };
    /** The frontend's deadline on GetAds (upstream: 100 ms); null for a frontend without one. */
    adDeadlineMs?: number | null;
}

export interface Shop {
    url: string;
    /** Connections and requests the shop received. */
    requests: () => number;
    /** Backend calls made, per service. */
    calls: () => Record<string, number>;
    close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A backend call that failed: the page answers 500 unless it tolerates the call. */
export class CallFailed extends Error {}

const PRIMES = Array.from({ length: 400 }, (_, n) => n + 2).filter((n, _, all) => all.every((d) => d >= n || d * d > n || n % d !== 0));
const ALPHAS = PRIMES.map((p) => Math.sqrt(p) % 1);

/** The draws of the n-th request to a page. */
function draws(offsets: number[], n: number): () => number {
    let i = 0;
    return () => {
        if (i >= ALPHAS.length) throw new Error("the emulator ran out of draws for one request");
        const u = (offsets[i] + n * ALPHAS[i]) % 1;
        i++;
        return u;
    };
}

const PRODUCTS = 9;
const RECOMMENDED = 5;

/** The backend calls a page makes, however they reach the services. */
export interface Backends {
    currencies(): Promise<void>;
    convert(): Promise<void>;
    listProducts(): Promise<void>;
    getProduct(): Promise<void>;
    getCart(): Promise<void>;
    getQuote(): Promise<void>;
    /** recommendationservice lists the catalog itself before it answers. */
    listRecommendations(): Promise<void>;
    /** Under the frontend's deadline (upstream: 100 ms). */
    getAds(): Promise<void>;
}

const recommendations = async (b: Backends) => {
    await b.listRecommendations();
    for (let i = 0; i < RECOMMENDED; i++) await b.getProduct();
};
/** v0.10 logs a failed recommendation; v0.2 fails the page. */
const tryRecommendations = async (b: Backends, code: FrontendCodeName) => {
    if (code === "v0.2") return recommendations(b);
    await recommendations(b).catch(() => undefined);
};
const ad = (b: Backends) => b.getAds().catch(() => undefined);

/** Each page's backend calls in upstream order; a call that fails fails the page unless the page tolerates it. */
export const PAGE_HANDLERS: Record<"home" | "product" | "cart", (b: Backends, code: FrontendCodeName) => Promise<void>> = {
    home: async (b) => {
        await b.currencies();
        await b.listProducts();
        await b.getCart();
        for (let i = 0; i < PRODUCTS; i++) await b.convert();
        await ad(b);
    },
    product: async (b, code) => {
        await b.getProduct();
        await b.currencies();
        await b.getCart();
        await b.convert();
        await tryRecommendations(b, code);
        await ad(b);
    },
    // The probe's session has an empty cart: no per-item calls.
    cart: async (b, code) => {
        await b.currencies();
        await b.getCart();
        await tryRecommendations(b, code);
        await b.getQuote();
        await b.convert();
    },
};

/** The page a request path asks for, undefined for any other path. */
export function pageOf(path: string): keyof typeof PAGE_HANDLERS | undefined {
    return path === "/" ? "home" : path.startsWith("/product/") ? "product" : path === "/cart" ? "cart" : undefined;
}

export async function startShop(behaviour: Behaviour): Promise<Shop> {
    const versions = Object.entries(behaviour.weights);
    const arrivals: Record<string, number> = {};
    const calls: Record<string, number> = {};
    let received = 0;
    const adDeadline = behaviour.adDeadlineMs === undefined ? 100 : behaviour.adDeadlineMs;
    const random = seededRandom(behaviour.seed ?? 1);
    const offsets = { home: ALPHAS.map(() => random()), product: ALPHAS.map(() => random()), cart: ALPHAS.map(() => random()) };

    /** One request's backends: every call draws from the request's own generator. */
    function backends(draw: () => number): Backends {
        const call = async (service: string, work: () => Promise<void> = async () => {}) => {
            calls[service] = (calls[service] ?? 0) + 1;
            const fault = behaviour.backends?.[service] ?? {};
            const [delayDraw, abortDraw] = [draw(), draw()];
            if (fault.delay && delayDraw < fault.delay.p) await sleep(fault.delay.ms);
            if (fault.abort && abortDraw < fault.abort.p) throw new CallFailed(`${service} aborted`);
            if (fault.slow) {
                await sleep(fault.slow.ms);
                if (fault.slow.fails) throw new CallFailed(`${service} timed out`);
            }
            await work();
        };
        return {
            currencies: () => call("currencyservice"),
            convert: () => call("currencyservice"),
            listProducts: () => call("productcatalogservice"),
            getProduct: () => call("productcatalogservice"),
            getCart: () => call("cartservice"),
            getQuote: () => call("shippingservice"),
            listRecommendations: () => call("recommendationservice", () => call("productcatalogservice")),
            getAds: async () => {
                const ads = call("adservice");
                if (adDeadline === null) return ads;
                ads.catch(() => undefined);
                let timer: NodeJS.Timeout | undefined;
                const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CallFailed("ads: deadline exceeded")), adDeadline)));
                try {
                    await Promise.race([ads, deadline]);
                } finally {
                    clearTimeout(timer);
                }
            },
        };
    }

    const server = http.createServer((request, response) => void respond(request, response));
    async function respond(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
        received++;
        const path = request.url ?? "";
        const page = pageOf(path);
        if (page === undefined) {
            response.writeHead(404).end();
            return;
        }
        const arrival = (arrivals[page] = (arrivals[page] ?? 0) + 1);
        const draw = draws(offsets[page], arrival);
        const [versionDraw, frontendDelayDraw, frontendAbortDraw] = [draw(), draw(), draw()];
        let cumulative = 0;
        const version = versions.find(([, w]) => versionDraw * 100 < (cumulative += w))?.[0] ?? versions[versions.length - 1][0];
        const code = behaviour.code?.[version] ?? (version === "original" ? "v0.10" : "v0.2");
        const headers = { "content-type": "text/html", "x-boutique-version": version };

        const { delay, abort } = behaviour.frontend ?? {};
        if (delay && frontendDelayDraw < delay.p) await sleep(delay.ms);
        if (abort && frontendAbortDraw < abort.p) {
            response.writeHead(abort.status, headers).end("fault filter abort");
            return;
        }
        let status = 200;
        try {
            await PAGE_HANDLERS[page](backends(draw), code);
        } catch (error) {
            if (!(error instanceof CallFailed)) throw error;
            status = 500;
        }
        response.writeHead(status, headers).end(status === 200 ? "<html>shop</html>" : "<html>error</html>");
    }
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/`,
        requests: () => received,
        calls: () => ({ ...calls }),
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
