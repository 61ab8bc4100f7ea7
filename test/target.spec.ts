import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { expandHome, kubeTarget, kubeconfigFiles, mergeKubeconfigs, providerTarget, singleKubeconfig } from "../components/cluster/kubeconfig";
import { parseLabConfig } from "../config/schema";
import { clusterServer } from "../commands/preflight/cluster";
import { evaluateConfig } from "./support/lab";

/** A kubeconfig with one context per entry: [context, cluster, server, ca]. */
function kubeconfig(current: string | undefined, entries: [string, string, string, string][]): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        ...(current !== undefined ? { "current-context": current } : {}),
        contexts: entries.map(([context, cluster]) => ({ name: context, context: { cluster, user: `${cluster}-admin` } })),
        clusters: entries.map(([, cluster, server, ca]) => ({ name: cluster, cluster: { server, "certificate-authority-data": ca } })),
        users: entries.map(([, cluster]) => ({ name: `${cluster}-admin`, user: { "client-certificate": "certs/admin.crt", token: "t" } })),
    });
}

function files(contents: Record<string, string>): Record<string, string> {
    const dir = scratch("kubeconfigs-");
    return Object.fromEntries(
        Object.entries(contents).map(([name, text]) => {
            const file = path.join(dir, name);
            fs.writeFileSync(file, text);
            return [name, file];
        }),
    );
}

const cluster = (input: object = {}) => parseLabConfig({ cluster: input }).cluster;

