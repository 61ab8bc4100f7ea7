/** A yes/no question for the person at the terminal, when there is one. */
import * as readline from "readline";

/**
 * A question on stderr, the answer from stdin; undefined when either is not a terminal (CI, a pipe, a
 * script): then nothing is asked and nothing is assumed.
 */
export function askOnTerminal(
    input: NodeJS.ReadStream = process.stdin,
    output: NodeJS.WriteStream = process.stderr,
): ((question: string) => Promise<boolean>) | undefined {
    if (!input.isTTY || !output.isTTY) return undefined;
    return (question) =>
        new Promise((resolve) => {
            const rl = readline.createInterface({ input, output });
            rl.question(question, (answer) => {
                rl.close();
                resolve(/^y(es)?$/i.test(answer.trim()));
            });
        });
}
