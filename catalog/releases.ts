/**
 * The Istio releases the lab knows, per minor: the newest patch whose charts and release notes were
 * read (a newer patch or minor is not verified, and is refused unless the stack opts in), the end of
 * support, and the patches that fix a security advisory. `catalog/versions.ts` holds what the charts
 * do per version; this file holds which versions those facts were read for, and how current they are.
 */
import { compareVersions, holds, rangeOf, Source } from "./versions";

/** The release a stack without `istio.version` installs: see docs/versions.md for how it is chosen. */
export const DEFAULT_ISTIO_VERSION = "1.31.1";

/** Where Istio's charts live: the Helm repository (default) and the OCI registry, both holding every release. */
export const ISTIO_CHART_HOMES = ["https://blob.istio.io/istio-release/charts", "oci://ghcr.io/istio/release/charts"] as const;

/** The chart repository Istio emptied in December 2026 (1.30 was the last minor published there). */
export const RETIRED_ISTIO_CHART_HOST = "istio-release.storage.googleapis.com";

/** A patch that fixes security advisories, which every earlier patch of its minor lacks. */
export interface SecurityPatch {
    patch: string;
    /** Advisory ids as istio.io names them (ISTIO-SECURITY-YYYY-NNN, GHSA-...). */
    advisories: readonly string[];
}

/** The end of a minor's support, as announced or as the support policy gives it. */
export interface EndOfLife {
    date: string;
    /**
     * True when no announcement was read and the date follows from the policy (support ends six weeks
     * after the release of the minor two newer), with that release's date inferred as `source` says.
     */
    inferred?: boolean;
    source: Source;
}

export interface IstioMinor {
    /** "1.31". */
    minor: string;
    /** The newest patch whose charts (or release branch) and release notes the lab read. */
    newestRead: string;
    /** Where the charts and notes up to `newestRead` were read. */
    readAt: readonly Source[];
    /** Undefined while no end is announced or follows from the policy. */
    endOfLife?: EndOfLife;
    /** Patches of this minor that fix security advisories, oldest first. */
    securityPatches: readonly SecurityPatch[];
}

const io = (commit: string, path: string): Source => ({ repository: "istio/istio.io", tag: commit, path: `content/en/${path}` });
const tag = (t: string): Source => ({ repository: "istio/istio", tag: t, path: "manifests/charts, samples/addons" });
/** The end of support as istio.io's final notice gives it, or, where the two differ, its earlier announcement. */
const eolNotice = (minor: string, date: string, commit: string): EndOfLife => ({
    date,
    source: io(commit, `news/support/announcing-${minor}-eol-final/index.md`),
});
const announced = (minor: string, date: string, commit: string): EndOfLife => ({ date, source: io(commit, `news/support/announcing-${minor}-eol/index.md`) });
const advisory = (id: string) => `ISTIO-SECURITY-${id}`;
const fixes = (...pairs: [string, string][]): SecurityPatch[] =>
    pairs.map(([patch, id]) => ({ patch, advisories: id.split(" ").map((a) => (a.startsWith("GHSA") ? a : advisory(a))) }));

/**
 * By minor, oldest first. End-of-life dates are istio.io's final notices (news/support); security
 * patches are the releases each advisory (news/security/istio-security-YYYY-NNN) says to upgrade to, or
 * the first patch after its affected range, cross-checked against the patch notes that link it.
 */
