/** What a piece of code writes to stderr and stdout while it runs, kept from the test's output. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; err: string; out: string }> {
    const [err, out]: string[][] = [[], []];
    const [writeErr, writeOut] = [process.stderr.write, process.stdout.write];
    process.stderr.write = (chunk: string) => (err.push(String(chunk)), true);
    process.stdout.write = (chunk: string) => (out.push(String(chunk)), true);
    try {
        return { value: await fn(), err: err.join(""), out: out.join("") };
    } finally {
        process.stderr.write = writeErr;
        process.stdout.write = writeOut;
    }
}
