import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { EQUIVALENTS_FILE, main, readEquivalents, scoreReport } from "../tools/mutation/mutate";
import { captureStderr } from "./support/stderr";

const source = 'export const a = x > 1 ? "big" : "small";\nexport const b = y === 0;\n';
const mutant = (status: string, mutatorName: string, replacement: string, line: number, column: number, endColumn: number) => ({
    mutatorName,
    replacement,
    status,
    location: { start: { line, column }, end: { line, column: endColumn } },
});

describe("mutate: the score per file, with equivalent mutants set aside", () => {
    it("scores killed (and timed out) against survivors, leaves invalid mutants out, and names each survivor", () => {
        const report = {
            files: {
                "x.ts": {
                    source,
                    mutants: [
                        mutant("Killed", "EqualityOperator", "x >= 1", 1, 18, 23),
                        mutant("Timeout", "StringLiteral", '""', 1, 26, 31),
                        mutant("Survived", "StringLiteral", '""', 1, 34, 41),
                        mutant("NoCoverage", "ConditionalExpression", "true", 2, 18, 25),
                        mutant("CompileError", "BooleanLiteral", "!y", 2, 18, 19),
                        mutant("Ignored", "BlockStatement", "{}", 2, 1, 26),
                    ],
                },
            },
        };
        const { scores, stale } = scoreReport(report, []);
        assert.deepEqual(stale, []);
        assert.deepEqual(scores, [
            {
                file: "x.ts",
                killed: 2,
                survived: 2,
                equivalent: 0,
                score: 50,
                unexplained: ['x.ts:1:34 StringLiteral: "small" -> ""', "x.ts:2:18 ConditionalExpression: y === 0 -> true (no test runs this code)"],
            },
        ]);
    });

    it("matches an equivalent mutant by file, mutator, original code and replacement, and reports entries that match nothing", () => {
        const report = {
            files: {
                "x.ts": { source, mutants: [mutant("Survived", "StringLiteral", '""', 1, 34, 41), mutant("Killed", "EqualityOperator", "x >= 1", 1, 18, 23)] },
            },
        };
        const equivalent = { file: "x.ts", mutator: "StringLiteral", original: '"small"', replacement: '""', reason: "r" };
        const elsewhere = { ...equivalent, file: "y.ts" };
        const killed = { file: "x.ts", mutator: "EqualityOperator", original: "x > 1", replacement: "x >= 1", reason: "r" };
        const { scores, stale } = scoreReport(report, [equivalent, elsewhere, killed, { ...equivalent, replacement: '"Stryker was here!"' }]);
        assert.deepEqual(scores, [{ file: "x.ts", killed: 1, survived: 0, equivalent: 1, score: 100, unexplained: [] }]);
        assert.deepEqual(stale, [killed, { ...equivalent, replacement: '"Stryker was here!"' }], "entries of files not in the report are not judged");
        const onLine = { ...equivalent, line: '? "big" : "small"' };
        assert.equal(scoreReport(report, [onLine]).scores[0].equivalent, 1);
        const otherLine = { ...equivalent, line: "y === 0" };
        assert.deepEqual(scoreReport(report, [otherLine]).stale, [otherLine], "the same change on another line is another mutant");
    });

    it("reads tools/mutation/equivalent-mutants.yaml, each entry with every field and a reason", () => {
        for (const e of readEquivalents()) {
            assert.ok(fs.existsSync(path.join(path.dirname(EQUIVALENTS_FILE), "..", "..", e.file)), `${e.file} exists`);
            assert.ok(e.reason.length > 20, `${e.file} ${e.original}: a reason`);
        }
        const file = path.join(scratch("equivalents-"), "e.yaml");
        fs.writeFileSync(file, "- file: x.ts\n  mutator: StringLiteral\n  original: '\"a\"'\n  replacement: '\"\"'\n");
        assert.throws(() => readEquivalents(file), /e\.yaml: entry 1 lacks reason/);
    });

    it("stops on a bad command line before starting Stryker", async () => {
        const bad = [
            ["--concurrency", "4"],
            ["no/such/file.ts"],
            ["--changed", "config/duration.ts"],
            ["--changed", "--base", "no-such-ref-anywhere"],
            ["--bogus"],
            ["--base", "main"],
        ];
        const { value: codes, err } = await captureStderr(async () => {
            const codes: number[] = [];
            for (const argv of bad) codes.push(await main(argv));
            return codes;
        });
        assert.deepEqual(codes, [2, 2, 2, 2, 2, 2]);
        assert.match(err, /^mutate: --concurrency: must be 1 or 2, not 4$/m);
        assert.match(err, /^mutate: no such file or folder: no\/such\/file\.ts$/m);
        assert.match(err, /^mutate: give files or --changed, not both$/m);
        assert.match(err, /^mutate: --base: git merge-base no-such-ref-anywhere HEAD: /m);
        assert.match(err, /^mutate: unknown option --bogus$/m);
        assert.match(err, /^mutate: --base goes with --changed$/m);
    });
});