export const ISTIO_MINORS: readonly IstioMinor[] = [
    {
        minor: "1.14",
        newestRead: "1.14.6",
        readAt: [tag("1.14.6")],
        endOfLife: eolNotice("1.14", "2022-12-27", "e5ea913e"),
        securityPatches: fixes(["1.14.1", "2022-005"], ["1.14.3", "2022-006"], ["1.14.5", "2022-007"]),
    },
    {
        minor: "1.15",
        newestRead: "1.15.7",
        readAt: [tag("1.15.7")],
        endOfLife: eolNotice("1.15", "2023-03-28", "b5714812"),
        securityPatches: fixes(["1.15.2", "2022-007"], ["1.15.3", "2022-008"], ["1.15.7", "2023-001"]),
    },
    {
        minor: "1.16",
        newestRead: "1.16.7",
        readAt: [tag("1.16.7")],
        endOfLife: eolNotice("1.16", "2023-07-25", "8892748a"),
        securityPatches: fixes(["1.16.4", "2023-001"], ["1.16.6", "2023-002"], ["1.16.7", "2023-003"]),
    },
    {
        minor: "1.17",
        newestRead: "1.17.8",
        readAt: [tag("1.17.8")],
        endOfLife: eolNotice("1.17", "2023-10-27", "b2c96020"),
        securityPatches: fixes(["1.17.2", "2023-001"], ["1.17.4", "2023-002"], ["1.17.5", "2023-003"], ["1.17.7", "2023-004"]),
    },
    {
        minor: "1.18",
        newestRead: "1.18.7",
        readAt: [tag("1.18.7")],
        endOfLife: announced("1.18", "2023-12-26", "0ba90f61"),
        securityPatches: fixes(["1.18.1", "2023-002"], ["1.18.2", "2023-003"], ["1.18.4", "2023-004"], ["1.18.6", "2023-005"]),
    },
    {
        minor: "1.19",
        newestRead: "1.19.10",
        readAt: [tag("1.19.10")],
        endOfLife: eolNotice("1.19", "2024-04-24", "b3a37138"),
        securityPatches: fixes(["1.19.2", "2023-004"], ["1.19.5", "2023-005"], ["1.19.7", "2024-001"], ["1.19.9", "2024-002"], ["1.19.10", "2024-003"]),
    },
    {
        minor: "1.20",
        newestRead: "1.20.8",
        readAt: [tag("1.20.8")],
        endOfLife: eolNotice("1.20", "2024-06-25", "abd99737"),
        securityPatches: fixes(["1.20.1", "2023-005"], ["1.20.3", "2024-001"], ["1.20.5", "2024-002"], ["1.20.6", "2024-003"], ["1.20.7", "2024-004"]),
    },
    {
        minor: "1.21",
        newestRead: "1.21.6",
        readAt: [tag("1.21.6")],
        endOfLife: eolNotice("1.21", "2024-09-27", "a6ad2a70"),
        securityPatches: fixes(["1.21.1", "2024-002"], ["1.21.2", "2024-003"], ["1.21.3", "2024-004"], ["1.21.4", "2024-005"]),
    },
    {
        minor: "1.22",
        newestRead: "1.22.8",
        readAt: [tag("1.22.8")],
        endOfLife: announced("1.22", "2025-01-21", "a6ad2a70"),
        securityPatches: fixes(["1.22.1", "2024-004"], ["1.22.2", "2024-005"], ["1.22.5", "2024-006"], ["1.22.7", "2024-007"]),
    },
    {
        minor: "1.23",
        newestRead: "1.23.6",
        readAt: [tag("1.23.6")],
        endOfLife: eolNotice("1.23", "2025-04-16", "b3b2299d"),
        securityPatches: fixes(["1.23.2", "2024-006"], ["1.23.4", "2024-007"]),
    },
    {
        minor: "1.24",
        newestRead: "1.24.6",
        readAt: [tag("1.24.6")],
        endOfLife: announced("1.24", "2025-06-19", "0a80e01c"),
        securityPatches: fixes(["1.24.2", "2024-007"]),
    },
    {
        minor: "1.25",
        newestRead: "1.25.5",
        readAt: [tag("1.25.5")],
        endOfLife: announced("1.25", "2025-09-22", "0c2f60d6"),
        securityPatches: fixes(["1.25.5", "2025-001"]),
    },
    {
        minor: "1.26",
        newestRead: "1.26.8",
        readAt: [tag("1.26.8")],
        endOfLife: eolNotice("1.26", "2025-12-19", "5cf70eca"),
        securityPatches: fixes(["1.26.4", "2025-001"], ["1.26.6", "2025-002"], ["1.26.7", "2025-003"], ["1.26.8", "2025-004"]),
    },
    {
        minor: "1.27",
        newestRead: "1.27.9",
        readAt: [tag("1.27.9")],
        endOfLife: eolNotice("1.27", "2026-03-30", "5a6e0027"),
        securityPatches: fixes(["1.27.1", "2025-001"], ["1.27.2", "2025-002"], ["1.27.4", "2025-003"], ["1.27.5", "2025-004"], ["1.27.8", "2026-001"]),
    },
    {
        minor: "1.28",
        newestRead: "1.28.10",
        readAt: [tag("1.28.10")],
        endOfLife: announced("1.28", "2026-06-28", "654044a3"),
        securityPatches: fixes(
            ["1.28.1", "2025-003"],
            ["1.28.2", "2025-004"],
            ["1.28.5", "2026-001"],
            ["1.28.6", "2026-003"],
            ["1.28.8", "2026-004"],
            ["1.28.9", "2026-005"],
        ),
    },
    {
        minor: "1.29",
        // The release branch after 1.29.6 changes no chart; 1.29.7 and 1.29.8 are read in their notes.
        newestRead: "1.29.8",
        readAt: [
            tag("1.29.6"),
            { ...tag("9a69ee895c6e"), path: "manifests/charts (release-1.29, 2026-08-21)" },
            io("21695d31", "news/releases/1.29.x/announcing-1.29.7/index.md"),
            io("b30d6bd7", "news/releases/1.29.x/announcing-1.29.8/index.md"),
        ],
        endOfLife: announced("1.29", "2026-10-12", "a6ad2a70"),
        securityPatches: fixes(["1.29.1", "2026-001"], ["1.29.2", "2026-003"], ["1.29.4", "2026-004"], ["1.29.5", "2026-005"], ["1.29.7", "2026-006"]),
    },
    {
        minor: "1.30",
        // The release branch after 1.30.3 changes no chart; 1.30.4 and 1.30.5 are read in their notes.
        newestRead: "1.30.5",
        readAt: [
            tag("1.30.3"),
            { ...tag("b9a2bbd2f800"), path: "manifests/charts (release-1.30, 2026-08-21)" },
            io("21695d31", "news/releases/1.30.x/announcing-1.30.4/index.md"),
            io("141d1527", "news/releases/1.30.x/announcing-1.30.5/index.md"),
        ],
        // No notice read: six weeks after 1.32.0 (docs/releases/supported-releases), whose API module the Go
        // module proxy dates 2026-10-21 (istio.io/api v1.32.0); the release may be a few days later.
        endOfLife: { date: "2026-12-02", inferred: true, source: io("a8ddb0d0", "docs/releases/supported-releases/index.md") },
        securityPatches: fixes(["1.30.1", "2026-004"], ["1.30.2", "2026-005"], ["1.30.4", "2026-006"]),
    },
    {
        minor: "1.31",
        // Charts and samples at release-1.31 a8d7012 (2026-08-20, identical to 1.31.0-rc.0 there); 1.31.0
        // and 1.31.1 in their notes. istio.io/api has v1.31.2 to v1.31.4 on the Go module proxy: later
        // patches exist whose notes were not read here.
        newestRead: "1.31.1",
        readAt: [
            { ...tag("a8d7012191eb"), path: "manifests/charts, samples/addons (release-1.31, 2026-08-20)" },
            io("271854ff", "news/releases/1.31.x/announcing-1.31/upgrade-notes/index.md"),
            io("08fa3e14", "news/releases/1.31.x/announcing-1.31.1/index.md"),
        ],
        securityPatches: fixes(["1.31.1", "GHSA-qm8v-g4f9-qhjx"]),
    },
];

