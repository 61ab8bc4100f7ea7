/**
 * The same lab installed by hand, as a script of Helm and kubectl commands would: the yardstick of
 * `npm run e2e`'s benchmark. What it installs is what the program declares for the stack, read offline
 * (`npm run render`: the charts with the values the lab gives them, and the lab's own objects), in the
 * reference lab's order: the namespaces; `helm install` base, istiod `--wait`, the gateways `--wait`,
 * prometheus, grafana, kiali-server `--wait`; `kubectl apply` of the lab's other objects; `kubectl
 * wait` until every Deployment is Available. Its teardown: `kubectl delete` of those objects, `helm
 * uninstall` of every release, then the CRDs Helm keeps and the namespaces.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { ChartInputs, DeclaredResource, evaluateStack } from "../mocks/evaluate";
import { teeOutput } from "./project";

const CHART = "kubernetes:helm.sh/v4:Chart";

/** One `helm install`, as the lab's Chart declares it. */
export interface HelmRelease {
    release: string;
    chart: string;
    version: string;
    repo: string;
    namespace: string;
    values: Record<string, unknown>;
    /** `--wait`: what comes next needs its workloads ready. */
    wait: boolean;
}

/** What a by-hand install of a stack's lab runs. */
export interface ByHandPlan {
    namespaces: string[];
    releases: HelmRelease[];
    /** The lab's own objects besides the namespaces, one manifest. */
    manifest: string;
}

/** The reference lab's order of charts; the releases waited for are the ones the next step needs. */
const ORDER = ["base", "istiod", "gateway", "prometheus", "grafana", "kiali-server"];
const WAITED = new Set(["istiod", "gateway", "kiali-server"]);

function release(r: DeclaredResource): HelmRelease {
    const inputs = r.inputs as ChartInputs;
    if (!inputs.repositoryOpts?.repo || !inputs.version || !inputs.name || !inputs.namespace) {
        throw new Error(`${r.name}: a chart without repository, version, release or namespace cannot be installed by hand`);
    }
    return {
        release: inputs.name,
        chart: inputs.chart,
        version: inputs.version,
        repo: inputs.repositoryOpts.repo,
        namespace: inputs.namespace,
        values: inputs.values ?? {},
        wait: WAITED.has(inputs.chart),
    };
}

/** The stack's lab as commands: what the program declares, read offline from the stack file. */
export async function byHandPlan(stack: string, stackFile: string): Promise<ByHandPlan> {
    const { resources } = await evaluateStack(stack, stackFile);
    const releases = resources
        .filter((r) => r.type === CHART)
        .map(release)
        .sort((a, b) => ORDER.indexOf(a.chart) - ORDER.indexOf(b.chart));
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== CHART && typeof r.inputs.kind === "string");
    const namespaces = objects.filter((r) => r.inputs.kind === "Namespace").map((r) => r.inputs.metadata.name as string);
    const manifest = objects
        .filter((r) => r.inputs.kind !== "Namespace")
        .map((r) => `---\n${stringify(r.inputs)}`)
        .join("");
    return { namespaces, releases, manifest };
}

/** Runs Helm and kubectl against one cluster, each command logged. */
export class ByHand {
    constructor(
        private readonly dir: string,
        private readonly env: NodeJS.ProcessEnv,
        private readonly bin: { helm: string; kubectl: string },
        private readonly log: string,
    ) {
        fs.mkdirSync(dir, { recursive: true });
    }

    private run(command: string, args: string[]): Promise<void> {
        fs.appendFileSync(this.log, `\n$ ${path.basename(command)} ${args.join(" ")}\n`);
        return new Promise((resolve, reject) => {
            const child = spawn(command, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
            const output = teeOutput(child, this.log);
            child.on("error", reject);
            const started = Date.now();
            child.on("close", (code) => {
                fs.appendFileSync(this.log, `(exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
                if (code === 0) resolve();
                else reject(new Error(`${path.basename(command)} ${args.join(" ")} exited with ${code}:\n${output().slice(-2000)}`));
            });
        });
    }

    private kubectl(...args: string[]): Promise<void> {
        return this.run(this.bin.kubectl, args);
    }

    private helm(...args: string[]): Promise<void> {
        return this.run(this.bin.helm, args);
    }

    /** The install, in the reference lab's order; returns its seconds. */
    async install(plan: ByHandPlan): Promise<number> {
        const started = Date.now();
        for (const namespace of plan.namespaces) await this.kubectl("create", "namespace", namespace);
        for (const r of plan.releases) {
            const values = path.join(this.dir, `${r.release}-values.yaml`);
            fs.writeFileSync(values, stringify(r.values));
            const wait = r.wait ? ["--wait", "--timeout", "10m"] : [];
            await this.helm("install", r.release, r.chart, "--repo", r.repo, "--version", r.version, "--namespace", r.namespace, "--values", values, ...wait);
        }
        const manifest = path.join(this.dir, "objects.yaml");
        fs.writeFileSync(manifest, plan.manifest);
        await this.kubectl("apply", "--filename", manifest);
        for (const namespace of plan.namespaces)
            await this.kubectl("wait", "--for=condition=Available", "deployment", "--all", "--namespace", namespace, "--timeout=10m");
        return (Date.now() - started) / 1000;
    }

    /** The teardown, back to the cluster as it was; returns its seconds. */
    async teardown(plan: ByHandPlan, keptCrds: string[]): Promise<number> {
        const started = Date.now();
        await this.kubectl("delete", "--filename", path.join(this.dir, "objects.yaml"), "--wait");
        for (const r of [...plan.releases].reverse()) await this.helm("uninstall", r.release, "--namespace", r.namespace, "--wait");
        // Helm leaves what a chart marks `helm.sh/resource-policy: keep`: Istio's CRDs.
        if (keptCrds.length > 0) await this.kubectl("delete", "customresourcedefinition", ...keptCrds, "--wait");
        await this.kubectl("delete", "namespace", ...plan.namespaces, "--wait");
        return (Date.now() - started) / 1000;
    }
}
