/**
 * Sends a bounded number of requests to the shop's pages and records what came back. Bounded in
 * count, concurrency and time; it stops by itself, and at once when the shop does not answer the
 * first requests at all.
 */
import * as http from "http";
import * as https from "https";
import { performance } from "perf_hooks";
import { VERIFY_SESSION_COOKIE } from "./callgraph";
import { VERSION_HEADER } from "../../components/routing/objects";
import { Sample } from "./plan";

export interface ProbeOptions {
    /** The shop's base URL, e.g. http://localhost:8080/. */
    url: string;
    /** The Host header to send instead of the URL's: a classroom's shop on the shared ingress (alice.localhost:8080). */
    host?: string;
    pages: { page: string; path: string }[];
    /** Requests per page. */
    requests: number;
    concurrency: number;
    /** Give up on one request after this long. */
    requestTimeoutMs: number;
    /** Stop sending new requests after this long; what was measured is kept. */
    deadlineMs: number;
    onProgress?: (done: number, total: number) => void;
}

/** No answer at all from the shop (refused, unreachable, timed out): not a measurement. */
export class ConnectionError extends Error {}

function get(url: URL, timeoutMs: number, agent: http.Agent, host?: string): Promise<{ status: number; version?: string }> {
    const client = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const request = client.get(
            url,
            { agent, timeout: timeoutMs, headers: { "user-agent": "boutique-mesh-verify", cookie: VERIFY_SESSION_COOKIE, ...(host ? { host } : {}) } },
            (response) => {
                response.resume();
                response.on("end", () => {
                    const header = response.headers[VERSION_HEADER];
                    resolve({ status: response.statusCode ?? 0, version: Array.isArray(header) ? header[0] : header });
                });
                response.on("error", reject);
            },
        );
        request.on("timeout", () => request.destroy(new ConnectionError(`no answer within ${timeoutMs}ms`)));
        request.on("error", (error) => reject(error instanceof ConnectionError ? error : new ConnectionError(error.message)));
    });
}

export interface ProbeResult {
    samples: Sample[];
    failures: string[];
    elapsedMs: number;
    /** No request was answered and sending stopped at the first that went unanswered. */
    unreachable: boolean;
}

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
    const base = new URL(options.url);
    // Pages take turns, so a deadline cuts every page's sample short evenly.
    const jobs = Array.from({ length: options.requests }, () => options.pages.map(({ page, path }) => ({ page, url: new URL(path, base) }))).flat();
    const agent = new (base.protocol === "https:" ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: options.concurrency });
    const samples: Sample[] = [];
    const failures: string[] = [];
    const start = performance.now();
    let next = 0;
    let done = 0;
    let unreachable = false;
    const worker = async () => {
        while (!unreachable && next < jobs.length && performance.now() - start < options.deadlineMs) {
            const job = jobs[next++];
            const begun = performance.now();
            try {
                const { status, version } = await get(job.url, options.requestTimeoutMs, agent, options.host);
                samples.push({ page: job.page, status, ms: performance.now() - begun, ...(version ? { version } : {}) });
            } catch (error) {
                failures.push(`${job.url.pathname}: ${(error as Error).message}`);
                // A shop that has answered nothing yet is not there: what is in flight ends, nothing more is sent.
                if (samples.length === 0) unreachable = true;
            }
            options.onProgress?.(++done, jobs.length);
        }
    };
    try {
        await Promise.all(Array.from({ length: Math.min(options.concurrency, jobs.length) }, worker));
    } finally {
        agent.destroy();
    }
    return { samples, failures, elapsedMs: performance.now() - start, unreachable };
}