const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");

/** The catalog entry of a version's minor, if the lab knows that minor. */
export function istioMinor(version: string): IstioMinor | undefined {
    return ISTIO_MINORS.find((m) => m.minor === minorOf(version));
}

/** The newest release the lab has read: the one whose facts an unverified newer release is installed with. */
export function newestVerifiedRelease(): string {
    return ISTIO_MINORS.map((m) => m.newestRead).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
}

/** True when the lab read this release's charts and notes: a known minor, at or below its newest read patch. */
export function isVerifiedRelease(version: string): boolean {
    const minor = istioMinor(version);
    return minor !== undefined && compareVersions(version, minor.newestRead) <= 0;
}

/**
 * The release whose facts the lab installs a version with: itself when verified; otherwise the newest
 * read patch of its minor, or the newest release the lab read for a minor it does not know.
 */
export function factsRelease(version: string): string {
    if (isVerifiedRelease(version)) return version;
    return istioMinor(version)?.newestRead ?? newestVerifiedRelease();
}

/** Why a release is not verified, and the way to install it anyway; undefined for a verified release. */
export function unverifiedReason(version: string): string | undefined {
    if (isVerifiedRelease(version)) return undefined;
    const minor = istioMinor(version);
    const read = factsRelease(version);
    const known = minor
        ? `the newest ${minor.minor} release the lab has read is ${read}`
        : `the lab knows no Istio ${minorOf(version)} (the newest release it has read is ${read})`;
    return `is not verified by the lab: ${known}. Use ${read}, or set boutique-mesh:istio.allowUnverifiedVersion: true to install ${version} with the facts of ${read}`;
}

