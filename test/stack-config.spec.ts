import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { ConfigError, SECRET_PLACEHOLDER } from "../config/schema";
import { labConfigFrom, loadStackFile, readStackFile, unflattenConfig } from "../config/stack";
import { flattenConfig } from "./support/config";

/** A stack file with this text, in a temporary folder. */
function stackFile(text: string): string {
    const file = path.join(scratch("stack-"), "Pulumi.test.yaml");
    fs.writeFileSync(file, text);
    return file;
}

function problems(run: () => unknown): string[] {
    try {
        run();
    } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return error.problems;
    }
    assert.fail("accepted");
}

describe("stack-config: from a stack file and Pulumi's flat config to the lab's config", () => {
    it("nests the project's keys, JSON for structured values and text for scalars, and ignores other projects", () => {
        assert.deepEqual(
            unflattenConfig({
                "boutique-mesh:scenario": "canary",
                "boutique-mesh:istio": '{"version":"1.29.2"}',
                "boutique-mesh:traffic": '  {"frontend":{"original":100}}',
                "boutique-mesh:list": "[1,2]",
                "boutique-mesh:text": "not {json}",
                "aws:region": "eu-west-1",
                "boutique-meshy:x": "1",
            }),
            {
                scenario: "canary",
                istio: { version: "1.29.2" },
                traffic: { frontend: { original: 100 } },
                list: [1, 2],
                text: "not {json}",
            },
        );
        assert.deepEqual(flattenConfig({ scenario: "canary", istio: { version: "1.29.2" } }), {
            "boutique-mesh:scenario": "canary",
            "boutique-mesh:istio": '{"version":"1.29.2"}',
        });
    });

    it("rejects the Kubernetes provider's keys, naming the lab's key where there is one, and every bad value at once", () => {
        assert.deepEqual(
            problems(() =>
                unflattenConfig({
                    "kubernetes:context": "kind-lab",
                    "kubernetes:kubeconfig": "/k",
                    "kubernetes:namespace": "x",
                    "boutique-mesh:istio": "{version",
                    "boutique-mesh:images": "[",
                }),
            ),
            [
                "kubernetes:context is not used (the lab's Kubernetes provider is explicit); set boutique-mesh:cluster.context instead",
                "kubernetes:kubeconfig is not used (the lab's Kubernetes provider is explicit); set boutique-mesh:cluster.kubeconfig instead",
                "kubernetes:namespace is not used (the lab's Kubernetes provider is explicit)",
                'boutique-mesh:istio = "{version": not valid JSON',
                'boutique-mesh:images = "[": not valid JSON',
            ],
        );
    });

    it("takes passwords, keys and registry credentials only as secrets", () => {
        const grafana = { addons: { grafana: { adminPassword: "correct-horse-battery" } } };
        const kiali = { addons: { kiali: { signingKey: "k".repeat(32) } } };
        const credentials = { images: { mirrors: { "gcr.io": "m.lab" }, copy: { enabled: true, credentials: { "m.lab": "bot:pw" } } } };
        for (const [config, key] of [
            [grafana, "addons.grafana.adminPassword"],
            [kiali, "addons.kiali.signingKey"],
            [credentials, "images.copy.credentials"],
        ] as const) {
            assert.deepEqual(
                problems(() => labConfigFrom(flattenConfig(config))),
                [`boutique-mesh:${key} is in plain text; set it with: pulumi config set --secret --path 'boutique-mesh:${key}' <value>`],
            );
            const top = `boutique-mesh:${key.split(".")[0]}`;
            assert.doesNotThrow(() => labConfigFrom(flattenConfig(config), [top]), key);
            assert.throws(() => labConfigFrom(flattenConfig(config), ["boutique-mesh:other"]), ConfigError, key);
        }
        assert.doesNotThrow(() => labConfigFrom(flattenConfig({ addons: { grafana: { enabled: true } } })), "no secret, nothing to hide");
        assert.equal(labConfigFrom(flattenConfig(grafana), ["boutique-mesh:addons"]).addons.grafana.adminPassword, "correct-horse-battery");
    });

    it("reads a stack file as the Pulumi CLI hands it to the program, secrets standing in as a placeholder", () => {
        const file = stackFile(
            [
                "encryptionsalt: v1:abc",
                "config:",
                "  boutique-mesh:scenario: canary",
                "  istio:",
                "    version: 1.29.2",
                "  boutique-mesh:addons:",
                "    grafana:",
                "      adminPassword:",
                "        secure: v1:AAAA",
                "    kiali:",
                "      auth: token",
                "  boutique-mesh:images:",
                "    mirrors:",
                "      gcr.io: m.lab",
                "    list:",
                "      - secure: v1:BBBB",
                "      - plain",
                "  aws:region: eu-west-1",
            ].join("\n"),
        );
        assert.deepEqual(readStackFile(file), {
            config: {
                "boutique-mesh:scenario": "canary",
                "boutique-mesh:istio": '{"version":"1.29.2"}',
                "boutique-mesh:addons": JSON.stringify({ grafana: { adminPassword: SECRET_PLACEHOLDER }, kiali: { auth: "token" } }),
                "boutique-mesh:images": JSON.stringify({ mirrors: { "gcr.io": "m.lab" }, list: [SECRET_PLACEHOLDER, "plain"] }),
                "aws:region": "eu-west-1",
            },
            secretKeys: ["boutique-mesh:addons", "boutique-mesh:images"],
        });
        assert.ok(SECRET_PLACEHOLDER.length >= 32, "long enough for the longest length rule (Kiali's 32-character key)");
        assert.deepEqual(readStackFile(stackFile("")), { config: {}, secretKeys: [] });
        assert.deepEqual(readStackFile(stackFile("encryptionsalt: x\n")), { config: {}, secretKeys: [] });
    });

    it("validates a stack file with its secrets", () => {
        const file = stackFile("config:\n  boutique-mesh:addons:\n    grafana:\n      adminPassword:\n        secure: v1:AAAA\n");
        assert.equal(loadStackFile(file).addons.grafana.adminPassword, SECRET_PLACEHOLDER);
        const plain = stackFile("config:\n  boutique-mesh:addons:\n    grafana:\n      adminPassword: hunter2-hunter2\n");
        assert.throws(() => loadStackFile(plain), /boutique-mesh:addons\.grafana\.adminPassword is in plain text/);
    });
});
