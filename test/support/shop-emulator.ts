/**
 * A stand-in for the shop behind the Istio ingress, on 127.0.0.1: it answers the home and product
 * pages the way a scenario (or a broken mesh) would, drawing from a seeded generator per page so a
 * run of N requests gives the same outcomes every time.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { seededRandom } from "../../tools/verify/stats";

export interface Behaviour {
    seed?: number;
    /** Share per frontend version, in percent. */
    weights: Record<string, number>;
    /** Per page ("home", "product"): a share of requests delayed, aborted, or every request slow. */
    pages?: Partial<
        Record<"home" | "product", { delay?: { p: number; ms: number }; abort?: { p: number; status: number }; slow?: { ms: number; status: number } }>
    >;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startShop(behaviour: Behaviour): Promise<{ url: string; close: () => Promise<void> }> {
    const random = { home: seededRandom(behaviour.seed ?? 1), product: seededRandom((behaviour.seed ?? 1) + 1) };
    const versions = Object.entries(behaviour.weights);
    const server = http.createServer(async (request, response) => {
        const page = request.url === "/" ? "home" : request.url?.startsWith("/product/") ? "product" : undefined;
        if (page === undefined) {
            response.writeHead(404).end();
            return;
        }
        const draw = random[page];
        const [versionDraw, delayDraw, abortDraw] = [draw(), draw(), draw()];
        let cumulative = 0;
        const version = versions.find(([, w]) => versionDraw * 100 < (cumulative += w))?.[0] ?? versions[versions.length - 1][0];
        const rules = behaviour.pages?.[page] ?? {};
        let status = 200;
        if (rules.delay && delayDraw < rules.delay.p) await sleep(rules.delay.ms);
        if (rules.abort && abortDraw < rules.abort.p) status = rules.abort.status;
        if (rules.slow) {
            await sleep(rules.slow.ms);
            status = rules.slow.status;
        }
        response
            .writeHead(status, { "content-type": "text/html", "x-boutique-version": version })
            .end(status === 200 ? "<html>shop</html>" : "<html>error</html>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/`,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
