import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { COPY_IMAGE_SCRIPT, copyPlan } from "../components/images/mirroring";
import { labConfigFrom } from "../config/stack";
import { flattenConfig } from "./support/config";
import { Evaluation } from "../mocks/evaluate";
import { evaluateConfig } from "./support/lab";

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** A throwaway registry (Debian's docker-registry) on 127.0.0.1, storing under a temp folder. */
async function startRegistry(): Promise<{ host: string; stop: () => Promise<void> }> {
    const port = await freePort();
    const dir = scratch("registry-");
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
    const ready = async () => {
        for (let i = 0; i < 100; i++) {
            const ok = await new Promise<boolean>((resolve) =>
                http.get(`http://127.0.0.1:${port}/v2/`, (r) => (r.resume(), resolve(r.statusCode === 200))).on("error", () => resolve(false)),
            );
            if (ok) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`registry on ${port} did not start`);
    };
    await ready();
    return {
        host: `127.0.0.1:${port}`,
        stop: () =>
            new Promise((resolve) => {
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                child.once("exit", () => resolve());
                child.kill();
            }),
    };
}

/** A small OCI image layout made here: one layer holding one file, so no image has to be downloaded. */
function ociImage(tag: string, content: string): string {
    const dir = scratch("oci-");
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const root = scratch("layer-");
    fs.writeFileSync(path.join(root, "hello.txt"), content);
    const tar = execFileSync("tar", ["-C", root, "-c", "hello.txt"]);
    const gz = execFileSync("gzip", ["-n", "-c"], { input: tar });
    const blob = (data: Buffer | string) => {
        const digest = sha256(data);
        fs.writeFileSync(path.join(blobs, digest), data);
        return { digest: `sha256:${digest}`, size: Buffer.byteLength(data) };
    };
    const layer = blob(gz);
    const config = blob(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] }, config: {} }));
    const manifest = blob(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
            layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
        }),
    );
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(
        path.join(dir, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": tag } }],
        }),
    );
    return dir;
}

/** What a resource waits for: its dependencies, theirs, and so on. */
function waitsFor(lab: Evaluation, name: string, seen = new Set<string>()): Set<string> {
    for (const dependency of lab.resources.find((r) => r.name === name)?.dependsOn ?? []) {
        if (seen.has(dependency)) continue;
        seen.add(dependency);
        waitsFor(lab, dependency, seen);
    }
    return seen;
}

/** Runs the copy code exactly as the Pulumi program's Command does. */
function copy(src: string, dst: string) {
    return spawnSync("/bin/bash", ["-c", COPY_IMAGE_SCRIPT], { env: { ...process.env, SRC: src, DST: dst, TLS_VERIFY: "false" }, encoding: "utf8" });
}

