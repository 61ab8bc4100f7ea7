import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Mirrors, mirrorImage, parseImage } from "./references";

/**
 * Copies one image from its upstream registry into its mirror with skopeo, all architectures and
 * the same digests, unless the mirror already holds that digest. It checks the copy's digest before
 * reporting it done; any failure (a registry gone mid-copy) exits non-zero, so Pulumi records no
 * half-copied image as created. Inputs: SRC and DST image references; TLS_VERIFY true or false;
 * optional SRC_CREDS and DEST_CREDS ("user:password") with SRC_REGISTRY and DEST_REGISTRY, their hosts.
 * Credentials never reach a command line, which any user of the machine can read (/proc/<pid>/cmdline):
 * they go into an auth file of mode 600 in a folder of mode 700, removed on exit, which skopeo reads
 * with --authfile (containers/image's auth.json format: "auths" by registry, "auth" the base64 of
 * user:password). Without them skopeo reads REGISTRY_AUTH_FILE as usual.
 */
export const COPY_IMAGE_SCRIPT = `set -euo pipefail
command -v skopeo >/dev/null 2>&1 || { echo "skopeo is not installed (apt-get install skopeo; brew install skopeo)" >&2; exit 1; }
tls="--tls-verify=\${TLS_VERIFY:-true}"
umask 077
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
authfile() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$1" "$(printf '%s' "$2" | base64 | tr -d '\\n')" > "$dir/$3.json"; echo "$dir/$3.json"; }
src_auth=(); dst_auth=(); copy_src_auth=(); copy_dst_auth=()
if [ -n "\${SRC_CREDS:-}" ]; then f=$(authfile "$SRC_REGISTRY" "$SRC_CREDS" src); src_auth=(--authfile "$f"); copy_src_auth=(--src-authfile "$f"); fi
if [ -n "\${DEST_CREDS:-}" ]; then f=$(authfile "$DEST_REGISTRY" "$DEST_CREDS" dest); dst_auth=(--authfile "$f"); copy_dst_auth=(--dest-authfile "$f"); fi
digest() { skopeo inspect --raw "$tls" "$@" | sha256sum | cut -d' ' -f1; }
if ! want=$(digest "\${src_auth[@]}" "docker://$SRC"); then
  echo "cannot read $SRC from its registry" >&2; exit 1
fi
if have=$(digest "\${dst_auth[@]}" "docker://$DST" 2>/dev/null) && [ "$have" = "$want" ]; then
  echo "up to date: $DST sha256:$want"; exit 0
fi
if ! skopeo copy --all --preserve-digests --retry-times 2 "--src-tls-verify=\${TLS_VERIFY:-true}" "--dest-tls-verify=\${TLS_VERIFY:-true}" \\
    "\${copy_src_auth[@]}" "\${copy_dst_auth[@]}" "docker://$SRC" "docker://$DST"; then
  echo "copying $SRC to $DST failed; nothing was recorded as copied" >&2; exit 1
fi
got=$(digest "\${dst_auth[@]}" "docker://$DST")
if [ "$got" != "$want" ]; then echo "$DST has sha256:$got after the copy, expected sha256:$want" >&2; exit 1; fi
echo "copied: $SRC -> $DST sha256:$want"`;

/** Each image whose registry has a mirror, with where it is copied to. */
export function copyPlan(upstreamImages: string[], mirrors: Mirrors): { source: string; target: string }[] {
    return upstreamImages.map((source) => ({ source, target: mirrorImage(source, mirrors) })).filter(({ source, target }) => source !== target);
}

export interface MirroringArgs {
    /** Every image the lab pulls, as upstream names it. */
    images: string[];
    mirrors: Mirrors;
    tlsVerify: boolean;
    /** Registry host -> "user:password", from a Pulumi secret. */
    credentials?: Record<string, string>;
}

/** The lab's images copied into their mirrors: everything that pulls an image waits for this. */
export class Mirroring extends pulumi.ComponentResource {
    readonly copies: command.local.Command[];

    constructor(name: string, args: MirroringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Mirroring", name, {}, opts);
        const creds = (image: string) => args.credentials?.[parseImage(image).registry];
        this.copies = copyPlan(args.images, args.mirrors).map(({ source, target }) => {
            const [srcCreds, destCreds] = [creds(source), creds(target)];
            const environment: Record<string, pulumi.Input<string>> = {
                SRC: source,
                DST: target,
                TLS_VERIFY: String(args.tlsVerify),
                ...(srcCreds ? { SRC_CREDS: pulumi.secret(srcCreds), SRC_REGISTRY: parseImage(source).registry } : {}),
                ...(destCreds ? { DEST_CREDS: pulumi.secret(destCreds), DEST_REGISTRY: parseImage(target).registry } : {}),
            };
            // One copy per image, named after it; a new tag or digest is a new copy.
            const id = target
                .replace(/[^A-Za-z0-9]+/g, "-")
                .replace(/^-|-$/g, "")
                .slice(0, 100);
            return new command.local.Command(`${name}-${id}`, { create: COPY_IMAGE_SCRIPT, environment, interpreter: ["/bin/bash", "-c"] }, { parent: this });
        });
        this.registerOutputs({ copied: this.copies.length });
    }
}
