import { strict as assert } from "assert";
import { EXIT, UsageError, parseCommand, runCommand, stackTarget } from "../commands/args";
import { ConfigError } from "../config/schema";
import { main as lab } from "../commands/lab";
import { main as policyConfig } from "../commands/policy-config";
import { main as render } from "../commands/render";
import { main as verify } from "../commands/verify";
import { main as analyze } from "../tools/analyze/cli";
import { main as bench } from "../tools/bench/bench";
import { main as mutate } from "../tools/mutation/mutate";
import { captureStderr } from "./support/stderr";

const OPTIONS = { config: { type: "string" }, all: { type: "boolean" } } as const;

describe("args: one command-line convention for every command", () => {
    it("parses known options and positionals; an unknown option, a missing value or an extra argument is a usage error", () => {
        const parsed = parseCommand(["up", "--all", "--config", "f.yaml"], OPTIONS, 1);
        assert.deepEqual({ ...parsed.values }, { all: true, config: "f.yaml" });
        assert.deepEqual(parsed.positionals, ["up"]);
        assert.throws(
            () => parseCommand(["--force"], OPTIONS, 1),
            (e: Error) => e instanceof UsageError && e.message === "unknown option --force",
        );
        assert.throws(
            () => parseCommand(["--config"], OPTIONS, 1),
            (e: Error) => e instanceof UsageError && e.message === "--config: needs a value",
        );
        assert.throws(
            () => parseCommand(["--all=yes"], OPTIONS, 1),
            (e: Error) => e instanceof UsageError && e.message === "--all: takes no value",
        );
        assert.throws(
            () => parseCommand(["a", "b"], OPTIONS, 1),
            (e: Error) => e instanceof UsageError && e.message === "unexpected argument b",
        );
        assert.throws(() => parseCommand(["a"], {}), /unexpected argument a/);
    });

    it("answers --help on stdout with exit 0, before anything runs", async () => {
        let ran = false;
        const { value, out, err } = await captureStderr(() => runCommand("x", "usage: x", ["a", "--help"], () => ((ran = true), 0)));
        assert.deepEqual({ value, out, err, ran }, { value: EXIT.ok, out: "usage: x\n", err: "", ran: false });
    });

    it("turns every error into one line `<command>: <what>: <why>` and its exit code, never a stack trace", async () => {
        const cases: [unknown, number, RegExp][] = [
            [
                new UsageError("--format: must be json or yaml, not xml"),
                2,
                /^x: --format: must be json or yaml, not xml\n\(npm run x -- --help shows the usage\)\n$/,
            ],
            [
                new ConfigError(["boutique-mesh:istio.verison: unknown key"]),
                2,
                /^x: invalid configuration:\n {2}- boutique-mesh:istio\.verison: unknown key\n$/,
            ],
            [new Error("could not reach the shop at http://h/: ECONNREFUSED"), 1, /^x: could not reach the shop at http:\/\/h\/: ECONNREFUSED\n$/],
            ["a thrown string", 1, /^x: a thrown string\n$/],
        ];
        for (const [error, code, message] of cases) {
            const { value, err } = await captureStderr(() =>
                runCommand("x", "usage", [], () => {
                    throw error;
                }),
            );
            assert.equal(value, code, String(error));
            assert.match(err, message);
        }
        assert.equal((await captureStderr(() => runCommand("x", "usage", [], () => Promise.resolve(EXIT.failed)))).value, 1);
    });

    it("names a stack file by <stack> or --config FILE, and says which exist when neither does", () => {
        assert.equal(stackTarget("dev", undefined).shown, "Pulumi.dev.yaml");
        assert.throws(() => stackTarget(undefined, undefined), /name a stack or give --config FILE/);
        assert.throws(() => stackTarget("nope", undefined), /no stack file Pulumi\.nope\.yaml; stacks: .*dev/);
        assert.throws(() => stackTarget(undefined, "/nonexistent/Pulumi.x.yaml"), /--config: no such file: \/nonexistent\/Pulumi\.x\.yaml/);
        assert.equal(stackTarget(undefined, "Pulumi.dev.yaml").stack, "dev");
    });

    it("every command answers --help the same way: its usage on stdout, nothing on stderr, exit 0", async () => {
        const commands = { lab, "policy-config": policyConfig, render, verify, analyze, bench, mutate };
        for (const [name, main] of Object.entries(commands)) {
            const { value, out, err } = await captureStderr(() => main(["--help"]));
            assert.equal(value, 0, name);
            assert.match(out, new RegExp(`^usage: npm run (-s )?${name}\\b`), name);
            assert.equal(err, "", name);
        }
    });

    it("every command refuses an unknown option the same way: one line naming it, exit 2", async () => {
        const commands = { lab, "policy-config": policyConfig, render, verify, analyze, bench, mutate };
        for (const [name, main] of Object.entries(commands)) {
            const { value, out, err } = await captureStderr(() => main(["--no-such-option"]));
            assert.equal(value, 2, name);
            assert.equal(out, "", name);
            assert.equal(err.split("\n")[0], `${name}: unknown option --no-such-option`, name);
        }
    });
});
