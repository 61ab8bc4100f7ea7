import { strict as assert } from "assert";
import { COMMAND_BUDGET_MS, extendTimeout } from "./support/runnable";
import { evaluatedStack } from "./support/lab";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { parseArgs, toJson, toYaml } from "../commands/render";

const ROOT = path.resolve(__dirname, "..");

function render(...args: string[]) {
    extendTimeout(COMMAND_BUDGET_MS);
    return spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "commands/render.ts", ...args], {
        cwd: ROOT,
        encoding: "utf8",
    });
}

describe("render: the program's declarations without the Pulumi CLI", () => {
    it("reads a stack by name or any file in that format, json by default", () => {
        assert.deepEqual(parseArgs(["dev"]).format, "json");
        assert.equal(parseArgs(["dev"]).target.file, path.join(ROOT, "Pulumi.dev.yaml"));
        assert.equal(parseArgs(["--config", path.join(ROOT, "Pulumi.dev.yaml"), "--format", "yaml"]).format, "yaml");
        assert.throws(() => parseArgs(["dev", "--format", "xml"]), /--format: must be json or yaml, not xml/);
        assert.throws(() => parseArgs(["no-such-stack"]), /no stack file Pulumi.no-such-stack.yaml; stacks: .*dev/);
        assert.throws(() => parseArgs([]), /name a stack or give --config FILE/);
    });

    it("prints one JSON element per resource with type, name, inputs and known relations", async () => {
        const evaluation = await evaluatedStack("dev");
        const entries = JSON.parse(toJson(evaluation)) as { type: string; name: string; inputs: object; parent?: string; dependsOn?: string[] }[];
        assert.equal(entries.length, evaluation.resources.length);
        const istiod = entries.find((e) => e.name === "lab-mesh-istiod")!;
        assert.equal(istiod.type, "kubernetes:helm.sh/v4:Chart");
        assert.equal(istiod.parent, "lab-mesh");
        assert.deepEqual(istiod.dependsOn, ["lab-mesh-base"]);
        assert.ok(entries.every((e) => typeof e.inputs === "object"));
    });

    it("prints Kubernetes objects as a manifest and charts as reference and values", async () => {
        const documents = parseAllDocuments(toYaml(await evaluatedStack("dev"))).map((d) => d.toJS());
        const kinds = documents.filter((d) => d.kind).map((d) => d.kind);
        assert.equal(documents.filter((d) => d.kind === "Deployment" && d.metadata.namespace === "online-boutique").length, 12);
        assert.ok(kinds.includes("Gateway") && kinds.includes("VirtualService") && kinds.includes("DestinationRule"));
        const charts = documents.filter((d) => d.chart);
        assert.deepEqual(charts.map((c) => c.release).sort(), [
            "grafana",
            "istio-base",
            "istio-egressgateway",
            "istio-ingressgateway",
            "istiod",
            "kiali",
            "prometheus",
        ]);
        assert.equal(charts.find((c) => c.release === "istiod").values.global.tag, DEFAULT_ISTIO_VERSION);
        // What the lab changes in the objects a chart renders is not in its values: the chart lists it.
        const owned = "labelClusterScoped(boutique-mesh.io/stack=dev)";
        assert.deepEqual(charts.find((c) => c.release === "istiod").transforms, ["failClosedValidation", "awaitCaBundle", owned]);
        assert.deepEqual(charts.find((c) => c.release === "istio-base").transforms, ["failClosedValidation", owned]);
        assert.deepEqual(charts.find((c) => c.release === "grafana").transforms, [owned]);
    });

    it("exits non-zero on an invalid config with the message on stderr and nothing on stdout", () => {
        const file = path.join(scratch("render-"), "Pulumi.broken.yaml");
        fs.writeFileSync(file, "config:\n  boutique-mesh:istio:\n    verison: 1.30.3\n");
        const result = render("--config", file);
        assert.equal(result.status, 2, "a bad config is a usage error");
        assert.equal(result.stdout, "");
        assert.match(result.stderr, /boutique-mesh:istio\.verison: unknown key/);
        assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack trace");
    });

    it("runs end to end for the dev stack, with no warning for today's default Istio", () => {
        const result = render("dev", "--format", "yaml");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^---\n/);
        assert.match(result.stdout, /kind: Gateway/);
        assert.doesNotMatch(result.stderr, /warning/);
    });

    it("prints the program's warnings on stderr, one line each: here the reference lab's Istio, long out of support", () => {
        const file = path.join(scratch("render-"), "Pulumi.old.yaml");
        fs.writeFileSync(file, "config:\n  boutique-mesh:istio:\n    version: 1.14.6\n");
        const result = render("--config", file);
        assert.equal(result.status, 0, result.stderr);
        JSON.parse(result.stdout);
        assert.deepEqual(
            result.stderr.split("\n").filter((l) => l.includes("Istio 1.14")),
            [
                `render: ${file}: warning: Istio 1.14 is out of support since 2022-12-27: use a supported release such as ${DEFAULT_ISTIO_VERSION} (boutique-mesh:istio.version)`,
            ],
        );
    });
});
