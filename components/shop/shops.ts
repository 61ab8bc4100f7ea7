/**
 * The shops a lab builds: the single shop of `boutique.namespace`, or a classroom's (`shops`), one per attendee
 * in the namespace of its name, each with its own scenario, on the one mesh. Pure functions.
 */
import { LabConfig, shopHost } from "../../config/schema";
import { Scenario, ScenarioName, resolveScenario } from "../../stacks";
import { ISTIO_NAMESPACE } from "../mesh/charts";
import { ClassroomShop } from "../routing/objects";

export interface ShopSpec {
    namespace: string;
    scenarioName: ScenarioName;
    scenario: Scenario;
    /** A classroom's shop: its name, host and isolation; absent for the single shop. */
    classroom?: ClassroomShop;
}

/**
 * The lab's shops, in the config's order. A classroom shop without a scenario of its own runs the stack's, with
 * the stack's `traffic`; one with its own scenario takes only its own `traffic`.
 */
export function labShops(config: LabConfig): ShopSpec[] {
    if (config.shops === undefined) {
        return [{ namespace: config.boutique.namespace, scenarioName: config.scenario, scenario: resolveScenario(config.scenario, config.traffic) }];
    }
    return config.shops.map((shop) => {
        const scenarioName = shop.scenario ?? config.scenario;
        const traffic = shop.traffic ?? (shop.scenario === undefined ? config.traffic : undefined);
        return {
            namespace: shop.name,
            scenarioName,
            scenario: resolveScenario(scenarioName, traffic),
            classroom: { name: shop.name, host: shopHost(shop.name, config), ingressNamespace: ISTIO_NAMESPACE },
        };
    });
}

/** The component name of a shop's parts: the Lab's own name for the single shop (its names since the first lab), `<lab>-shop-<name>` in a classroom. */
export function shopComponentName(lab: string, shop: ShopSpec): string {
    return shop.classroom ? `${lab}-shop-${shop.classroom.name}` : lab;
}

/** What an instructor hands an attendee: their shop's namespace, scenario, host, and how to open it. */
export interface ClassroomAccess {
    name: string;
    namespace: string;
    scenario: ScenarioName;
    host: string;
    /** The lab's URL with the shop's host: the shared ingress routes by host, on the lab's port. */
    url: string;
    /** The ingress's port-forward, where the lab's URL needs one; the same for every shop. */
    portForward: string;
    /** The shop's own port-forward, straight to its frontend on a local port of its own: no host name needed, but past the ingress route. */
    frontendPortForward: string;
    /** Where `frontendPortForward` serves the shop. */
    frontendUrl: string;
}

/** The lab's URL under a shop's host: what reaches the shared ingress as that shop, on the lab's port. */
export function urlOnHost(labUrl: string, host: string): URL {
    const url = new URL(labUrl);
    url.hostname = host;
    return url;
}

/** The first local port of the shops' own port-forwards (the ingress's is 8080); shop i takes this + i. */
export const SHOP_LOCAL_PORT = 8081;

/**
 * Each classroom shop's access, from the lab's URL, the ingress's port-forward, and the port-forward command of a
 * shop's frontend (namespace, local port).
 */
export function classroomAccess(
    shops: ShopSpec[],
    labUrl: string,
    portForward: string,
    frontendPortForward: (namespace: string, localPort: number) => string,
): ClassroomAccess[] {
    return shops.flatMap(({ classroom, namespace, scenarioName }, index) => {
        if (classroom === undefined) return [];
        const localPort = SHOP_LOCAL_PORT + index;
        return [
            {
                name: classroom.name,
                namespace,
                scenario: scenarioName,
                host: classroom.host,
                url: urlOnHost(labUrl, classroom.host).toString(),
                portForward,
                frontendPortForward: frontendPortForward(namespace, localPort),
                frontendUrl: `http://localhost:${localPort}/`,
            },
        ];
    });
}
