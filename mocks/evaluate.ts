/**
 * Runs the real Pulumi program (index.ts) without the Pulumi CLI or a cluster: Pulumi's mocks
 * stand in for the engine, and every resource the program declares is recorded with its inputs,
 * parent, dependencies and provider. Used by the tests, `npm run render` and `npm run bench`.
 */
import * as pulumi from "@pulumi/pulumi";
import { FetchText, setDownloader } from "../components/addons/downloads";
import { PROGRAM, stackFile } from "../config/project";
import { PROJECT } from "../config/schema";
import { FlatConfig, StackConfig, labConfigFrom, readStackFile } from "../config/stack";
import { partsOf } from "../components/transforms";

/**
 * A resource's inputs, whatever its type. The specs read them field by field; the tools read them
 * through a typed view (KubeObject, ChartInputs, or kubernetes-models' interfaces).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs of every resource type, typed by their readers
export type Inputs = Record<string, any>;

/** What every Kubernetes object's inputs hold. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** What the tools read of a helm.v4.Chart's inputs. */
export interface ChartInputs {
    chart: string;
    version?: string;
    name?: string;
    namespace?: string;
    repositoryOpts?: { repo?: string };
    values?: Record<string, unknown>;
}

/** One declared resource, as the engine would receive it. */
export interface DeclaredResource {
    /** Pulumi type token, e.g. "kubernetes:apps/v1:Deployment". */
    type: string;
    /** Pulumi resource name. */
    name: string;
    /** Inputs, resolved to plain values. */
    inputs: Inputs;
    /** Name of the parent resource, absent for the stack itself. */
    parent?: string;
    /** Names of the resources it explicitly depends on. */
    dependsOn: string[];
    /** Name of the explicit provider, when one was given. */
    provider?: string;
    /** Where in `inputs` Pulumi holds a secret ("stringData.admin-password"). */
    secretPaths: string[];
    /**
     * Function names of the resource's own transforms (the engine also runs its ancestors' on it, and
     * on a chart's objects); names keep the record plain data.
     */
    transforms: string[];
    /** Options that decide what a teardown deletes. */
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    /** Name of the resource whose deletion deletes this one. */
    deletedWith?: string;
    /** Outputs the engine keeps as secrets in the state. */
    additionalSecretOutputs?: string[];
}

/** How the engine's wire format marks a secret value (the SDK's specialSigKey and specialSecretSig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The inputs with secrets replaced by their values, and where the secrets were. */
export function revealSecrets(value: unknown, path = "", found: string[] = []): { value: unknown; secretPaths: string[] } {
    if (value === null || typeof value !== "object") return { value, secretPaths: found };
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) {
        found.push(path);
        return { value: revealSecrets(record.value, path, found).value, secretPaths: found };
    }
    const join = (k: string | number) => (path ? `${path}.${k}` : String(k));
    const revealed = Array.isArray(value)
        ? value.map((v, i) => revealSecrets(v, join(i), found).value)
        : Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v, join(k), found).value]));
    return { value: revealed, secretPaths: found };
}

/** What one evaluation of the program declared and exported. */
export interface Evaluation {
    resources: DeclaredResource[];
    outputs: Record<string, unknown>;
    /** Names of the outputs Pulumi holds as secrets. */
    secretOutputs: string[];
    /** What the program logged as warnings (pulumi.log.warn), which a preview shows under Diagnostics. */
    warnings: string[];
}

/** Offline, a download at deploy time stands in as a note of what would be fetched. */
export const offlineDownload: FetchText = (url) => Promise.resolve(JSON.stringify({ title: "downloaded at deploy time", source: url }));

/** What a provider computes at deploy time, as the mocks answer it. */
function computedState(type: string, name: string): Record<string, unknown> {
    if (type === "random:index/randomPassword:RandomPassword") return { result: `offline-${name}` };
    if (type === "command:local:Command") return { stdout: `offline stdout of ${name}`, stderr: "" };
    return {};
}

/**
 * Resolves once every registration the program started has reached the mocks. The SDK marks it
 * internal; @pulumi/pulumi is pinned, and the tests fail loudly if it ever goes away.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal to the SDK, so missing from its typings
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/**
 * The SDK's mocks report no support for `transforms`, and a resource given them then fails to register
 * without a word. The engine supports them (the Pulumi CLI 3.248 the lab runs), and the SDK's callback
 * server, which hands them to the engine, runs offline on 127.0.0.1: the harness turns them on.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal to the SDK, so missing from its typings
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore: () => { supportsTransforms: boolean } };

/** Type tokens of resources that are components: they group, the engine creates nothing for them. */
export function isComponent(type: string): boolean {
    return type.startsWith(`${PROJECT}:`) || type === "pulumi:pulumi:Stack";
}

/**
 * Evaluates the program for a stack's flat config. Evaluations run one at a time: Pulumi's runtime
 * state is global to the process.
 */
