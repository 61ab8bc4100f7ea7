/**
 * The hook or test mocha is running, as the reporter sees it start (test/support/reporter.ts): work a
 * spec does on demand (an evaluation of the program, a command it runs) extends that runnable's timeout
 * by its own budget, so the suite's timeouts follow what each spec does rather than one wall-clock limit.
 */
import type Mocha = require("mocha");

let running: Mocha.Runnable | undefined;

export function setRunning(runnable: Mocha.Runnable): void {
    running = runnable;
}

/** Gives the running hook or test `ms` more before it times out (mocha restarts its timer). */
export function extendTimeout(ms: number): void {
    const current = running?.timeout();
    if (running !== undefined && current !== undefined && current > 0) running.timeout(current + ms);
}

/** The budget of one command a spec runs (a script, a ts-node tool): seconds here, much more on a loaded machine. */
export const COMMAND_BUDGET_MS = 60_000;
