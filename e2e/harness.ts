/**
 * One e2e run: the tools, a control plane, the loopback repository of stand-in charts and dashboards, and
 * the project copied into a run folder with its stack files pointed at them. Everything lives under
 * the run folder (kept on failure, for its logs) and every process stops with `stop()`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { addonRelease, istioDashboards } from "../catalog/addons";
import { loadStackFile } from "../config/stack";
import {
    baseChart,
    cniChart,
    gatewayChart,
    grafanaChart,
    istiodChart,
    kialiChart,
    LoopbackServer,
    prometheusChart,
    writeRepository,
    ztunnelChart,
} from "./charts";
import { ControlPlane, kwokStageFiles } from "./cluster";
import { Changes, LAB_COMMAND_LIMIT_MS, Lab, LabRun, copyProject, setStackConfig } from "./project";
import { strict as assert } from "assert";
import { PROJECT_DIR } from "../config/project";
import { lockedVersion } from "../commands/preflight/tools";
import { gatewayApiVersion } from "../catalog/gateway-api";
import { Built, KUBERNETES_PROVIDER, ensureTools } from "./tools";
import { execFileSync } from "child_process";

/** The folder of a Go module at a version, from the Go module proxy (its cache). */
function moduleDir(module: string, version: string): string {
    const json = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
    const { Dir, Error: error } = JSON.parse(json) as { Dir?: string; Error?: string };
    if (!Dir) throw new Error(`${module} ${version} is not available from the Go module proxy: ${error}`);
    return Dir;
}

/** Istio's CRD file of istio.io/api at an Istio version, from the Go module proxy. */
function istioCrds(istioVersion: string): string {
    return fs.readFileSync(path.join(moduleDir("istio.io/api", `v${istioVersion}`), "kubernetes", "customresourcedefinitions.gen.yaml"), "utf8");
}

/**
 * Gateway API's standard-channel install file at a version, made as its release makes it (kubernetes-sigs/
 * gateway-api v1.6.0 hack/build-install-yaml.sh: every config/crd/standard/gateway*.yaml, in order, each after
 * a `---`), from the sigs.k8s.io/gateway-api module of the Go module proxy. Returns the file and its objects.
 */
export function gatewayApiInstall(version: string): { yaml: string; objects: number } {
    const folder = path.join(moduleDir("sigs.k8s.io/gateway-api", version), "config", "crd", "standard");
    const files = fs
        .readdirSync(folder)
        .filter((f) => /^gateway.*\.yaml$/.test(f))
        .sort();
    const yaml = files.map((f) => `---\n# config/crd/standard/${f}\n${fs.readFileSync(path.join(folder, f), "utf8")}`).join("");
    const objects = yaml.split(/^---$/m).filter((doc) => /^kind: /m.test(doc)).length;
    return { yaml, objects };
}

/** Where the e2e's loopback server has the Gateway API install file, as `istio.gatewayApiCrdsUrl` takes it. */
export function gatewayApiCrdsUrl(repoUrl: string): string {
    return `${repoUrl}/gateway-api/{version}/standard-install.yaml`;
}

/**
 * The default Istio release before 1.31.1: the first up brings the lab up at it, as a lab made before the
 * default moved, and the next up upgrades that lab in place to today's default.
 */
export const PREVIOUS_DEFAULT_ISTIO = "1.30.3";

/** Secrets the e2e stacks set, so no random resource is needed (the proxy serves no pulumi-random provider). */
export const E2E_SECRETS = {
    "boutique-mesh:addons.grafana.adminPassword": "e2e-grafana-admin-password",
    "boutique-mesh:addons.kiali.signingKey": "e2e-kiali-signing-key-32-chars!!",
};

export class Run {
    readonly figures: { phase: string; seconds: number; create?: number; update?: number; replace?: number; delete?: number }[] = [];

    private constructor(
        readonly dir: string,
        readonly tools: Built[],
        readonly plane: ControlPlane,
        readonly repo: LoopbackServer,
        readonly lab: Lab,
        readonly istioVersion: string,
        /** How many objects the Gateway API install file holds: what a stack's CRD bundle creates. */
        readonly gatewayApiObjects: number,
    ) {}

    /** `name` tags every progress line of this run: the spec files run two at a time, their lines interleave. */
    static async start(name: string): Promise<Run> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-e2e-"));
        const note = (text: string) => process.stderr.write(`e2e ${name}: ${text}\n`);
        note(`run folder ${dir}`);
        const tools = await ensureTools();
        const bin = (name: string) => path.join(tools.find((t) => t.tool === name)!.bin, name);
        const kubeBin = (name: string) => path.join(tools.find((t) => t.tool === "kubernetes")!.bin, name);
        const kwokTool = tools.find((t) => t.tool === "kwok")!;

        note("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok");
        const plane = await ControlPlane.start(path.join(dir, "cluster"), {
            etcd: bin("etcd"),
            kubeApiserver: kubeBin("kube-apiserver"),
            kubeControllerManager: kubeBin("kube-controller-manager"),
            kubeScheduler: kubeBin("kube-scheduler"),
            kwok: bin("kwok"),
            kwokStages: kwokStageFiles(kwokTool.version),
        });

