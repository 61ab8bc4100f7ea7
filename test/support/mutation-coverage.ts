/**
 * Loaded by Stryker only (tools/mutation/stryker.config.mjs, mochaOptions.require), never by `npm test`.
 *
 * Stryker's mocha runner learns which tests cover a mutant from a root `beforeEach` that names the
 * current test; nothing clears that name afterwards. Most suites here evaluate a lab in a `before`
 * hook, which runs before the first `beforeEach` of its suite, so what the evaluation executes would
 * be counted for the last test of the previous suite. A mutant in that code would then run with an
 * unrelated test only, and survive for no reason. This counts what a `before` hook executes for every
 * test of its suite, which is how those tests see it.
 */
import Mocha = require("mocha");

/** The part of Stryker's instrumenter context (global `__stryker__`) this reads and writes. */
interface InstrumenterContext {
    currentTestId?: string;
    mutantCoverage?: { static: Record<string, number>; perTest: Record<string, Record<string, number>> };
}

const context = (): InstrumenterContext | undefined => (globalThis as { __stryker__?: InstrumenterContext }).__stryker__;

/** Pseudo test ids of `before` hooks, with the suite whose tests inherit their coverage. */
const hooks = new Map<string, Mocha.Suite>();

type HookFunction = Mocha.Func | Mocha.AsyncFunc;

type BeforeAll = (this: Mocha.Suite, title?: string | HookFunction, fn?: HookFunction) => Mocha.Suite;
const beforeAll = Mocha.Suite.prototype.beforeAll as BeforeAll;
(Mocha.Suite.prototype as { beforeAll: BeforeAll }).beforeAll = function (title, fn) {
    const hook = typeof title === "function" ? title : fn;
    if (hook === undefined || hook.length > 0) return beforeAll.call(this, title, fn);
    const id = `before all hook #${hooks.size} of ${this.fullTitle() || "the root suite"}`;
    hooks.set(id, this);
    const counted = function (this: Mocha.Context): PromiseLike<unknown> | void {
        const instrumenter = context();
        const previous = instrumenter?.currentTestId;
        if (instrumenter) instrumenter.currentTestId = id;
        const restore = () => {
            if (instrumenter) instrumenter.currentTestId = previous;
        };
        try {
            const result = (hook as (this: Mocha.Context) => unknown).call(this);
            if (result instanceof Promise) return result.finally(restore);
            restore();
        } catch (error) {
            restore();
            throw error;
        }
    };
    return typeof title === "function" ? beforeAll.call(this, counted) : beforeAll.call(this, title, counted);
};

function testsOf(suite: Mocha.Suite): Mocha.Test[] {
    return [...suite.tests, ...suite.suites.flatMap(testsOf)];
}

/** Root hooks (mocha's `mochaHooks` plugin interface): after a run, hand each hook's coverage to its tests. */
export const mochaHooks = {
    afterAll() {
        const perTest = context()?.mutantCoverage?.perTest;
        if (perTest === undefined) return;
        for (const [id, suite] of hooks) {
            const covered = perTest[id];
            if (covered === undefined) continue;
            delete perTest[id];
            for (const test of testsOf(suite)) {
                const mine = (perTest[test.fullTitle()] ??= {});
                for (const [mutant, hits] of Object.entries(covered)) mine[mutant] = (mine[mutant] ?? 0) + hits;
            }
        }
    },
};
