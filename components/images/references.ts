/**
 * Image references and the one mirror rule every image of the lab goes through.
 *
 * A reference is split the way Docker normalises it (distribution/reference v0.6.0, normalize.go,
 * splitDockerDomain): the first path component is a registry host only when it contains "." or ":",
 * is "localhost", or has an uppercase letter; otherwise the image lives on Docker Hub, whose one-part
 * names are official images ("redis" and "docker.io/redis" are "docker.io/library/redis"). Mirroring
 * replaces the registry host by the mirror prefix and keeps the rest of the path, the tag and the digest.
 */

/** Upstream registry host -> mirror prefix (host[:port][/path]), as in `boutique-mesh:images.mirrors`. */
export type Mirrors = Readonly<Record<string, string>>;

const DOCKER_HUB = "docker.io";
/** Docker Hub's names: docker.io, its legacy index.docker.io, and its registry API host, registry-1.docker.io. */
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** A parsed image reference. `tag` and `digest` are undefined when absent. */
export interface ImageRef {
    /** Registry host as written, or "docker.io" for Docker Hub (under any of its names). */
    registry: string;
    /** Repository path below the registry ("library/redis" for "redis"). */
    path: string;
    tag?: string;
    digest?: string;
}

function isRegistryHost(component: string): boolean {
    return component.includes(".") || component.includes(":") || component === "localhost" || component !== component.toLowerCase();
}

/**
 * Parses a repository prefix such as an Istio hub ("docker.io/istio", "istio"): images live below it,
 * so a one-part name on Docker Hub stays as it is.
 */
export function parseRepository(repository: string): { registry: string; path: string } {
    const slash = repository.indexOf("/");
    const first = repository.slice(0, slash);
    if (slash !== -1 && isRegistryHost(first)) {
        return { registry: DOCKER_HUB_ALIASES.has(first) ? DOCKER_HUB : first, path: repository.slice(slash + 1) };
    }
    return { registry: DOCKER_HUB, path: repository };
}

/** Parses "registry/path:tag@digest" with every part but the path optional. */
export function parseImage(image: string): ImageRef {
    const at = image.indexOf("@");
    const digest = at === -1 ? undefined : image.slice(at + 1);
    const named = at === -1 ? image : image.slice(0, at);
    // A ":" after the last "/" starts the tag; one before it belongs to a registry port.
    const colon = named.lastIndexOf(":");
    const hasTag = colon > named.lastIndexOf("/");
    const tag = hasTag ? named.slice(colon + 1) : undefined;
    const { registry, path } = parseRepository(hasTag ? named.slice(0, colon) : named);
    return { registry, path: registry === DOCKER_HUB && !path.includes("/") ? `library/${path}` : path, tag, digest };
}

/** The mirror prefix for a registry host, accepting Docker Hub under any of its names. */
function mirrorFor(registry: string, mirrors: Mirrors): string | undefined {
    if (registry !== DOCKER_HUB) return mirrors[registry];
    for (const alias of DOCKER_HUB_ALIASES) {
        if (mirrors[alias] !== undefined) return mirrors[alias];
    }
    return undefined;
}

/** Rewrites a repository prefix (an Istio hub) through the mirrors; unchanged when its registry has none. */
export function mirrorRepository(repository: string, mirrors: Mirrors): string {
    const { registry, path } = parseRepository(repository);
    const mirror = mirrorFor(registry, mirrors);
    return mirror === undefined ? repository : `${mirror}/${path}`;
}

/** Rewrites an image through the mirrors; unchanged when its registry has none. */
export function mirrorImage(image: string, mirrors: Mirrors): string {
    const ref = parseImage(image);
    const mirror = mirrorFor(ref.registry, mirrors);
    if (mirror === undefined) return image;
    return `${mirror}/${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/**
 * True when the reference names one immutable image: a digest, or a tag that carries a version
 * number. Floating tags ("latest", "alpine": no digit) and missing tags are not pinned.
 */
export function isPinned(image: string): boolean {
    const { tag, digest } = parseImage(image);
    if (digest !== undefined) return true;
    return tag !== undefined && /\d/.test(tag);
}
