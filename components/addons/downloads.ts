/** How the program downloads a file at deploy time. The offline harness swaps in a stand-in. */
export type FetchText = (url: string, timeoutMs?: number) => Promise<string>;

const overHttp: FetchText = async (url, timeoutMs) => {
    const response = await fetch(url, timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {});
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return response.text();
};

let downloader: FetchText = overHttp;

/** Downloads a text file with the current downloader. */
export function fetchText(url: string, timeoutMs?: number): Promise<string> {
    return downloader(url, timeoutMs);
}

/** Replaces the downloader (for offline evaluation); returns the one it replaced. */
export function setDownloader(next: FetchText): FetchText {
    const previous = downloader;
    downloader = next;
    return previous;
}
