/** Probability helpers of the specs and the shop emulator (test-only). */

/** The chance that at least one of `calls` independent calls is hit, each with probability p. */
export function atLeastOnce(p: number, calls: number): number {
    return 1 - Math.pow(1 - p, calls);
}

/** A deterministic pseudo-random generator (mulberry32) for reproducible tests. */
export function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
