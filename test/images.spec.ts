import { strict as assert } from "assert";
import { isPinned, mirrorImage, mirrorRepository, parseImage } from "../components/images";

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

    it("calls an image pinned only with a digest or a versioned tag", () => {
        assert.equal(isPinned("redis:alpine"), false);
        assert.equal(isPinned("redis"), false);
        assert.equal(isPinned("x/y:latest"), false);
        assert.equal(isPinned("localhost:5000/app"), false);
        assert.equal(isPinned("redis:alpine@sha256:abc"), true);
        assert.equal(isPinned("gcr.io/tetratelabs/boutique-frontend:1.0.0"), true);
    });
});
