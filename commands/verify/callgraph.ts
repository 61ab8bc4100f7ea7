/**
 * Which backend calls each page of the shop makes, in order, per frontend code generation: read from
 * GoogleCloudPlatform/microservices-demo (the frontend's handlers.go and rpc.go, recommendationservice's
 * recommendation_server.py) at the tag named in each fact's `source`. A step of a page handler either
 * ends the page with the frontend's error page (HTTP 500) when one of its calls fails (`fatal`) or logs
 * the failure and renders the page anyway; either way it stops at its first failed call.
 */
import { BoutiqueRelease, FRONTEND_V1_IMAGE } from "../../catalog/boutique";

/** Where a fact was read: a file of GoogleCloudPlatform/microservices-demo at a tag, and its function. */
export interface Source {
    tag: string;
    file: string;
    func: string;
}

/** One gRPC call, as the caller makes it. */
export interface Call {
    /** The catalog service called. */
    service: string;
    method: string;
    /** Made this many times in a row, each like the first. */
    times: number;
    /** The caller's own deadline on each call (context.WithTimeout), in ms. */
    deadlineMs?: number;
    /** Calls the callee makes while serving this one, in order; the first that fails fails this call. */
    nested?: readonly Call[];
    source: Source;
}

/** One step of a page handler: a frontend function and the calls it makes. */
export interface Step {
    /** The frontend function, e.g. getRecommendations. */
    name: string;
    /** A failed call ends the page with HTTP 500; otherwise the handler logs it and goes on. */
    fatal: boolean;
    /** In order; the step stops at its first failed call. */
    calls: readonly Call[];
    source: Source;
}

export interface ShopPage {
    path: string;
    steps: readonly Step[];
    /** The handler, whose order of steps this is. */
    source: Source;
}

export const SHOP_PAGE_NAMES = ["home", "product", "cart"] as const;
export type PageName = (typeof SHOP_PAGE_NAMES)[number];

/**
 * A frontend code generation: `v0.10` is the frontend of release v0.10.6, in which a failed
 * recommendation is only logged; `v0.2` is the frontend of the v0.2.x releases, in which it fails the
 * product and cart pages (upstream made recommendations optional in "Make recommendation service
 * optional (#1332)", first tagged in v0.5.0).
 */
export type FrontendCode = "v0.10" | "v0.2";

/**
 * The session cookie verify sends: the frontend takes its value as the session id (ensureSessionID in
 * src/frontend/middleware.go; without it, it mints a new session per request), and cartservice answers
 * an id it never stored with an empty cart (RedisCartStore.GetCartAsync, src/cartservice, v0.10.6).
 */
export const VERIFY_SESSION_COOKIE = "shop_session-id=boutique-mesh-verify";

/** A product of the release's catalog (products.json), for the product page. */
export const SAMPLE_PRODUCT = "OLJCESPC7Z";

const RELEASE = "v0.10.6";
const at = (tag: string, file: string, func: string): Source => ({ tag, file, func });

/**
 * Facts of the backends the lab runs (release v0.10.6), whichever frontend calls them:
 * src/productcatalogservice/products.json lists 9 products; ListRecommendations returns
 * min(5, products not in the request), 5 for a product page (8 left) and for an empty cart.
 */
const PRODUCTS = 9;
const RECOMMENDED = 5;
const LIST_PRODUCTS_FOR_RECOMMENDATIONS: Call = {
    service: "productcatalogservice",
    method: "ListProducts",
    times: 1,
    source: at(RELEASE, "src/recommendationservice/recommendation_server.py", "RecommendationService.ListRecommendations"),
};

