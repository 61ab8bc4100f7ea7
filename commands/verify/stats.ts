/** The statistics verify relies on, small enough to check by hand. */

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for a proportion: `successes` out of `trials`, at confidence z. Unlike the
 * normal approximation it stays inside [0, 1] and behaves at 0% and 100%.
 */
export function wilson(successes: number, trials: number, z = Z95): [number, number] {
    // No trials: 0 of 0 takes both exact bounds below, [0, 1].
    const p = successes / trials;
    const z2 = z * z;
    const centre = p + z2 / (2 * trials);
    const spread = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
    const denominator = 1 + z2 / trials;
    // At 0% and 100% the bound is exact; rounding must not lift it off 0 or 1.
    const low = successes === 0 ? 0 : Math.max(0, (centre - spread) / denominator);
    const high = successes === trials ? 1 : Math.min(1, (centre + spread) / denominator);
    return [low, high];
}

/** The q-quantile (0..1) of a list of numbers, by nearest rank: the smallest value with a share q of the list at or below it. */
export function quantile(values: number[], q: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    // The rank is ceil(q·n), 1-based; q = 0 takes the smallest value.
    return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}
