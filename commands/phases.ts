/**
 * The phases a first `up` goes through, as a newcomer waits for them: a line when each starts, with the
 * time since the run began, and the span of each at the end. A resource's phase is the lab component it
 * belongs to, read from its URN's type chain (`...::boutique-mesh:index:Lab$boutique-mesh:index:Mesh$...::name`).
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** Each component of the Lab, by its type's name, and the phase it stands for. */
export const PHASES: Readonly<Record<string, string>> = {
    Cluster: "cluster",
    Mirroring: "images",
    Mesh: "Istio",
    Boutique: "shop",
    Ingress: "shop",
    Addons: "addons",
    Traffic: "scenario",
};

const COMPONENT = "boutique-mesh:index:";

/** A classroom's shop (components/shop/shop.ts): each is a phase of its own, `shop <name>`. */
const SHOP = `${COMPONENT}Shop`;

/**
 * The phase of a resource, undefined for the Lab itself, the stack and providers outside the components.
 * `shops`: the names of the classroom's Shop components seen so far (`lab-shop-alice`); a resource under one
 * is in that shop's phase, found by the longest name its own starts with (its name derives from the shop's).
 */
export function phaseOf(urn: string, shops: readonly string[] = []): string | undefined {
    const [, , types = "", name = ""] = urn.split("::");
    const chain = types.split("$");
    if (chain.includes(SHOP)) {
        const shop = shops.filter((s) => name === s || name.startsWith(`${s}-`)).sort((a, b) => b.length - a.length)[0];
        return `shop ${shop === undefined ? "?" : shop.replace(/^.*?-shop-/, "")}`;
    }
    for (const type of chain) {
        const phase = type.startsWith(COMPONENT) ? PHASES[type.slice(COMPONENT.length)] : undefined;
        if (phase !== undefined) return phase;
    }
    return undefined;
}

/** Steps that change something: a no-op up has no phases to wait through. */
const WAITED = new Set(["create", "update", "replace", "create-replacement", "delete", "delete-replaced"]);

export class PhaseClock {
    private readonly origin: number;
    private readonly spans = new Map<string, { start: number; end: number }>();
    private readonly running = new Map<string, string>();
    /** The classroom's Shop components seen in this run, by name. */
    private readonly shops: string[] = [];

    constructor(
        private readonly note: (text: string) => void,
        private readonly now: () => number = Date.now,
    ) {
        this.origin = now();
    }

    private seconds(at: number): string {
        return `${Math.round((at - this.origin) / 1000)} s`;
    }

    readonly onEvent = (event: EngineEvent): void => {
        const started = event.resourcePreEvent;
        if (started && started.metadata.type === SHOP) this.shops.push(started.metadata.urn.split("::")[3] ?? "");
        if (started && !started.planning && WAITED.has(started.metadata.op)) {
            const phase = phaseOf(started.metadata.urn, this.shops);
            if (phase === undefined) return;
            const at = this.now();
            if (!this.spans.has(phase)) {
                this.spans.set(phase, { start: at, end: at });
                this.note(`[${this.seconds(at).padStart(5)}] ${phase}`);
            }
            this.running.set(started.metadata.urn, phase);
            return;
        }
        const ended = event.resOutputsEvent ?? event.resOpFailedEvent;
        const phase = ended ? this.running.get(ended.metadata.urn) : undefined;
        if (ended && phase !== undefined) {
            this.running.delete(ended.metadata.urn);
            this.spans.get(phase)!.end = this.now();
        }
    };

    /** "cluster 0-41 s, Istio 41-73 s, ...", in the order the phases started; undefined when nothing changed. */
    summary(): string | undefined {
        if (this.spans.size === 0) return undefined;
        const seconds = (at: number) => Math.round((at - this.origin) / 1000);
        return [...this.spans].map(([phase, { start, end }]) => `${phase} ${seconds(start)}-${seconds(end)} s`).join(", ");
    }
}
