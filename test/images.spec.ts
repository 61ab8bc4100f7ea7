import { strict as assert } from "assert";
import { isPinned, mirrorImage, mirrorRepository, parseImage, parseRepository } from "../components/images/references";
import { istioHub, istioImages } from "../components/mesh/charts";
import { parseLabConfig } from "../config/schema";

describe("images: the mirror rule", () => {
    it("replaces the registry host by the mirror prefix and keeps path and tag (the issue's example)", () => {
        assert.equal(mirrorImage("gcr.io/google-samples/x:tag", { "gcr.io": "gcr.lank8s.cn" }), "gcr.lank8s.cn/google-samples/x:tag");
    });

    it("treats Docker Hub short names as docker.io/library/...", () => {
        const mirrors = { "docker.io": "mirror.local:5000/hub" };
        assert.equal(mirrorImage("redis:alpine", mirrors), "mirror.local:5000/hub/library/redis:alpine");
        assert.equal(mirrorImage("istio/proxyv2:1.30.3", mirrors), "mirror.local:5000/hub/istio/proxyv2:1.30.3");
        assert.equal(mirrorImage("docker.io/istio/pilot:1.30.3", mirrors), "mirror.local:5000/hub/istio/pilot:1.30.3");
    });

    it("accepts Docker Hub's other names as the mirror key", () => {
        assert.equal(mirrorImage("busybox:1.38.0", { "index.docker.io": "m.example" }), "m.example/library/busybox:1.38.0");
    });

    it("keeps digests, with or without a tag", () => {
        const digest = "sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d";
        assert.equal(mirrorImage(`busybox:1.38.0@${digest}`, { "docker.io": "m.example" }), `m.example/library/busybox:1.38.0@${digest}`);
        assert.equal(mirrorImage(`quay.io/x/y@${digest}`, { "quay.io": "m.example/quay" }), `m.example/quay/x/y@${digest}`);
    });

    it("does not mistake a registry port for a tag", () => {
        assert.deepEqual(parseImage("localhost:5000/app"), { registry: "localhost:5000", path: "app", tag: undefined, digest: undefined });
        assert.equal(mirrorImage("localhost:5000/app:v1", { "localhost:5000": "m.example" }), "m.example/app:v1");
    });

    it("leaves images whose registry has no mirror exactly as written", () => {
        const mirrors = { "gcr.io": "gcr.lank8s.cn" };
        for (const image of ["redis:alpine", "us-central1-docker.pkg.dev/p/r/frontend:v0.10.6", "gcr.io.evil.example/x:1"]) {
            assert.equal(mirrorImage(image, mirrors), image);
        }
    });

    it("rewrites a repository prefix (an Istio hub) by the same rule", () => {
        assert.equal(mirrorRepository("docker.io/istio", { "docker.io": "m.example/hub" }), "m.example/hub/istio");
        assert.equal(mirrorRepository("gcr.io/istio-release", { "docker.io": "m.example/hub" }), "gcr.io/istio-release");
    });

    it("splits a reference the way Docker normalises it", () => {
        // distribution/reference v0.6.0, normalize.go, splitDockerDomain: the first component is a registry
        // only with a "." or ":" in it, as "localhost", or with an uppercase letter; Docker Hub's one-part
        // names live under library/, whether or not docker.io is written.
        const cases: [string, ReturnType<typeof parseImage>][] = [
            ["redis", { registry: "docker.io", path: "library/redis", tag: undefined, digest: undefined }],
            ["my.image:1", { registry: "docker.io", path: "library/my.image", tag: "1", digest: undefined }],
            ["istio/proxyv2:1.30.3", { registry: "docker.io", path: "istio/proxyv2", tag: "1.30.3", digest: undefined }],
            ["localhost/app:2", { registry: "localhost", path: "app", tag: "2", digest: undefined }],
            ["registry:5000/team/app", { registry: "registry:5000", path: "team/app", tag: undefined, digest: undefined }],
            ["gcr.io/a/b/c:v1@sha256:abc", { registry: "gcr.io", path: "a/b/c", tag: "v1", digest: "sha256:abc" }],
            ["quay.io/x/y@sha256:def", { registry: "quay.io", path: "x/y", tag: undefined, digest: "sha256:def" }],
            ["index.docker.io/istio/pilot:1.0", { registry: "docker.io", path: "istio/pilot", tag: "1.0", digest: undefined }],
            ["registry-1.docker.io/library/busybox", { registry: "docker.io", path: "library/busybox", tag: undefined, digest: undefined }],
            ["docker.io/redis:7", { registry: "docker.io", path: "library/redis", tag: "7", digest: undefined }],
            ["Registry/app:1", { registry: "Registry", path: "app", tag: "1", digest: undefined }],
            ["gcr.io/app", { registry: "gcr.io", path: "app", tag: undefined, digest: undefined }],
        ];
        for (const [image, expected] of cases) assert.deepEqual(parseImage(image), expected, image);
        // A hub is a prefix: images live below it, so a one-part hub gets no library/.
        assert.deepEqual(parseRepository("docker.io/istio"), { registry: "docker.io", path: "istio" });
        assert.deepEqual(parseRepository("istio"), { registry: "docker.io", path: "istio" });
        assert.deepEqual(parseRepository("localhost:5000/istio"), { registry: "localhost:5000", path: "istio" });
    });

    it("finds a Docker Hub mirror under any of Docker Hub's names, and no other registry's", () => {
        for (const key of ["docker.io", "index.docker.io", "registry-1.docker.io"]) {
            assert.equal(mirrorImage("redis:7.2", { [key]: "m.example" }), "m.example/library/redis:7.2", key);
            assert.equal(mirrorRepository("istio", { [key]: "m.example" }), "m.example/istio", key);
        }
        assert.equal(mirrorImage("redis:7.2", { "gcr.io": "m.example" }), "redis:7.2");
        assert.equal(mirrorImage("gcr.io/x/y:1", { "docker.io": "m.example" }), "gcr.io/x/y:1");
        assert.equal(mirrorImage("gcr.io/x/y", { "gcr.io": "m.example/gcr" }), "m.example/gcr/x/y", "no tag stays no tag");
        assert.equal(mirrorRepository("quay.io/kiali", { "quay.io": "m.example/quay" }), "m.example/quay/kiali");
        assert.equal(mirrorRepository("quay.io/kiali", {}), "quay.io/kiali");
    });

    it("calls an image pinned only with a digest or a versioned tag", () => {
        assert.equal(isPinned("redis:alpine"), false);
        assert.equal(isPinned("redis"), false);
        assert.equal(isPinned("x/y:latest"), false);
        assert.equal(isPinned("localhost:5000/app"), false);
        assert.equal(isPinned("redis:alpine@sha256:abc"), true);
        assert.equal(isPinned("gcr.io/tetratelabs/boutique-frontend:1.0.0"), true);
        assert.equal(isPinned("redis:7"), true);
        assert.equal(isPinned("x/y:v0.10.6"), true);
        assert.equal(isPinned("x/y@sha256:abc"), true);
        assert.equal(isPinned("x/y:latest@sha256:abc"), true, "a digest pins even a floating tag");
    });

    it("mirrors an Istio hub to where its images are copied, whatever form the hub takes", () => {
        for (const hub of ["docker.io/istio", "istio", "index.docker.io/istio"]) {
            const { istio } = parseLabConfig({ istio: { hub, version: "1.30.3" } });
            const mirrors = { "docker.io": "m.lab/hub" };
            assert.equal(istioHub(istio, mirrors), "m.lab/hub/istio", hub);
            assert.deepEqual(istioImages(istio, mirrors), ["m.lab/hub/istio/pilot:1.30.3", "m.lab/hub/istio/proxyv2:1.30.3"], hub);
        }
    });
});
