import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Mirrors, mirrorImage, parseImage } from "./images";

/**
 * Copies one image from its upstream registry into its mirror with skopeo, all architectures and
 * the same digests, unless the mirror already holds that digest. It checks the copy's digest before
 * reporting it done; any failure (a registry gone mid-copy) exits non-zero, so Pulumi records no
 * half-copied image as created. Inputs: SRC and DST image references; TLS_VERIFY true or false;
 * optional SRC_CREDS and DEST_CREDS ("user:password"). skopeo also reads REGISTRY_AUTH_FILE.
 */
export const COPY_IMAGE_SCRIPT = `set -euo pipefail
command -v skopeo >/dev/null 2>&1 || { echo "skopeo is not installed (apt-get install skopeo; brew install skopeo)" >&2; exit 1; }
tls="--tls-verify=\${TLS_VERIFY:-true}"
src_creds=(); dst_creds=()
if [ -n "\${SRC_CREDS:-}" ]; then src_creds=(--creds "$SRC_CREDS"); fi
if [ -n "\${DEST_CREDS:-}" ]; then dst_creds=(--creds "$DEST_CREDS"); fi
digest() { skopeo inspect --raw "$tls" "$@" | sha256sum | cut -d' ' -f1; }
if ! want=$(digest "\${src_creds[@]}" "docker://$SRC"); then
  echo "cannot read $SRC from its registry" >&2; exit 1
fi
if have=$(digest "\${dst_creds[@]}" "docker://$DST" 2>/dev/null) && [ "$have" = "$want" ]; then
  echo "up to date: $DST sha256:$want"; exit 0
fi
copy_src_creds=(); copy_dst_creds=()
if [ -n "\${SRC_CREDS:-}" ]; then copy_src_creds=(--src-creds "$SRC_CREDS"); fi
if [ -n "\${DEST_CREDS:-}" ]; then copy_dst_creds=(--dest-creds "$DEST_CREDS"); fi
if ! skopeo copy --all --preserve-digests --retry-times 2 "--src-tls-verify=\${TLS_VERIFY:-true}" "--dest-tls-verify=\${TLS_VERIFY:-true}" \\
    "\${copy_src_creds[@]}" "\${copy_dst_creds[@]}" "docker://$SRC" "docker://$DST"; then
  echo "copying $SRC to $DST failed; nothing was recorded as copied" >&2; exit 1
fi
got=$(digest "\${dst_creds[@]}" "docker://$DST")
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
                ...(srcCreds ? { SRC_CREDS: pulumi.secret(srcCreds) } : {}),
                ...(destCreds ? { DEST_CREDS: pulumi.secret(destCreds) } : {}),
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