        // The lab's own config says which charts and dashboards it will ask for; an existing lab of the
        // previous default is served too, for the in-place upgrade.
        const istioVersion = loadStackFile(path.join(PROJECT_DIR, "Pulumi.dev.yaml")).istio.version;
        const versions = [PREVIOUS_DEFAULT_ISTIO, istioVersion];
        const releases = versions.map((v) => addonRelease(v).release);
        const distinct = (list: string[]) => [...new Set(list)];
        const www = path.join(dir, "www");
        writeRepository(
            path.join(www, "istio"),
            versions.flatMap((v) => [baseChart(v, istioCrds(v)), istiodChart(v), gatewayChart(v), cniChart(v), ztunnelChart(v)]),
        );
        writeRepository(path.join(www, "prometheus"), distinct(releases.map((r) => r.prometheus.chart)).map(prometheusChart));
        writeRepository(path.join(www, "grafana"), distinct(releases.map((r) => r.grafana.chart)).map(grafanaChart));
        writeRepository(path.join(www, "kiali"), distinct(releases.map((r) => r.kiali.chart)).map(kialiChart));
        for (const version of versions) {
            const dashboards = path.join(www, "dashboards", version);
            fs.mkdirSync(dashboards, { recursive: true });
            for (const d of istioDashboards(version))
                fs.writeFileSync(path.join(dashboards, d.file), JSON.stringify({ title: `${d.title} (e2e stand-in)`, panels: [] }));
        }
        // The Gateway API CRDs a gateway-api stack downloads, where the release asset would be.
        const gatewayApiAt = path.join(www, "gateway-api", gatewayApiVersion(istioVersion)!);
        const gatewayApi = gatewayApiInstall(path.basename(gatewayApiAt));
        fs.mkdirSync(gatewayApiAt, { recursive: true });
        fs.writeFileSync(path.join(gatewayApiAt, "standard-install.yaml"), gatewayApi.yaml);
        const repo = await LoopbackServer.start(www);

        // The Pulumi CLI's distribution ships small scripts beside the binary that start Node.js policy packs
        // when no language host is installed (pulumi/pulumi v3.248.0 sdk/go/common/resource/plugin/
        // analyzer_plugin.go, NewPolicyAnalyzer: "pulumi-analyzer-policy-<runtime>", run in the pack's folder
        // with the engine address and "."). A build from the module has none: this is that script.
        const scripts = path.join(dir, "bin");
        fs.mkdirSync(scripts);
        fs.writeFileSync(
            path.join(scripts, "pulumi-analyzer-policy-nodejs"),
            '#!/bin/sh\nexec node "$(node -p \'require.resolve("@pulumi/pulumi/cmd/run-policy-pack")\')" "$@"\n',
            { mode: 0o755 },
        );

        const project = path.join(dir, "project");
        copyProject(project);
        const pulumiHome = path.join(dir, "pulumi-home");
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            // kubectl of the control plane's release, as a user has it: the lab's preflight reads the cluster with it.
            PATH: [path.dirname(bin("pulumi")), path.dirname(bin("kubectl")), scripts, process.env.PATH].join(path.delimiter),
            PULUMI_HOME: pulumiHome,
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            KUBECONFIG: plane.kubeconfig,
        };
        fs.mkdirSync(path.join(dir, "state"));
        const lab = new Lab(project, env, path.join(dir, "lab.log"), note);
        // The provider as the engine looks it up: in the plugin cache, at the version the SDK asks for.
        lab.pulumi(["plugin", "install", "resource", "kubernetes", lockedVersion("@pulumi/kubernetes"), "--file", bin("pulumi-resource-kubernetes")]);
        const stackFiles = fs.readdirSync(project).filter((f) => /^Pulumi\..+\.yaml$/.test(f) && f !== "Pulumi.yaml");
        for (const file of stackFiles) {
            const { istio } = loadStackFile(path.join(project, file));
            setStackConfig(path.join(project, file), {
                "boutique-mesh:cluster": { kubeconfig: plane.kubeconfig },
                // Only where the stack installs the Gateway API CRDs (its routes, or ambient's waypoint): the program
                // before the layout move knows no such key.
                "boutique-mesh:istio": {
                    chartRepository: `${repo.url}/istio`,
                    ...(istio.routingApi === "gateway-api" || istio.dataPlane === "ambient" ? { gatewayApiCrdsUrl: gatewayApiCrdsUrl(repo.url) } : {}),
                },
                "boutique-mesh:addons": {
                    chartRepositories: { prometheus: `${repo.url}/prometheus`, grafana: `${repo.url}/grafana`, kiali: `${repo.url}/kiali` },
                    grafana: { dashboardsUrl: `${repo.url}/dashboards/{version}` },
                },
            });
        }
        for (const stack of stackFiles.map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)![1])) {
            lab.pulumi(["stack", "init", stack]);
            for (const [key, value] of Object.entries(E2E_SECRETS)) lab.pulumi(["config", "set", "--secret", "--path", key, value, "--stack", stack]);
        }
        note(`kubernetes provider ${KUBERNETES_PROVIDER.version} installed; charts and dashboards on ${repo.url}`);
        return new Run(dir, tools, plane, repo, lab, istioVersion, gatewayApi.objects);
    }

    /** Runs a lab command as a step of the run: it must succeed and print the engine's counts; its figures are kept. */
    async step(phase: string, args: string[]): Promise<LabRun & { changes: Changes }> {
        const result = await this.lab.run(args);
        const ended = result.limitExceeded ? `was still running after ${LAB_COMMAND_LIMIT_MS / 60_000} min and was interrupted` : "failed";
        assert.equal(result.code, 0, `npm run lab -- ${args.join(" ")} ${ended}:\n${result.output.split("\n").slice(-40).join("\n")}`);
        assert.ok(result.changes, `npm run lab -- ${args.join(" ")} printed no change summary`);
        this.figures.push({ phase, seconds: result.seconds, ...result.changes });
        return { ...result, changes: result.changes };
    }

    async stop(): Promise<void> {
        this.lab.stop();
        await this.repo.stop();
        await this.plane.stop();
    }
}