/** The digest of the image's top-level manifest in a registry, or undefined when it is not there. */
function registryDigest(image: string): string | undefined {
    const result = spawnSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${image}`]);
    return result.status === 0 ? sha256(result.stdout) : undefined;
}

describe("mirroring: images copied into their mirrors with skopeo", function () {
    this.timeout(120_000);

    describe("planned by the program", () => {
        it("copies exactly the images whose registry has a mirror, to where the pods pull them", () => {
            const plan = copyPlan(["docker.io/istio/pilot:1.30.3", "redis:alpine@sha256:abc", "quay.io/kiali/kiali:v2.26"], { "docker.io": "m.lab/hub" });
            assert.deepEqual(plan, [
                { source: "docker.io/istio/pilot:1.30.3", target: "m.lab/hub/istio/pilot:1.30.3" },
                { source: "redis:alpine@sha256:abc", target: "m.lab/hub/library/redis:alpine@sha256:abc" },
            ]);
        });

        describe("declared", () => {
            let lab: Evaluation;
            const mirrors = { "docker.io": "m.lab/hub", "us-central1-docker.pkg.dev": "m.lab/ar", "quay.io": "m.lab/quay", "ghcr.io": "m.lab/ghcr" };
            before(async () => {
                lab = await evaluateConfig({ images: { mirrors, copy: { enabled: true } } });
            });

            it("one copy per image of the images output, before anything pulls one", () => {
                const copies = lab.resources.filter((r) => r.type === "command:local:Command" && r.parent === "lab-mirroring");
                const targets = copies.map((c) => c.inputs.environment.DST).sort();
                assert.deepEqual(targets, [...(lab.outputs.images as string[])].sort());
                for (const c of copies) assert.equal(c.inputs.create, COPY_IMAGE_SCRIPT);
                // Istio's base chart holds CRDs and no pod; everything else that starts pods must wait.
                const pulling = lab.resources.filter(
                    (r) => r.inputs.kind === "Deployment" || (r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name !== "istio-base"),
                );
                assert.ok(pulling.length >= 18, `${pulling.length} resources start pods`);
                for (const r of pulling) assert.ok(waitsFor(lab, r.name).has("lab-mirroring"), `${r.name} waits for the copies`);
                assert.ok(lab.resources.find((r) => r.name === "lab-mesh-istiod")!.dependsOn.includes("lab-mirroring"));
                assert.ok(lab.resources.find((r) => r.name === "lab-boutique-frontend")!.dependsOn.includes("lab-mirroring"));
            });

            it("takes registry credentials only from a secret", async () => {
                assert.ok(lab.resources.every((r) => r.type !== "command:local:Command" || r.inputs.environment.DEST_CREDS === undefined));
                assert.throws(
                    () => labConfigFrom(flattenConfig({ images: { mirrors, copy: { enabled: true, credentials: { "m.lab": "bot:s3cret" } } } })),
                    /boutique-mesh:images\.copy\.credentials is in plain text; set it with: pulumi config set --secret/,
                );
            });
        });
    });

    it("never puts registry credentials on a command line: skopeo reads them from auth files only this user can read, gone after", () => {
        // A stand-in skopeo that records its arguments and, for each auth file it is given, the file's mode and content.
        const bin = scratch("skopeo-stand-in-");
        const log = path.join(bin, "calls.log");
        fs.writeFileSync(
            path.join(bin, "skopeo"),
            `#!/bin/bash
echo "ARGS $*" >> "${log}"
prev=""
for a in "$@"; do
  case "$prev" in --authfile|--src-authfile|--dest-authfile) echo "FILE $prev $(stat -c %a "$a") $(stat -c %a "$(dirname "$a")") $(cat "$a") $a" >> "${log}";; esac
  prev="$a"
done
# The mirror has the image only once it was copied there.
case "$1 \${@: -1}" in
  "copy "*) touch "${bin}/copied" ;;
  "inspect docker://mirror"*) [ -e "${bin}/copied" ] || exit 1; echo '{"manifest":1}' ;;
  inspect*) echo '{"manifest":1}' ;;
