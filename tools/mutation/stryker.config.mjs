// @ts-check
/**
 * Mutation testing (StrykerJS 9, the line that runs on Node 20). Run it through `npm run mutate`
 * (tools/mutation/mutate.ts), which takes file names, runs at low CPU priority and accounts for the
 * equivalent mutants listed in tools/mutation/equivalent-mutants.yaml. See docs/testing.md.
 */
import * as fs from "node:fs";

/** The logic whose tests the mutation score measures. */
export const SCOPE = [
    "config/duration.ts",
    "config/object-path.ts",
    "config/schema.ts",
    "config/stack.ts",
    "stacks/*.ts",
    "commands/verify/callgraph.ts",
    "components/routing/objects.ts",
    "components/routing/traffic.ts",
    "components/routing/gateway-api.ts",
    "catalog/gateway-api.ts",
    "catalog/ambient.ts",
    "components/mesh/ambient.ts",
    "components/images/references.ts",
    "components/chart-transforms.ts",
    "components/transforms.ts",
    "components/awaits.ts",
    "components/teardown.ts",
    "commands/timings.ts",
    "commands/phases.ts",
    "commands/preflight/cli.ts",
    "commands/preflight/default-cluster.ts",
    "tools/bench/critical-path.ts",
    "components/mesh/charts.ts",
    "components/addons/values.ts",
    "components/shop/workloads.ts",
    "components/cluster/kubeconfig.ts",
    "catalog/releases.ts",
    "catalog/cluster-objects.ts",
    "tools/analyze/analyze.ts",
    "commands/verify/plan.ts",
    "commands/verify/stats.ts",
    "policy/policies.ts",
];

/**
 * Specs that judge the scoped logic directly and fail fast come first: a mutant that loads with a
 * module (a preset, a schema) runs every spec in order until one fails.
 */
const FIRST = [
    "releases",
    "gateway-api",
    "addon-values",
    "workloads",
    "fresh-laptop",
    "chart-transforms",
    "awaits",
    "teardown",
    "timings",
    "charts",
    "target",
    "duration",
    "object-path",
    "stats",
    "images",
    "istio-objects",
    "scenario",
    "stack-config",
    "config",
    "schema",
    "mutate",
    "policy",
    "traffic",
    "ambient",
    "analyze",
    "scenarios",
    "verify",
    "catalog",
    "stacks",
]
    .map((name) => `test/${name}.spec.ts`)
    .filter((file) => fs.existsSync(file));
const SPECS = [
    ...FIRST,
    ...fs
        .readdirSync("test")
        .filter((file) => file.endsWith(".spec.ts"))
        .map((file) => `test/${file}`)
        .filter((file) => !FIRST.includes(file))
        // Which stack files git tracks: the sandbox is a copy git does not track.
        .filter((file) => file !== "test/project.spec.ts"),
];

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
    mutate: SCOPE,
    testRunner: "mocha",
    mochaOptions: {
        spec: SPECS,
        // mutation-coverage.ts counts what a suite's `before` hook runs for the suite's tests.
        require: ["ts-node/register/transpile-only", "./test/support/mutation-coverage.ts"],
    },
    checkers: ["typescript"],
    tsconfigFile: "tsconfig.json",
    // Each mutant runs only the tests that execute its code.
    coverageAnalysis: "perTest",
    // Results are reused for mutants whose code and tests did not change; the file is git-ignored.
    incremental: true,
    incrementalFile: "reports/stryker-incremental.json",
    // Two cores shared with others: one checker and one test runner, then two test runners.
    concurrency: 2,
    // A busy machine slows everything: the first full run may take minutes, and a mutant is a
    // timeout only well past its tests' normal time.
    dryRunTimeoutMinutes: 30,
    timeoutMS: 20000,
    timeoutFactor: 2.5,
    reporters: ["clear-text", "progress-append-only", "html", "json"],
    clearTextReporter: { reportMutants: false, reportTests: false, reportScoreTable: true },
    htmlReporter: { fileName: "reports/mutation/mutation.html" },
    jsonReporter: { fileName: "reports/mutation/mutation.json" },
    thresholds: { high: 90, low: 85, break: null },
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
};
