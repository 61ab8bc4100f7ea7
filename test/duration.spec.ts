import { strict as assert } from "assert";
import { durationMs, istioDuration } from "../config/duration";

/**
 * Expected values follow Go's time.ParseDuration (go1.26.8 src/time/format.go, ParseDuration and
 * unitMap: a sequence of decimal numbers, each with an optional fraction and a unit among ns, us, µs,
 * ms, s, m, h; "0" alone needs no unit). The lab also refuses the signs Go accepts.
 */
describe("duration: Go durations, as EXTRA_LATENCY and Istio take them", () => {
    it("reads every unit Go knows", () => {
        assert.equal(durationMs("6s"), 6000);
        assert.equal(durationMs("1500ms"), 1500);
        assert.equal(durationMs("2m"), 120_000);
        assert.equal(durationMs("1h"), 3_600_000);
        assert.equal(durationMs("500us"), 0.5);
        assert.equal(durationMs("250µs"), 0.25);
        assert.equal(durationMs("2000000ns"), 2);
    });

    it("adds up a sequence of parts, fractions included, in any order", () => {
        assert.equal(durationMs("1m30s"), 90_000);
        assert.equal(durationMs("1h2m3s4ms"), 3_723_004);
        assert.equal(durationMs("30s1m"), 90_000);
        assert.equal(durationMs("1s1s"), 2000);
        assert.equal(durationMs("1.5s"), 1500);
        assert.equal(durationMs(".5s"), 500);
        assert.equal(durationMs(".25s"), 250);
        assert.equal(durationMs("5.s"), 5000);
        assert.equal(durationMs("0.25m"), 15_000);
    });

    it("takes a bare 0, and 0 with a unit", () => {
        assert.equal(durationMs("0"), 0);
        assert.equal(durationMs("0s"), 0);
    });

    it("refuses what Go refuses, and signs", () => {
        for (const text of ["", "5", "s", ".s", "5x", "6 s", " 6s", "6s ", "6S", "1.5.5s", "1s5", "-1s", "+1s", "1e3ms", "00"]) {
            assert.equal(durationMs(text), undefined, JSON.stringify(text));
        }
    });

    it("keeps no state between calls", () => {
        assert.equal(durationMs("1h30m"), 5_400_000);
        assert.equal(durationMs("6s"), 6000);
        assert.equal(durationMs("bad"), undefined);
        assert.equal(durationMs("2s"), 2000);
    });

    it("writes Istio durations as seconds, as Istio's examples do", () => {
        assert.equal(istioDuration("2s"), "2s");
        assert.equal(istioDuration("1500ms"), "1.5s");
        assert.equal(istioDuration("1m30s"), "90s");
        assert.equal(istioDuration("250ms"), "0.25s");
        assert.equal(istioDuration("1ms"), "0.001s");
        assert.equal(istioDuration("1500us"), "0.0015s");
        assert.throws(() => istioDuration("5x"), /^Error: not a duration: 5x$/);
    });
});