esac
exit 0
`,
            { mode: 0o755 },
        );
        const result = spawnSync("/bin/bash", ["-c", COPY_IMAGE_SCRIPT], {
            env: {
                ...process.env,
                PATH: `${bin}:${process.env.PATH}`,
                SRC: "registry.example/team/app:1.0",
                DST: "mirror.lab:5000/team/app:1.0",
                SRC_CREDS: "reader:pa55-src",
                SRC_REGISTRY: "registry.example",
                DEST_CREDS: "writer:pa55-dst",
                DEST_REGISTRY: "mirror.lab:5000",
            },
            encoding: "utf8",
        });
        assert.equal(result.status, 0, result.stderr);
        const lines = fs.readFileSync(log, "utf8").trim().split("\n");
        const args = lines.filter((l) => l.startsWith("ARGS "));
        assert.ok(args.length >= 2, "skopeo ran");
        assert.ok(
            args.every((l) => !/pa55|--creds|--src-creds|--dest-creds/.test(l)),
            args.join("\n"),
        );
        const files = lines.filter((l) => l.startsWith("FILE ")).map((l) => l.split(" "));
        const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");
        for (const [flag, host, creds] of [
            ["--src-authfile", "registry.example", auth("reader", "pa55-src")],
            ["--dest-authfile", "mirror.lab:5000", auth("writer", "pa55-dst")],
        ]) {
            const file = files.find((f) => f[1] === flag);
            assert.ok(file, `skopeo copy was given ${flag}`);
            assert.equal(file[2], "600", "the auth file is readable by its owner only");
            assert.equal(file[3], "700", "in a folder only its owner can list");
            assert.deepEqual(JSON.parse(file[4]), { auths: { [host]: { auth: creds } } });
            assert.equal(fs.existsSync(file[5]), false, "removed when the copy is done");
        }
        assert.ok(
            files.some((f) => f[1] === "--authfile"),
            "inspect reads them the same way",
        );
    });

    describe("for real, between two registries on 127.0.0.1", function () {
        let source: { host: string; stop: () => Promise<void> };
        let mirror: { host: string; stop: () => Promise<void> };
        before(async function () {
            const missing = ["skopeo", "docker-registry"].filter((tool) => !has(tool));
            if (missing.length > 0) {
                const why = `${missing.join(" and ")} not installed here (.ci/run installs them: apt-get install skopeo docker-registry)`;
                // CI installs them: there a missing tool is a broken CI, not a reason to pass silently.
                if (process.env.CI === "true") throw new Error(`CI=true and ${why}`);
                console.log(`      skipped: ${why}`);
                this.skip();
            }
            [source, mirror] = await Promise.all([startRegistry(), startRegistry()]);
            for (const [tag, content] of [
                ["1.0", "one"],
                ["2.0", "two"],
                ["3.0", "three"],
            ]) {
                execFileSync("skopeo", ["copy", "--dest-tls-verify=false", `oci:${ociImage(tag, content)}:${tag}`, `docker://${source.host}/lab/app:${tag}`], {
                    stdio: "pipe",
                });
            }
        });
        after(async () => {
            await Promise.all([source?.stop(), mirror?.stop()]);
        });

        it("copies an image with its digest, and skips it once the mirror has that digest", () => {
            const [src, dst] = [`${source.host}/lab/app:1.0`, `${mirror.host}/mirror/lab/app:1.0`];
            const first = copy(src, dst);
            assert.equal(first.status, 0, first.stderr);
            assert.match(first.stdout, new RegExp(`copied: ${src} -> ${dst} sha256:[0-9a-f]{64}`));
            assert.equal(registryDigest(dst), registryDigest(src));
            const again = copy(src, dst);
            assert.equal(again.status, 0, again.stderr);
            assert.match(again.stdout, /^up to date: /m);
        });

        it("takes credentials through auth files, which real skopeo accepts (the registries here ask for none)", () => {
            const [src, dst] = [`${source.host}/lab/app:3.0`, `${mirror.host}/mirror/lab/app:3.0`];
            const registry = (image: string) => image.split("/")[0];
            const result = spawnSync("/bin/bash", ["-c", COPY_IMAGE_SCRIPT], {
                env: {
                    ...process.env,
                    SRC: src,
                    DST: dst,
                    TLS_VERIFY: "false",
                    SRC_CREDS: "reader:s3cret",
                    SRC_REGISTRY: registry(src),
                    DEST_CREDS: "writer:s3cret",
                    DEST_REGISTRY: registry(dst),
                },
                encoding: "utf8",
            });
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stdout, /^copied: /m);
        });

        it("fails clearly when the source goes away, and leaves nothing reported as copied", async () => {
            await source.stop();
            const [src, dst] = [`${source.host}/lab/app:2.0`, `${mirror.host}/mirror/lab/app:2.0`];
            const result = copy(src, dst);
            assert.notEqual(result.status, 0);
            assert.match(result.stderr, new RegExp(`cannot read ${src.replace(/\./g, "\\.")} from its registry`));
            assert.doesNotMatch(result.stdout, /copied:|up to date:/);
            assert.equal(registryDigest(dst), undefined, "the mirror has no such image");
        });
    });
});
