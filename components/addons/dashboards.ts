/**
 * Istio's Grafana dashboards, downloaded while the program runs (`addons.grafana.dashboardsUrl`;
 * Istio's repository by default). Every download has a deadline. A preview that cannot download
 * shows the dashboards as values known only at deploy time, with one warning; an up that cannot
 * download stops with the URL, the reason and the key that sets it.
 */
import * as pulumi from "@pulumi/pulumi";
import { FetchText, fetchText } from "./downloads";

/** How long one download may take: a preview can do without, so it gives up sooner. */
export const DOWNLOAD_TIMEOUT_MS = { preview: 10_000, up: 60_000 } as const;

/** A dashboard: its key in the ConfigMap, its title, where it is downloaded from. */
export interface DashboardSource {
    key: string;
    title: string;
    url: string;
}

/** Rejects with "no answer within Ns" when the download takes longer than its deadline. */
function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Downloads a dashboard and compacts its JSON; a failure names the URL, the reason and the key to change. */
export async function dashboardJson({ url, title }: DashboardSource, timeoutMs: number, download: FetchText = fetchText): Promise<string> {
    let text: string;
    try {
        text = await withDeadline(download(url, timeoutMs), timeoutMs);
    } catch (error) {
        throw new Error(
            `could not download Istio's "${title}" from ${url} (${(error as Error).message}); set boutique-mesh:addons.grafana.dashboardsUrl to a reachable copy`,
            { cause: error },
        );
    }
    try {
        return JSON.stringify(JSON.parse(text));
    } catch {
        throw new Error(`${url} is not a Grafana dashboard (not JSON); check boutique-mesh:addons.grafana.dashboardsUrl`);
    }
}

export interface DashboardOptions {
    /** A preview (pulumi.runtime.isDryRun()): failures become unknown values and one warning. */
    preview: boolean;
    warn: (message: string) => void;
    download?: FetchText;
    timeoutMs?: number;
}

/** The dashboards ConfigMap's data, key by key. */
export function dashboardData(sources: DashboardSource[], options: DashboardOptions): Record<string, pulumi.Input<string>> {
    const timeoutMs = options.timeoutMs ?? (options.preview ? DOWNLOAD_TIMEOUT_MS.preview : DOWNLOAD_TIMEOUT_MS.up);
    let warned = false;
    const entry = (source: DashboardSource): pulumi.Input<string> => {
        const json = dashboardJson(source, timeoutMs, options.download);
        if (!options.preview) return pulumi.output(json);
        // Unknown in a preview, as any value a deploy computes: the engine shows it as such.
        const unknown = pulumi.unknown as unknown as string;
        return pulumi.output(
            json.catch((error: Error) => {
                if (!warned) {
                    warned = true;
                    options.warn(`${error.message}. The preview shows Istio's dashboards as unknown; up downloads them and stops if it cannot.`);
                }
                return unknown;
            }),
        );
    };
    return Object.fromEntries(sources.map((source) => [source.key, entry(source)]));
}
