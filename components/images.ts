/**
 * Image references and the one mirror rule every image of the lab goes through.
 *
 * A reference is split the way Docker normalises it: the first path component is a registry
 * host only when it contains "." or ":" or is "localhost"; otherwise the image lives on Docker Hub
 * ("redis" is "docker.io/library/redis"). Mirroring replaces the registry host by the mirror prefix
 * and keeps the rest of the path, the tag and the digest.
 */

/** Upstream registry host -> mirror prefix (host[:port][/path]), as in `boutique-mesh:images.mirrors`. */
export type Mirrors = Readonly<Record<string, string>>;

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** A parsed image reference. `tag` and `digest` are undefined when absent. */
export interface ImageRef {
    /** Registry host as written, or "docker.io" for Docker Hub short names. */
    registry: string;
    /** Repository path below the registry ("library/redis" for "redis"). */
    path: string;
    tag?: string;
    digest?: string;
}

function isRegistryHost(component: string): boolean {
    return component.includes(".") || component.includes(":") || component === "localhost";
}

/** Parses a repository (no tag, no digest), e.g. an Istio hub such as "docker.io/istio". */
export function parseRepository(repository: string): { registry: string; path: string } {
    const slash = repository.indexOf("/");
    if (slash > 0 && isRegistryHost(repository.slice(0, slash))) {
        const registry = repository.slice(0, slash);
        return { registry: DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB : registry, path: repository.slice(slash + 1) };
    }
    return { registry: DOCKER_HUB, path: slash < 0 ? `library/${repository}` : repository };
}

/** Parses "registry/path:tag@digest" with every part but the path optional. */
export function parseImage(image: string): ImageRef {
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const named = at >= 0 ? image.slice(0, at) : image;
    // A ":" after the last "/" starts the tag; one before it belongs to a registry port.
    const colon = named.lastIndexOf(":");
    const hasTag = colon > named.lastIndexOf("/");
    const tag = hasTag ? named.slice(colon + 1) : undefined;
    return { ...parseRepository(hasTag ? named.slice(0, colon) : named), tag, digest };
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
 * number. Floating tags ("latest", "alpine") and missing tags are not pinned.
 */
export function isPinned(image: string): boolean {
    const { tag, digest } = parseImage(image);
    if (digest !== undefined) return true;
    return tag !== undefined && tag !== "latest" && /\d/.test(tag);
}