/** The security patches of the version's minor that come after it. */
export function missedSecurityPatches(version: string): SecurityPatch[] {
    return (istioMinor(version)?.securityPatches ?? []).filter((p) => compareVersions(p.patch, version) > 0);
}

/**
 * One line on how current a release is, or undefined: out of support (by `today`, an ISO date), and/or
 * behind a security patch of its own minor (naming the newest such patch and every advisory it misses).
 */
export function supportWarning(version: string, today: string): string | undefined {
    const minor = istioMinor(version);
    const end = minor?.endOfLife;
    const ended = end !== undefined && end.date <= today;
    const missed = missedSecurityPatches(version);
    const newest = missed[missed.length - 1]?.patch;
    const parts: string[] = [];
    if (ended)
        parts.push(
            `Istio ${minor!.minor} is out of support since ${end.date}${end.inferred ? " (inferred: six weeks after 1.32.0; not yet announced where the lab read)" : ""}`,
        );
    if (newest !== undefined) {
        const advisories = [...new Set(missed.flatMap((p) => p.advisories))];
        parts.push(`Istio ${version} misses security fixes that ${newest} has (${advisories.join(", ")})`);
    }
    if (parts.length === 0) return undefined;
    const advice = newest !== undefined && !ended ? `use ${newest}` : `use a supported release such as ${newestVerifiedRelease()}`;
    return `${parts.join("; ")}: ${advice} (boutique-mesh:istio.version)`;
}

/** Every warning a stack's Istio release deserves, one line each: not verified, out of support, behind a security patch. */
export function istioReleaseWarnings(istio: { version: string; allowUnverifiedVersion: boolean }, today: string): string[] {
    const warnings: string[] = [];
    if (!isVerifiedRelease(istio.version)) {
        warnings.push(
            `Istio ${istio.version} is not verified by the lab (boutique-mesh:istio.allowUnverifiedVersion): installing it with the charts' facts and addons of ${factsRelease(istio.version)}`,
        );
    }
    const support = supportWarning(istio.version, today);
    if (support !== undefined) warnings.push(support);
    return warnings;
}

/** Today's date as the warnings compare it (UTC). */
export const todayIso = (now = new Date()) => now.toISOString().slice(0, 10);

/** Why an Istio version cannot be installed, naming the nearest releases that can; undefined when it can. */
export function rejectedIstioVersion(version: string): string | undefined {
    const broken = rangeOf("gateway-schema-rejects-values", version);
    if (broken === undefined) return undefined;
    const fixedInMinor = broken.before !== undefined && minorOf(broken.before) === minorOf(version);
    const older = ISTIO_MINORS.map((m) => m.newestRead)
        .reverse()
        .find((v) => compareVersions(v, broken.from) < 0 && !holds("gateway-schema-rejects-values", v));
    const nearest = fixedInMinor ? [broken.before!] : [broken.before, older].filter((v): v is string => v !== undefined);
    return `its gateway chart fails Helm's schema validation (its values.schema.json allows no value at all; fixed in 1.25.5, 1.26.4 and 1.27.1); use ${nearest.join(" or ")}`;
}
