/**
 * Which backend calls one page of the shop makes, read from the upstream frontend (v0.10.6,
 * src/frontend/handlers.go and rpc.go) and recommendationservice. `fatal`: a failed call turns the
 * page into the frontend's error page (HTTP 500); a non-fatal one is logged and the page renders.
 */

export interface PageCalls {
    /** Calls to the service while rendering the page, counting calls made on the page's behalf. */
    calls: number;
    fatal: boolean;
}

export interface ShopPage {
    path: string;
    /** Per catalog service the page reaches. */
    calls: Readonly<Record<string, PageCalls>>;
}

/** A product of the release's catalog (products.json), for the product page. */
export const SAMPLE_PRODUCT = "OLJCESPC7Z";

export const SHOP_PAGES: Readonly<Record<string, ShopPage>> = {
    // homeHandler: currencies, ListProducts, cart, one conversion per product (9), an ad.
    home: {
        path: "/",
        calls: {
            frontend: { calls: 1, fatal: true },
            currencyservice: { calls: 10, fatal: true },
            productcatalogservice: { calls: 1, fatal: true },
            cartservice: { calls: 1, fatal: true },
            adservice: { calls: 1, fatal: false },
        },
    },
    // productHandler: GetProduct, currencies, cart, one conversion, recommendations (whose errors are
    // only logged), an ad. recommendationservice calls ListProducts once and returns 5 ids, and the
    // frontend looks each up with GetProduct: 1 + 1 + 5 productcatalogservice calls.
    product: {
        path: `/product/${SAMPLE_PRODUCT}`,
        calls: {
            frontend: { calls: 1, fatal: true },
            productcatalogservice: { calls: 7, fatal: true },
            currencyservice: { calls: 2, fatal: true },
            cartservice: { calls: 1, fatal: true },
            recommendationservice: { calls: 1, fatal: false },
            adservice: { calls: 1, fatal: false },
        },
    },
};

/**
 * The page that shows a fault on a service most plainly: the fewest calls to it (so a per-request
 * percentage maps onto pages simply), and, when errors must show, one where its failure is fatal.
 */
export function probePage(service: string, needFatal: boolean): { page: string; calls: number } | undefined {
    const candidates = Object.entries(SHOP_PAGES)
        .map(([page, { calls }]) => ({ page, ...calls[service] }))
        .filter((c) => c.calls !== undefined && (!needFatal || c.fatal))
        .sort((a, b) => a.calls - b.calls);
    return candidates[0] && { page: candidates[0].page, calls: candidates[0].calls };
}
