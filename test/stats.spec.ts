import { strict as assert } from "assert";
import { Z95, quantile, wilson } from "../commands/verify/stats";
import { atLeastOnce, seededRandom } from "./support/random";

const round = (x: number) => Number(x.toFixed(4));

describe("stats: what verify's verdicts rest on", () => {
    it("z for 95% is the normal distribution's 97.5th percentile", () => {
        assert.equal(round(Z95), 1.96);
    });

    it("Wilson score intervals: the published values", () => {
        // 95% Wilson intervals as tabulated (e.g. Newcombe 1998, Statistics in Medicine 17:857, method 3).
        assert.deepEqual(wilson(30, 100).map(round), [0.2189, 0.3958]);
        assert.deepEqual(wilson(81, 263).map(round), [0.2553, 0.3662]);
        assert.deepEqual(wilson(15, 148).map(round), [0.0624, 0.1605]);
        assert.deepEqual(wilson(1, 29).map(round), [0.0061, 0.1718]);
        assert.deepEqual(wilson(29, 29).map(round), [0.883, 1]);
    });

    it("a narrower interval for a smaller z, the default being 95%", () => {
        assert.deepEqual(wilson(30, 100), wilson(30, 100, Z95));
        // z = 1 by hand: (0.3 + 1/200 ± sqrt(0.21/100 + 1/40000)) / (1 + 1/100).
        assert.deepEqual(wilson(30, 100, 1).map(round), [0.2563, 0.3476]);
    });

    it("exactly 0 at 0% and exactly 1 at 100%, where the formula alone leaves rounding errors", () => {
        // With 0 of 3 (and 10 of 10) the floating-point formula gives 1e-17 off the bound.
        assert.equal(wilson(0, 3)[0], 0);
        assert.equal(wilson(10, 10)[1], 1);
        assert.equal(wilson(0, 200)[0], 0);
        assert.equal(wilson(200, 200)[1], 1);
        assert.ok(wilson(0, 3)[1] > 0.5 && wilson(10, 10)[0] < 0.75);
    });

    it("knows nothing without trials", () => {
        assert.deepEqual(wilson(0, 0), [0, 1]);
    });

    it("a page making k calls to a service hit with p is hit with 1-(1-p)^k", () => {
        assert.equal(atLeastOnce(0.5, 1), 0.5);
        assert.equal(atLeastOnce(0.5, 2), 0.75);
        assert.equal(atLeastOnce(0.1, 3), 1 - 0.9 * 0.9 * 0.9);
        assert.equal(atLeastOnce(0.3, 0), 0);
        assert.equal(atLeastOnce(1, 5), 1);
    });

    it("quantiles by nearest rank, of numbers not strings, without reordering the input", () => {
        const values = [100, 9, 10, 1, 20];
        assert.equal(quantile(values, 0.5), 10);
        assert.equal(quantile(values, 0), 1);
        assert.equal(quantile(values, 1), 100);
        assert.equal(quantile(values, 0.2), 1);
        assert.equal(quantile(values, 0.21), 9);
        assert.deepEqual(values, [100, 9, 10, 1, 20]);
        const twenty = Array.from({ length: 20 }, (_, i) => 20 - i);
        assert.equal(quantile(twenty, 0.95), 19);
        assert.ok(Number.isNaN(quantile([], 0.5)));
    });

    it("draws mulberry32: the reference algorithm's numbers, the same for a seed every time", () => {
        // The reference C code (Tommy Ettinger, 2017; uint32 arithmetic), its outputs divided by 2^32.
        const reference: Record<number, number[]> = {
            1: [2693262067, 11749833, 2265367787, 4213581821],
            42: [2581720956, 1925393290, 3661312704, 2876485805],
            4294967295: [3850105811, 813802916, 3073704848, 4054706436],
        };
        for (const [seed, outputs] of Object.entries(reference)) {
            const draw = seededRandom(Number(seed));
            assert.deepEqual(
                outputs.map(() => draw() * 2 ** 32),
                outputs,
                `seed ${seed}`,
            );
        }
    });
});