export async function evaluate(
    config: FlatConfig,
    stack = "test",
    secretKeys: readonly string[] = [],
    download: FetchText = offlineDownload,
    preview = false,
): Promise<Evaluation> {
    // A failing input (a download, say) rejects inside the SDK, unhandled; the Pulumi CLI's runner
    // reports the first such error and stops, and so does this.
    let fail: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    const onRejection = (reason: unknown) => fail(reason);
    process.on("unhandledRejection", onRejection);
    // Without an engine the SDK prints warnings on stderr; the evaluation keeps them instead, for its callers to show.
    const warnings: string[] = [];
    const log = pulumi.log as { warn: typeof pulumi.log.warn };
    const warn = log.warn;
    log.warn = (message: string) => {
        warnings.push(message);
        return Promise.resolve();
    };
    try {
        return { ...(await Promise.race([run(config, stack, secretKeys, download, preview), failed])), warnings };
    } finally {
        log.warn = warn;
        process.off("unhandledRejection", onRejection);
    }
}

async function run(
    config: FlatConfig,
    stack: string,
    secretKeys: readonly string[],
    download: FetchText,
    preview: boolean,
): Promise<Omit<Evaluation, "warnings">> {
    // The program validates the same way; doing it first keeps a bad config from ever reaching
    // Pulumi's runtime, whose rejected stack promise would otherwise surface a second time.
    labConfigFrom(config, secretKeys);
    const declared = new Map<string, DeclaredResource>();
    const names = new Map<pulumi.Resource, string>();
    const key = (type: string, name: string) => `${type}::${name}`;

    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const entry = declared.get(key(args.type, args.name));
                if (entry) {
                    const { value, secretPaths } = revealSecrets(args.inputs);
                    entry.inputs = value as Inputs;
                    entry.secretPaths = secretPaths;
                }
                return { id: `${args.name}-id`, state: { ...(args.inputs as Inputs), ...computedState(args.type, args.name) } };
            },
            call: (args) => args.inputs as Inputs,
        },
        PROJECT,
        stack,
        preview,
    );
    getStore().supportsTransforms = true;
    setDownloader(download);
    pulumi.runtime.setAllConfig({ ...config }, [...secretKeys]);

    const resolveNames = async (deps: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined) => {
        if (deps === undefined) return [];
        const list = await new Promise<pulumi.Resource | pulumi.Resource[]>((resolve) =>
            pulumi.output(deps as pulumi.Input<pulumi.Resource[]>).apply((value) => resolve(value)),
        );
        return (Array.isArray(list) ? list : [list]).map((r) => names.get(r) ?? "<unknown>");
    };
    const pending: Promise<void>[] = [];

    delete require.cache[PROGRAM];
    let exported: Record<string, unknown> = {};
    const outputs = await pulumi.runtime.runInPulumiStack(() => {
        pulumi.runtime.registerStackTransformation((args) => {
            // The engine refuses a second resource with the same URN (pkg/resource/deploy/step_generator.go,
            // generateURN, v3.248.0): so must the mocks, which would otherwise keep only one of them.
            if (declared.has(key(args.type, args.name))) {
                throw new Error(`Duplicate resource URN: a second ${args.type} named ${args.name}; try giving it a unique name`);
            }
            names.set(args.resource, args.name);
            const entry: DeclaredResource = {
                type: args.type,
                name: args.name,
                inputs: isComponent(args.type) ? {} : args.props,
                parent: args.opts.parent ? names.get(args.opts.parent) : undefined,
                dependsOn: [],
                provider: args.opts.provider ? names.get(args.opts.provider) : undefined,
                secretPaths: [],
                // A composed transform (components/transforms.ts) is listed as its parts: what each changes.
                transforms: (args.opts.transforms ?? []).flatMap(partsOf).map((t) => t.name),
                retainOnDelete: args.opts.retainOnDelete,
                deleteBeforeReplace: (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
                deletedWith: args.opts.deletedWith ? names.get(args.opts.deletedWith) : undefined,
                additionalSecretOutputs: (args.opts as pulumi.CustomResourceOptions).additionalSecretOutputs,
            };
            declared.set(key(args.type, args.name), entry);
            pending.push(resolveNames(args.opts.dependsOn).then((d) => void (entry.dependsOn = d)));
            return undefined;
        });
        // A fresh require per evaluation (its cache entry is gone): import() would answer from the ES module cache.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        exported = { ...(require(PROGRAM) as Record<string, unknown>) };
        return Promise.resolve(exported);
    });
    await waitForRPCs();
    await Promise.all(pending);
    const secretOutputs: string[] = [];
    for (const [name, value] of Object.entries(exported)) {
        if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(name);
    }
    return { resources: [...declared.values()], outputs: outputs ?? {}, secretOutputs };
}

/** Evaluates a stack's config as read from its file. */
export function evaluateStackConfig(stack: string, { config, secretKeys }: StackConfig): Promise<Evaluation> {
    return evaluate(config, stack, secretKeys);
}

/** Evaluates `Pulumi.<stack>.yaml`, or any file in that format. */
export function evaluateStack(stack: string, file = stackFile(stack)): Promise<Evaluation> {
    return evaluateStackConfig(stack, readStackFile(file));
}
