/**
 * Durations as Go writes them ("6s", "1500ms", "1m30s"): what productcatalogservice's EXTRA_LATENCY
 * accepts (time.ParseDuration) and what Istio's CRDs validate (CEL duration()). Signs are refused:
 * neither a negative delay nor a negative timeout means anything here.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds in a Go duration, or undefined when Go would not parse it (or it has a sign). */
export function durationMs(text: string): number | undefined {
    if (text === "0") return 0;
    if (text.length === 0) return undefined;
    let total = 0;
    PART.lastIndex = 0;
    while (PART.lastIndex < text.length) {
        // Sticky: a part must start where the previous one ended.
        const match = PART.exec(text);
        if (match === null) return undefined;
        total += Number(match[1]) * UNIT_MS[match[2]];
    }
    return total;
}

/**
 * The duration in the protobuf form Istio's own examples use: seconds with an "s" suffix
 * ("2s", "0.5s"), which both Istio's CRD validation and its JSON decoding accept.
 */
export function istioDuration(text: string): string {
    const ms = durationMs(text);
    if (ms === undefined) throw new Error(`not a duration: ${text}`);
    return `${Number((ms / 1000).toFixed(6))}s`;
}

export const DURATION_HELP = "must be a duration such as 5s, 1500ms or 1m30s (a number and a unit: ns, us, ms, s, m, h; no sign)";
