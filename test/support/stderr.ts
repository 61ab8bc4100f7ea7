/** What a piece of code writes to stderr while it runs, kept from the test's output. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; err: string }> {
    const err: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
        return { value: await fn(), err: err.join("") };
    } finally {
        process.stderr.write = write;
    }
}