describe("target: one reading of the kubeconfig for the program, the provider and the preflight", () => {
    const a = kubeconfig("lab", [["lab", "kind-lab", "https://127.0.0.1:6443", "Q0EtbGFi"]]);
    const b = kubeconfig("prod", [
        ["prod", "prod", "https://prod.example:6443", "Q0EtcHJvZA=="],
        ["lab", "other", "https://elsewhere:6443", "Q0Etb3RoZXI="],
    ]);

    it("merges several files as kubectl does: the first to name an entry, or to set current-context, wins", () => {
        const f = files({ "a.yaml": a, "b.yaml": b });
        const merged = mergeKubeconfigs([f["a.yaml"], path.join(os.tmpdir(), "absent.yaml"), f["b.yaml"]]);
        assert.deepEqual(merged.files, [f["a.yaml"], f["b.yaml"]], "a missing file is skipped");
        assert.equal(merged.currentContext, "lab");
        assert.deepEqual([...merged.contexts.keys()], ["lab", "prod"]);
        assert.equal(merged.contexts.get("lab")!.cluster, "kind-lab", "the first file's lab context");
        assert.equal(kubeTarget(merged, undefined)!.server, "https://127.0.0.1:6443");
        assert.equal(kubeTarget(merged, "prod")!.server, "https://prod.example:6443");
        assert.equal(kubeTarget(merged, "nowhere"), undefined);
        assert.equal(mergeKubeconfigs([f["b.yaml"], f["a.yaml"]]).currentContext, "prod");
    });

    it("identifies a cluster by its server and its CA, not by the context's name", () => {
        const same = kubeconfig("renamed", [["renamed", "kind-lab", "https://127.0.0.1:6443", "Q0EtbGFi"]]);
        const rebuilt = kubeconfig("lab", [["lab", "kind-lab", "https://127.0.0.1:6443", "bmV3LUNB"]]);
        const f = files({ "a.yaml": a, "same.yaml": same, "rebuilt.yaml": rebuilt });
        const id = (file: string) => kubeTarget(mergeKubeconfigs([file]), undefined)!.identifier;
        assert.equal(id(f["same.yaml"]), id(f["a.yaml"]), "a renamed context of the same cluster");
        assert.notEqual(id(f["rebuilt.yaml"]), id(f["a.yaml"]), "a cluster built again at the same address has a new CA");
        assert.match(id(f["a.yaml"]), /^https:\/\/127\.0\.0\.1:6443 ca:[0-9a-f]{16}$/);
    });

    it("writes one kubeconfig with just the context's cluster and user, paths made absolute against their own file", () => {
        const f = files({ "a.yaml": a, "b.yaml": b });
        const single = parseYaml(singleKubeconfig(mergeKubeconfigs([f["a.yaml"], f["b.yaml"]]), "prod"));
        assert.equal(single["current-context"], "prod");
        assert.deepEqual(
            single.contexts.map((c: { name: string }) => c.name),
            ["prod"],
        );
        assert.deepEqual(single.clusters, [{ name: "prod", cluster: { server: "https://prod.example:6443", "certificate-authority-data": "Q0EtcHJvZA==" } }]);
        assert.equal(single.users[0].user["client-certificate"], path.join(path.dirname(f["b.yaml"]), "certs/admin.crt"));
    });

    it("gives the provider a path for one file, the merged contents for several, and the cluster's identity either way", () => {
        const f = files({ "a.yaml": a, "b.yaml": b });
        const one = providerTarget(cluster(), { KUBECONFIG: f["a.yaml"] });
        assert.equal(one.kubeconfig, undefined, "one file: the provider reads KUBECONFIG itself, as before");
        assert.match(one.clusterIdentifier!, /^https:\/\/127\.0\.0\.1:6443 ca:/);
        const several = providerTarget(cluster({ context: "prod" }), { KUBECONFIG: `${f["a.yaml"]}${path.delimiter}${f["b.yaml"]}` });
        assert.ok(several.kubeconfig && "contents" in several.kubeconfig);
        assert.equal(parseYaml(several.kubeconfig.contents).clusters[0].cluster.server, "https://prod.example:6443");
        assert.equal(several.context, "prod");
        const explicit = providerTarget(cluster({ kubeconfig: f["b.yaml"] }), {});
        assert.deepEqual(explicit.kubeconfig, { path: f["b.yaml"] });
        assert.deepEqual(providerTarget(cluster(), { KUBECONFIG: path.join(os.tmpdir(), "absent.yaml") }), {}, "no kubeconfig: nothing to pin");
        assert.deepEqual(kubeconfigFiles(cluster({ kubeconfig: "~/k.yaml" }), {}, "/home/u"), ["/home/u/k.yaml"]);
    });

    it("the preflight finds a context in the second file of KUBECONFIG, as kubectl does", () => {
        const f = files({ "a.yaml": a, "b.yaml": b });
        const env = { KUBECONFIG: `${f["a.yaml"]}${path.delimiter}${f["b.yaml"]}` };
        assert.deepEqual(clusterServer(parseLabConfig({ cluster: { context: "prod" } }), env), {
            server: "https://prod.example:6443",
            context: "prod",
            kubeconfig: env.KUBECONFIG,
        });
        assert.throws(() => clusterServer(parseLabConfig({ cluster: { context: "staging" } }), env), /has no context staging; contexts: lab, prod$/);
    });

    it("a plain `pulumi up` after a context switch replaces the provider instead of moving it: its cluster identity changes", async () => {
        // pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig: with clusterIdentifier set, the provider is
        // replaced when, and only when, it changes; without it and without a kubeconfig input it found no cluster
        // to compare and updated in place (the lab's state then pointed at the new cluster).
        const f = files({ "a.yaml": a, "b.yaml": b });
        const saved = process.env.KUBECONFIG;
        const identity = async (kubeconfigFile: string) => {
            process.env.KUBECONFIG = kubeconfigFile;
            try {
                const lab = await evaluateConfig();
                return lab.resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "lab-cluster-provider")!.inputs;
            } finally {
                if (saved === undefined) delete process.env.KUBECONFIG;
                else process.env.KUBECONFIG = saved;
            }
        };
        const before = await identity(f["a.yaml"]);
        const after = await identity(f["b.yaml"]);
        assert.equal(before.context, "lab");
        assert.equal(after.context, "prod");
        assert.ok(before.clusterIdentifier && after.clusterIdentifier);
        assert.notEqual(before.clusterIdentifier, after.clusterIdentifier);
    });
    it("finds the files as kubectl does: the configured one, KUBECONFIG's non-empty entries, or ~/.kube/config", () => {
        assert.deepEqual(kubeconfigFiles(cluster(), { KUBECONFIG: `/a${path.delimiter}${path.delimiter}/b` }, "/home/u"), ["/a", "/b"]);
        assert.deepEqual(kubeconfigFiles(cluster(), { KUBECONFIG: "" }, "/home/u"), ["/home/u/.kube/config"]);
        assert.deepEqual(kubeconfigFiles(cluster(), {}, "/home/u"), ["/home/u/.kube/config"]);
        assert.equal(expandHome("~", "/home/u"), "/home/u");
        assert.equal(expandHome("~/k", "/home/u"), "/home/u/k");
        assert.equal(expandHome("/x/~", "/home/u"), "/x/~");
        assert.equal(expandHome("~other/k", "/home/u"), "~other/k");
    });

    it("skips malformed entries, an empty current context, and never lets a later file override an earlier entry", () => {
        const first = stringify({
            "current-context": "",
            contexts: [null, { context: { cluster: "x" } }, { name: "lab", context: { cluster: "c" } }],
            clusters: [{ name: "c", cluster: { server: "https://first:6443" } }],
            users: [{ name: "u", user: { token: "first" } }],
        });
        const second = stringify({
            "current-context": "lab",
            contexts: [{ name: "lab", context: { cluster: "other" } }],
            clusters: [{ name: "c", cluster: { server: "https://second:6443" } }],
            users: [{ name: "u", user: { token: "second" } }],
        });
        const f = files({ "1.yaml": first, "2.yaml": second });
        const merged = mergeKubeconfigs([f["1.yaml"], f["2.yaml"]]);
        assert.equal(merged.currentContext, "lab", "an empty current-context is none");
        assert.deepEqual([...merged.contexts.keys()], ["lab"]);
        assert.equal(merged.clusters.get("c")!.entry.server, "https://first:6443");
        assert.deepEqual(merged.users.get("u")!.entry, { token: "first" });
        assert.equal(kubeTarget(merged, "lab")!.server, "https://first:6443");
        assert.equal(kubeTarget(mergeKubeconfigs([]), undefined), undefined, "no current context");
        assert.throws(() => singleKubeconfig(merged, "prod"), new RegExp(`no context prod in ${f["1.yaml"]}, ${f["2.yaml"]}`));
    });

    it("reads a CA from its file, relative to its kubeconfig, and writes every file reference absolute", () => {
        const dir = scratch("kubeconfig-ca-");
        fs.writeFileSync(path.join(dir, "ca.crt"), "CA-ONE");
        const config = (ca: string) =>
            stringify({
                "current-context": "lab",
                contexts: [{ name: "lab", context: { cluster: "c", user: "u" } }],
                clusters: [{ name: "c", cluster: { server: "https://lab:6443", "certificate-authority": ca } }],
                users: [{ name: "u", user: { "client-certificate": "u.crt", "client-key": "u.key", tokenFile: "t", username: "plain" } }],
            });
        fs.writeFileSync(path.join(dir, "config"), config("ca.crt"));
        const merged = mergeKubeconfigs([path.join(dir, "config")]);
        const withCa = kubeTarget(merged, undefined)!.identifier;
        fs.writeFileSync(path.join(dir, "ca.crt"), "CA-TWO");
        assert.notEqual(kubeTarget(merged, undefined)!.identifier, withCa, "the CA file's content is the identity");
        const single = parseYaml(singleKubeconfig(merged, "lab"));
        assert.equal(single.apiVersion, "v1");
        assert.equal(single.kind, "Config");
        assert.equal(single.clusters[0].cluster["certificate-authority"], path.join(dir, "ca.crt"));
        assert.deepEqual(single.users[0].user, {
            "client-certificate": path.join(dir, "u.crt"),
            "client-key": path.join(dir, "u.key"),
            tokenFile: path.join(dir, "t"),
            username: "plain",
        });
        const noUser = mergeKubeconfigs([files({ c: stringify({ contexts: [{ name: "x", context: { cluster: "none" } }] }) }).c]);
        assert.deepEqual(parseYaml(singleKubeconfig(noUser, "x")), {
            apiVersion: "v1",
            kind: "Config",
            "current-context": "x",
            contexts: [{ name: "x", context: { cluster: "none" } }],
            clusters: [],
            users: [],
        });
    });
});
