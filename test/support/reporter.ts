/**
 * Mocha's spec reporter plus one plain closing line, "tests: N passed, N failed, N skipped", which CI
 * reads the same way for any runner; it also tells test/support/runnable.ts what is running. `npm test` and
 * `npm run e2e` both close with it, so the last lines .ci/run prints always say how many tests ran.
 */
import Mocha = require("mocha");
import { setRunning } from "./runnable";

/*
 * Mocha's spec marks, ✔ and ✖, are the ones node's own test runner prints, whose closing lines (`ℹ tests N`) CI
 * also reads; other marks keep this output from passing for that runner's. (A guess at why CI counted no test in
 * runs that passed every test: the counting is not visible from here.)
 */
Mocha.reporters.Base.symbols.ok = "✓";
Mocha.reporters.Base.symbols.err = "✗";

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.on(Mocha.Runner.constants.EVENT_HOOK_BEGIN, setRunning);
        runner.on(Mocha.Runner.constants.EVENT_TEST_BEGIN, setRunning);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const { passes, failures, pending } = this.stats;
            // After the spec reporter's own epilogue.
            process.nextTick(() => console.log(`tests: ${passes} passed, ${failures} failed, ${pending} skipped`));
        });
    }
}

export = SpecWithSummary;
