import { strict as assert } from "assert";
import {
    DEFAULT_ISTIO_VERSION,
    ISTIO_MINORS,
    factsRelease,
    isVerifiedRelease,
    istioReleaseWarnings,
    missedSecurityPatches,
    newestVerifiedRelease,
    supportWarning,
    todayIso,
} from "../catalog/releases";
import { VERSION_FACTS, compareVersions, holds } from "../catalog/versions";
import { parseLabConfig } from "../config/schema";
import { evaluateConfig } from "./support/lab";

const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");

describe("releases: which Istio releases the lab has read, their support and security patches", () => {
    it("knows every minor from the reference lab's 1.14 to 1.31, in order, each patch under its own minor", () => {
        assert.deepEqual(
            ISTIO_MINORS.map((m) => m.minor),
            Array.from({ length: 18 }, (_, i) => `1.${14 + i}`),
        );
        for (const m of ISTIO_MINORS) {
            assert.equal(minorOf(m.newestRead), m.minor);
            assert.ok(m.readAt.length > 0, `${m.minor}: where it was read`);
            const patches = m.securityPatches.map((p) => p.patch);
            assert.deepEqual(patches, [...patches].sort(compareVersions), `${m.minor}: oldest first`);
            for (const p of m.securityPatches) {
                assert.equal(minorOf(p.patch), m.minor, p.patch);
                assert.ok(compareVersions(p.patch, m.newestRead) <= 0, `${p.patch} is read, not only announced`);
                assert.ok(
                    p.advisories.every((a) => /^(ISTIO-SECURITY-\d{4}-\d{3}|GHSA(-[a-z0-9]{4}){3})$/.test(a)),
                    p.advisories.join(),
                );
            }
            if (m.endOfLife) assert.match(m.endOfLife.date, /^\d{4}-\d{2}-\d{2}$/);
        }
    });

    it("ends support as istio.io announced it, and infers only 1.30's end from the policy", () => {
        const ends = Object.fromEntries(ISTIO_MINORS.map((m) => [m.minor, m.endOfLife?.date]));
        // istio.io news/support: announcing-1.14-eol-final (2022-12-27), announcing-1.28-eol (June 28th, 2026; its final
        // notice is dated 2026-07-01),
        // announcing-1.29-eol (2026-10-12); 1.31 has no end yet (1.33 is not out).
        assert.equal(ends["1.14"], "2022-12-27");
        assert.equal(ends["1.28"], "2026-06-28");
        assert.equal(ends["1.29"], "2026-10-12");
        assert.equal(ends["1.31"], undefined);
        assert.deepEqual(
            ISTIO_MINORS.filter((m) => m.endOfLife?.inferred).map((m) => m.minor),
            ["1.30"],
        );
    });

    it("defaults to the newest patch of the newest supported minor it has read, with no known security fix missing", () => {
        assert.equal(DEFAULT_ISTIO_VERSION, "1.31.1");
        assert.equal(DEFAULT_ISTIO_VERSION, newestVerifiedRelease());
        assert.deepEqual(missedSecurityPatches(DEFAULT_ISTIO_VERSION), []);
        assert.equal(supportWarning(DEFAULT_ISTIO_VERSION, todayIso()), undefined);
        assert.equal(parseLabConfig({}).istio.version, DEFAULT_ISTIO_VERSION);
        // 1.31.0 lacks the fix for GHSA-qm8v-g4f9-qhjx (istio.io announcing-1.31.1).
        assert.deepEqual(
            missedSecurityPatches("1.31.0").map((p) => p.patch),
            ["1.31.1"],
        );
    });

    it("calls a release verified only up to the newest patch of its minor that it read", () => {
        const cases: [string, boolean][] = [
            ["1.14.0", true],
            ["1.14.6", true],
            ["1.14.7", false],
            ["1.13.9", false],
            ["1.29.8", true],
            ["1.29.9", false],
            ["1.30.5", true],
            ["1.30.6", false],
            ["1.31.1", true],
            ["1.31.2", false],
            ["1.32.0", false],
        ];
        for (const [version, verified] of cases) assert.equal(isVerifiedRelease(version), verified, version);
        assert.equal(factsRelease("1.30.2"), "1.30.2");
        assert.equal(factsRelease("1.30.9"), "1.30.5");
        assert.equal(factsRelease("1.32.0"), "1.31.1");
    });

    it("gives a release it does not know the same chart facts as the newest one it read", () => {
        for (const f of VERSION_FACTS.filter((f) => f.of === "istio")) {
            for (const version of ["1.32.0", "2.0.0"]) assert.equal(holds(f.id, version), holds(f.id, newestVerifiedRelease()), `${f.id} at ${version}`);
        }
    });

    describe("warnings, one line each", () => {
        it("a patch behind a security release of its minor names that release and every advisory it misses", () => {
            assert.equal(
                supportWarning("1.30.3", "2026-09-01"),
                "Istio 1.30.3 misses security fixes that 1.30.4 has (ISTIO-SECURITY-2026-006): use 1.30.4 (boutique-mesh:istio.version)",
            );
            assert.equal(
                supportWarning("1.30.0", "2026-09-01"),
                "Istio 1.30.0 misses security fixes that 1.30.4 has (ISTIO-SECURITY-2026-004, ISTIO-SECURITY-2026-005, ISTIO-SECURITY-2026-006): use 1.30.4 (boutique-mesh:istio.version)",
            );
            assert.equal(supportWarning("1.30.4", "2026-09-01"), undefined, "the security release itself");
            assert.equal(supportWarning("1.30.5", "2026-09-01"), undefined);
        });

        it("a minor past its end says since when, and points at a supported release", () => {
            assert.equal(
                supportWarning("1.14.6", "2026-12-06"),
                "Istio 1.14 is out of support since 2022-12-27: use a supported release such as 1.31.1 (boutique-mesh:istio.version)",
            );
            assert.equal(
                supportWarning("1.29.6", "2026-12-06"),
                "Istio 1.29 is out of support since 2026-10-12; Istio 1.29.6 misses security fixes that 1.29.7 has (ISTIO-SECURITY-2026-006): use a supported release such as 1.31.1 (boutique-mesh:istio.version)",
            );
            assert.equal(supportWarning("1.29.8", "2026-10-11"), undefined, "the day before its end");
            assert.match(supportWarning("1.29.8", "2026-10-12")!, /^Istio 1\.29 is out of support since 2026-10-12:/);
            assert.match(supportWarning("1.30.5", "2026-12-06")!, /^Istio 1\.30 is out of support since 2026-12-02 \(inferred: six weeks after 1\.32\.0/);
        });

        it("on the day its minor's support ends, a patch behind a security release points at a supported release, not at that patch", () => {
            assert.equal(
                supportWarning("1.29.6", "2026-10-12"),
                "Istio 1.29 is out of support since 2026-10-12; Istio 1.29.6 misses security fixes that 1.29.7 has (ISTIO-SECURITY-2026-006): use a supported release such as 1.31.1 (boutique-mesh:istio.version)",
            );
            assert.equal(todayIso(new Date("2026-12-06T23:59:59Z")), "2026-12-06");
        });

        it("an unverified release says whose facts it is installed with", () => {
            assert.deepEqual(istioReleaseWarnings({ version: "1.32.0", allowUnverifiedVersion: true }, "2026-12-06"), [
                "Istio 1.32.0 is not verified by the lab (boutique-mesh:istio.allowUnverifiedVersion): installing it with the charts' facts and addons of 1.31.1",
            ]);
            assert.deepEqual(istioReleaseWarnings({ version: DEFAULT_ISTIO_VERSION, allowUnverifiedVersion: false }, "2026-12-06"), []);
        });

        it("reach the preview through Pulumi's log, once per lab", async () => {
            const old = await evaluateConfig({ istio: { version: "1.14.6" } });
            assert.equal(old.warnings.filter((w) => w.startsWith("Istio 1.14 is out of support since 2022-12-27")).length, 1);
            const unverified = await evaluateConfig({ istio: { version: "1.32.0", allowUnverifiedVersion: true } });
            assert.equal(unverified.warnings.filter((w) => w.startsWith("Istio 1.32.0 is not verified by the lab")).length, 1);
            const current = await evaluateConfig();
            assert.deepEqual(
                current.warnings.filter((w) => w.startsWith("Istio")),
                [],
            );
        });
    });
});