/** The call graph of one frontend generation, read at `tag`. */
function frontendPages(tag: string, recommendationsFatal: boolean): Record<PageName, ShopPage> {
    const handlers = (func: string) => at(tag, "src/frontend/handlers.go", func);
    const rpc = (func: string) => at(tag, "src/frontend/rpc.go", func);
    const step = (name: string, fatal: boolean, calls: Call[], source = rpc(name)): Step => ({ name, fatal, calls, source });
    const call = (service: string, method: string, source: Source, times = 1): Call => ({ service, method, times, source });

    const currencies = step("getCurrencies", true, [call("currencyservice", "GetSupportedCurrencies", rpc("getCurrencies"))]);
    const cart = step("getCart", true, [call("cartservice", "GetCart", rpc("getCart"))]);
    // getAd wraps its call in context.WithTimeout(ctx, 100ms); chooseAd only logs a failure.
    const ad = step("chooseAd", false, [{ ...call("adservice", "GetAds", rpc("getAd")), deadlineMs: 100 }], handlers("chooseAd"));
    // ListRecommendations (for which recommendationservice lists the catalog), then GetProduct for each
    // returned id, returning at the first error.
    const recommendations = step("getRecommendations", recommendationsFatal, [
        { ...call("recommendationservice", "ListRecommendations", rpc("getRecommendations")), nested: [LIST_PRODUCTS_FOR_RECOMMENDATIONS] },
        call("productcatalogservice", "GetProduct", rpc("getRecommendations"), RECOMMENDED),
    ]);
    const convert = (times: number) => step("convertCurrency", true, [call("currencyservice", "Convert", rpc("convertCurrency"), times)]);

    return {
        // currencies, the product list, the cart, one conversion per product, an ad.
        home: {
            path: "/",
            source: handlers("homeHandler"),
            steps: [currencies, step("getProducts", true, [call("productcatalogservice", "ListProducts", rpc("getProducts"))]), cart, convert(PRODUCTS), ad],
        },
        // the product, currencies, the cart, one conversion, recommendations, an ad.
        product: {
            path: `/product/${SAMPLE_PRODUCT}`,
            source: handlers("productHandler"),
            steps: [
                step("getProduct", true, [call("productcatalogservice", "GetProduct", rpc("getProduct"))]),
                currencies,
                cart,
                convert(1),
                recommendations,
                ad,
            ],
        },
        // currencies, the cart, recommendations, the shipping quote (GetQuote, then a conversion); then a
        // GetProduct and a conversion per cart item, none for verify's session, whose cart is empty.
        cart: {
            path: "/cart",
            source: handlers("viewCartHandler"),
            steps: [
                currencies,
                cart,
                recommendations,
                step("getShippingQuote", true, [
                    call("shippingservice", "GetQuote", rpc("getShippingQuote")),
                    call("currencyservice", "Convert", rpc("getShippingQuote")),
                ]),
            ],
        },
    };
}

/** The pages of each frontend generation. */
export const CALL_GRAPHS: Readonly<Record<FrontendCode, Readonly<Record<PageName, ShopPage>>>> = {
    "v0.10": frontendPages(RELEASE, false),
    "v0.2": frontendPages("v0.2.1", true),
};

/** The frontend code each release's own frontend runs: the `original` version. */
export const RELEASE_FRONTEND_CODE: Readonly<Record<BoutiqueRelease, FrontendCode>> = { "v0.10.6": "v0.10" };

/**
 * Frontend images from outside the release whose code is known. The Tetrate image is a GUESS: its
 * source was not found (tetratelabs/microservices-demo publishes to Docker Hub, not to this name); the
 * published lab text that deploys it runs it next to frontend v0.2.1 and says only that it uses a
 * different header, so it is taken to be v0.2.x code. Upstream v0.2.0 to
 * v0.2.4 and that fork's src/frontend (master) all fail the product and cart pages on a failed
 * recommendation and give getAd a 100 ms deadline.
 */
export const IMAGE_FRONTEND_CODE: Readonly<Record<string, FrontendCode>> = { [FRONTEND_V1_IMAGE]: "v0.2" };

/** The code a routed frontend version runs: the release's own for `original`, else by image; undefined when unknown. */
export function frontendCode(release: BoutiqueRelease, image: string | undefined): FrontendCode | undefined {
    return image === undefined ? RELEASE_FRONTEND_CODE[release] : IMAGE_FRONTEND_CODE[image];
}

/** Services only POST /cart/checkout reaches (placeOrderHandler calls checkoutservice, which calls the others). */
export const CHECKOUT_ONLY: readonly string[] = ["checkoutservice", "paymentservice", "emailservice"];

/** Every call of a page, nested ones included, flattened with whether its failure fails the page. */
export function pageCalls(page: ShopPage): { call: Call; fatal: boolean }[] {
    const flatten = (call: Call, fatal: boolean): { call: Call; fatal: boolean }[] => [
        { call, fatal },
        ...(call.nested ?? []).flatMap((n) => flatten(n, fatal)),
    ];
    return page.steps.flatMap((s) => s.calls.flatMap((c) => flatten(c, s.fatal)));
}

/** How many calls to the service the page makes when nothing fails, and how many of them can fail it. */
export function callsTo(page: ShopPage, service: string): { calls: number; fatal: number } {
    const mine = pageCalls(page).filter(({ call }) => call.service === service);
    return {
        calls: mine.reduce((n, { call }) => n + call.times, 0),
        fatal: mine.filter((c) => c.fatal).reduce((n, { call }) => n + call.times, 0),
    };
}
