import { strict as assert } from "assert";
import * as fs from "fs";
import { scratch } from "./support/hermetic";
import * as path from "path";
import { stringify } from "yaml";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { PolicySettings, policies } from "../policy/policies";
import { DeclaredResource, Evaluation } from "../mocks/evaluate";
import { stackFile, shippedStacks } from "../config/project";
import { policyConfig } from "../commands/policy-config";
import { evaluateConfig, evaluatedStack } from "./support/lab";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";

/** Runs every policy on one resource as CrossGuard would; returns the violations, policy by policy. */
function violations(type: string, props: Record<string, any>, settings: PolicySettings = {}, name: string = props.metadata?.name ?? "x"): string[] {
    const found: string[] = [];
    const args = {
        type,
        props,
        urn: `urn:pulumi:test::boutique-mesh::${type}::x`,
        name,
        opts: {},
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => settings,
        notApplicable: () => {
            throw new Error("not applicable");
        },
    } as unknown as ResourceValidationArgs;
    for (const policy of policies) {
        const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
        for (const validate of validations) void validate(args, (message) => found.push(`${policy.name}: ${message}`));
    }
    return found;
}

function stackViolations(lab: Evaluation, settings: PolicySettings): string[] {
    return lab.resources
        .filter((r: DeclaredResource) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v4:Chart")
        .flatMap((r) => violations(r.type, r.inputs, settings));
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const goodContainer = {
    name: "app",
    image: "registry.lab/app:1.2.3",
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
};
const deployment = (container: Record<string, any>, pod: Record<string, any> = {}) => ({
    metadata: { name: "app" },
    spec: { template: { spec: { ...pod, containers: [container] } } },
});

describe("policy: each rule on one object", () => {
    const only = (container: Record<string, any>, pod: Record<string, any> = {}, settings: PolicySettings = {}) =>
        violations(DEPLOYMENT, deployment(container, pod), settings);
    const secure = goodContainer.securityContext;

    it("names an object by its metadata.name, else by its Pulumi resource name", () => {
        const plain = { ...goodContainer, env: [{ name: "API_TOKEN", value: "t" }], securityContext: {} };
        const named = violations(DEPLOYMENT, deployment(plain), {}, "lab-app");
        assert.ok(named.length >= 2 && named.every((v) => v.includes("Deployment app, container app")), named.join("\n"));
        const { metadata: _, ...anonymous } = deployment(plain);
        const unnamed = violations(DEPLOYMENT, anonymous, {}, "lab-app");
        assert.ok(unnamed.length >= 2 && unnamed.every((v) => v.includes("Deployment lab-app, container app")), unnamed.join("\n"));
        assert.deepEqual(violations("kubernetes:core/v1:ConfigMap", { data: { password: "p" } }, {}, "lab-config"), [
            "no-plain-text-secrets: ConfigMap lab-config holds password in plain text; move it to a Secret",
        ]);
        assert.deepEqual(violations("kubernetes:core/v1:Service", { spec: { type: "NodePort" } }, {}, "lab-svc"), [
            "no-unrequested-exposure: Service lab-svc is NodePort but the config did not ask for it (no boutique-mesh.io/exposure annotation)",
        ]);
    });

    it("reads a pod with only init containers, and a Service without a spec", () => {
        assert.deepEqual(violations(DEPLOYMENT, { metadata: { name: "init" }, spec: { template: { spec: { initContainers: [goodContainer] } } } }), []);
        assert.deepEqual(
            violations(DEPLOYMENT, {
                metadata: { name: "init" },
                spec: { template: { spec: { initContainers: [{ ...goodContainer, securityContext: {} }] } } },
            }).length,
            3,
        );
        assert.deepEqual(violations("kubernetes:core/v1:Service", { metadata: { name: "bare" } }), []);
    });

    it("takes privatekey and private_key for secrets, and a _name or _ref only at the end of a key for a reference", () => {
        const env = (name: string) => violations(DEPLOYMENT, deployment({ ...goodContainer, env: [{ name, value: "v" }] })).length;
        assert.equal(env("PRIVATEKEY"), 1);
        assert.equal(env("PRIVATE_KEY"), 1);
        assert.equal(env("TOKEN_NAME"), 0);
        assert.equal(env("TOKEN_NAME_SUFFIX"), 1);
    });

    it("is a mandatory pack of named, described policies; the container policies read the stack's mirrors", () => {
        for (const policy of policies) {
            assert.equal(policy.enforcementLevel, "mandatory", policy.name);
            assert.match(policy.description, /^[A-Z].+\.$/, policy.name);
        }
        // The JSON schema CrossGuard validates --policy-pack-config against: a map of registry -> mirror.
        const withConfig = policies.filter((p) => p.configSchema !== undefined);
        assert.equal(withConfig.length, 6);
        for (const policy of withConfig) {
            assert.deepEqual(policy.configSchema, { properties: { mirrors: { type: "object", additionalProperties: { type: "string" } } } }, policy.name);
        }
    });

    it("non-root: the container's setting wins over the pod's; a non-zero user is enough", () => {
        const root = /containers-run-as-non-root: Deployment app, container app: set runAsNonRoot: true \(or a non-zero runAsUser\)/;
        const context = (c: Record<string, unknown>) => ({ ...goodContainer, securityContext: { ...secure, runAsNonRoot: undefined, ...c } });
        assert.deepEqual(only(context({}), { securityContext: { runAsNonRoot: true } }), []);
        assert.match(only(context({ runAsNonRoot: false }), { securityContext: { runAsNonRoot: true } }).join("\n"), root);
        assert.deepEqual(only(context({ runAsNonRoot: true }), { securityContext: { runAsNonRoot: false } }), []);
        assert.deepEqual(only(context({ runAsUser: 1 })), []);
        assert.deepEqual(only(context({}), { securityContext: { runAsUser: 1000 } }), []);
        assert.match(only(context({ runAsUser: 0 }), { securityContext: { runAsUser: 1000 } }).join("\n"), root);
        assert.match(only(context({})).join("\n"), root);
        assert.match(only(context({ runAsUser: "1000" })).join("\n"), root, "a user must be a number");
    });

    it("no privilege escalation, no privileged container, a read-only root filesystem", () => {
        assert.deepEqual(only({ ...goodContainer, securityContext: { ...secure, privileged: false } }), []);
        assert.deepEqual(only({ ...goodContainer, securityContext: { ...secure, allowPrivilegeEscalation: true } }), [
            "no-privilege-escalation: Deployment app, container app: set allowPrivilegeEscalation: false and do not run privileged",
        ]);
        assert.deepEqual(only({ ...goodContainer, securityContext: { ...secure, readOnlyRootFilesystem: false } }), [
            "read-only-root-filesystem: Deployment app, container app: set readOnlyRootFilesystem: true (mount an emptyDir where it must write)",
        ]);
    });

    it("ambient's node agents, and only they, may run as root with capabilities; every other rule still holds for them", () => {
        // As the cni chart renders its container (istio/istio 1.31.0-rc.0 manifests/charts/istio-cni/templates/daemonset.yaml).
        const agent = {
            ...goodContainer,
            image: "registry.lab/istio/install-cni:1.31.1-distroless",
            securityContext: {
                privileged: false,
                runAsUser: 0,
                runAsNonRoot: false,
                capabilities: { add: ["NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN"] },
            },
        };
        const daemonSet = (name: string, namespace: string, container = agent) => ({
            metadata: { name, namespace },
            spec: { template: { spec: { containers: [container] } } },
        });
        const daemonSetViolations = (name: string, namespace: string, container = agent) =>
            violations("kubernetes:apps/v1:DaemonSet", daemonSet(name, namespace, container)).map((v) => v.split(":")[0]);
        assert.deepEqual(daemonSetViolations("istio-cni-node", "istio-system"), []);
        assert.deepEqual(daemonSetViolations("ztunnel", "istio-system"), []);
        const privileges = ["containers-run-as-non-root", "no-privilege-escalation", "read-only-root-filesystem"];
        assert.deepEqual(daemonSetViolations("istio-cni-node", "default"), privileges, "not in istio-system");
        assert.deepEqual(daemonSetViolations("node-exporter", "istio-system"), privileges, "another DaemonSet");
        assert.deepEqual(
            violations(DEPLOYMENT, { ...daemonSet("ztunnel", "istio-system") }).map((v) => v.split(":")[0]),
            privileges,
            "a Deployment",
        );
        assert.deepEqual(daemonSetViolations("ztunnel", "istio-system", { ...agent, resources: undefined, image: "docker.io/istio/ztunnel:latest" } as never), [
            "requests-and-limits",
            "pinned-images",
        ]);
        const rule = policies.find((p) => p.name === "containers-run-as-non-root")!;
        assert.match(
            rule.description,
            /Except Istio's ambient node agents, which need root and network capabilities: DaemonSet istio-system\/istio-cni-node installs the CNI plugin .*; DaemonSet istio-system\/ztunnel proxies .*\.$/,
        );
        assert.ok(!policies.find((p) => p.name === "requests-and-limits")!.description.includes("Except"));
    });

    it("requests and limits: names each one missing", () => {
        assert.deepEqual(only({ ...goodContainer, resources: undefined }), [
            "requests-and-limits: Deployment app, container app: set resources requests.cpu, requests.memory, limits.cpu, limits.memory",
        ]);
        assert.deepEqual(only({ ...goodContainer, resources: { requests: { cpu: "1m" }, limits: { memory: "1Mi" } } }), [
            "requests-and-limits: Deployment app, container app: set resources requests.memory, limits.cpu",
        ]);
    });

    it("images: pinned, and not from a registry that has a mirror", () => {
        const mirrors = { mirrors: { "docker.io": "m.lab/hub" } };
        assert.deepEqual(only({ ...goodContainer, image: undefined }, {}, mirrors), [
            "pinned-images: Deployment app, container app: image (none) is not pinned; use a versioned tag or a digest",
        ]);
        assert.deepEqual(only({ ...goodContainer, image: "m.lab/hub/library/redis:7.2" }, {}, mirrors), []);
        assert.deepEqual(only({ ...goodContainer, image: "redis:7.2" }, {}, mirrors), [
            "images-through-mirrors: Deployment app, container app: image redis:7.2 is pulled from docker.io although its mirror is m.lab/hub",
        ]);
        assert.deepEqual(only({ ...goodContainer, image: "redis:7.2" }), [], "no mirrors, nothing to go through");
    });

    it("exposure: NodePort and LoadBalancer Services only with the config's annotation", () => {
        const service = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
            violations("kubernetes:core/v1:Service", { metadata: { name: "svc", annotations }, spec });
        assert.deepEqual(service({ type: "NodePort" }, { "boutique-mesh.io/exposure": "yes" }), [
            "no-unrequested-exposure: Service svc is NodePort but the config did not ask for it (no boutique-mesh.io/exposure annotation)",
        ]);
        assert.deepEqual(service({}), [], "ClusterIP by default");
        assert.deepEqual(violations("kubernetes:core/v1:Endpoints", { metadata: { name: "e" }, spec: { type: "NodePort" } }), [], "only Services");
        assert.match(
            violations("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer" } }).join("\n"),
            /Service x is LoadBalancer/,
            "unnamed: the resource's name",
        );
    });

    it("exposure: a Gateway API Gateway that istiod would deploy with a LoadBalancer, unless bound to the lab's ingress gateway", () => {
        const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
        const gateway = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
            violations(GATEWAY, { metadata: { name: "gw", annotations }, spec: { gatewayClassName: "istio", ...spec } });
        const bound = { addresses: [{ type: "Hostname", value: "istio-ingressgateway.istio-system.svc.cluster.local" }] };
        assert.deepEqual(gateway(bound), [], "bound by its address: istiod deploys nothing");
        assert.deepEqual(gateway({}), [
            "no-unrequested-exposure: Gateway gw has no Hostname address, so istiod deploys it with a LoadBalancer Service the config did not ask for; bind it to the lab's ingress gateway",
        ]);
        assert.match(gateway({ addresses: [{ type: "IPAddress", value: "10.0.0.1" }] })[0], /LoadBalancer Service/, "an IP address is still deployed");
        assert.match(gateway({}, { "networking.istio.io/service-type": "NodePort" })[0], /a NodePort Service/);
        assert.deepEqual(gateway({}, { "networking.istio.io/service-type": "ClusterIP" }), [], "ClusterIP exposes nothing");
        assert.deepEqual(gateway({}, { "boutique-mesh.io/exposure": "config" }), [], "asked for by the config");
        assert.deepEqual(violations(GATEWAY, { metadata: { name: "gw" }, spec: { gatewayClassName: "istio-waypoint" } }), [], "waypoints are ClusterIP");
        assert.deepEqual(
            violations("kubernetes:networking.istio.io/v1:Gateway", { metadata: { name: "gw" }, spec: {} }),
            [],
            "Istio's Gateway deploys nothing",
        );
    });

    it("secrets: secret-looking names hold no plain value, references to secrets may", () => {
        const env = (name: string, value: unknown = "x") => only({ ...goodContainer, env: [{ name, value }] });
        for (const name of [
            "PASSWORD",
            "db_passwd",
            "CLIENT_SECRET",
            "GITHUB_TOKEN",
            "API_KEY",
            "api-key",
            "APIKEY",
            "AWS_CREDENTIALS",
            "PRIVATE_KEY",
            "private-key",
        ]) {
            assert.deepEqual(
                env(name),
                [`no-plain-text-secrets: Deployment app, container app: env ${name} is a plain value; use valueFrom.secretKeyRef`],
                name,
            );
        }
        assert.equal(env("PASSWORD", "").length, 1, "an empty value is still a value");
        for (const name of ["PASSWORD_FILE", "token_path", "SECRET_NAME", "SECRET_REF", "USERS", "PORT", "KEY"]) assert.deepEqual(env(name), [], name);
        const config = (data: Record<string, string>) => violations("kubernetes:core/v1:ConfigMap", { metadata: { name: "cfg" }, data });
        assert.deepEqual(config({ "db.password": "x", TOKEN_PATH: "/t", mode: "x" }), [
            "no-plain-text-secrets: ConfigMap cfg holds db.password in plain text; move it to a Secret",
        ]);
        assert.deepEqual(violations("kubernetes:core/v1:ConfigMap", { metadata: { name: "cfg" } }), []);
        assert.deepEqual(violations("kubernetes:core/v1:Secret", { metadata: { name: "s" }, data: { PASSWORD: "eA==" } }), [], "a Secret is where they belong");
    });

    it("catches a secret inside a configuration document in a ConfigMap, as Kiali's chart writes the lab's values", async () => {
        // kiali/helm-charts templates/configmap.yaml (v1.50.0 to v2.29.0): data.config.yaml is the chart's values
        // (`omit .Values ...`, toYaml) with login_token.signing_key set from the value given, or randAlphaNum 32.
        const configMap = (values: object) => ({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "kiali" },
            data: { "config.yaml": stringify(values) },
        });
        const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
        assert.deepEqual(violations(CONFIG_MAP, configMap({ auth: { strategy: "token" }, login_token: { signing_key: "k".repeat(32) } })), [
            "no-plain-text-secrets: ConfigMap kiali holds login_token.signing_key in plain text in config.yaml; move it to a Secret and reference it",
        ]);
        assert.deepEqual(
            violations(CONFIG_MAP, configMap({ external_services: { grafana: { auth: { password: "correct-horse-battery", token: "" } } } })),
            [
                "no-plain-text-secrets: ConfigMap kiali holds external_services.grafana.auth.password in plain text in config.yaml; move it to a Secret and reference it",
            ],
            "an empty token is no secret",
        );
        // What the lab gives Kiali's chart now, for every chart version: references, file paths, no values.
        for (const version of ["1.14.6", "1.20.8", "1.28.10", DEFAULT_ISTIO_VERSION]) {
            const lab = await evaluateConfig({ istio: { version }, addons: { kiali: { auth: "token" } } });
            const values = lab.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "kiali")!.inputs.values;
            assert.deepEqual(violations(CONFIG_MAP, configMap(values)), [], version);
        }
        assert.deepEqual(
            violations(
                CONFIG_MAP,
                configMap({ identity: { private_key_file: "/kiali-cert/tls.key" }, login_token: { signing_key: "secret:kiali-signing-key:value.txt" } }),
            ),
            [],
        );
        assert.deepEqual(violations(CONFIG_MAP, { metadata: { name: "ini" }, data: { "grafana.ini": "[auth.anonymous]\nenabled = true\n: : not yaml" } }), []);
        // A key left empty in YAML is null: no secret, and nothing to walk into.
        assert.deepEqual(violations(CONFIG_MAP, { metadata: { name: "empty" }, data: { "config.yaml": "auth:\n  token:\n  password: ~\n" } }), []);
    });

    it("names an object without metadata by its resource name, and reads objects with only what their schema requires", () => {
        // The harness names every resource "x" when its props carry no metadata.name.
        const bareContainer = { name: "c", image: "x:1" };
        assert.deepEqual(
            violations("kubernetes:core/v1:Pod", { spec: { containers: [bareContainer] } }).filter((v) => v.startsWith("no-privilege-escalation")),
            ["no-privilege-escalation: Pod x, container c: set allowPrivilegeEscalation: false and do not run privileged"],
        );
        assert.deepEqual(violations("kubernetes:core/v1:ConfigMap", { data: { TOKEN: "t" } }), [
            "no-plain-text-secrets: ConfigMap x holds TOKEN in plain text; move it to a Secret",
        ]);
        assert.deepEqual(violations("kubernetes:core/v1:Pod", { spec: { containers: [{ ...goodContainer, env: [{ name: "TOKEN", value: "t" }] }] } }), [
            "no-plain-text-secrets: Pod x, container app: env TOKEN is a plain value; use valueFrom.secretKeyRef",
        ]);
        assert.deepEqual(violations("kubernetes:core/v1:Service", { metadata: { name: "s" } }), [], "a Service without spec is ClusterIP");
        assert.deepEqual(violations(DEPLOYMENT, { metadata: { name: "d" }, spec: { template: { spec: {} } } }), [], "a pod spec without containers");
        assert.deepEqual(violations(DEPLOYMENT, { metadata: { name: "d" }, spec: { template: { spec: { initContainers: [goodContainer] } } } }), []);
    });

    it("tells secrets from references to them by the whole suffix", () => {
        const env = (name: string) => violations(DEPLOYMENT, deployment({ ...goodContainer, env: [{ name, value: "x" }] }));
        for (const name of ["PRIVATEKEY", "PASSWORD_FILE_CONTENT", "SECRET_NAMESPACE", "TOKEN_REFRESH"]) assert.equal(env(name).length, 1, name);
    });

    it("only Kubernetes resources of the kubernetes provider", () => {
        const pod = { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x:latest" }] } };
        assert.equal(violations("kubernetes:core/v1:Pod", pod).length, 5, "all but the mirror rule, without mirrors");
        for (const type of ["random:index/randomPassword:RandomPassword", "mykubernetes:core/v1:Pod", "kubernetes:core/v1:Pod:extra", "kubernetes::Pod"]) {
            assert.deepEqual(violations(type, pod), [], type);
        }
    });
});

describe("policy: the CrossGuard pack", () => {
    for (const stack of shippedStacks()) {
        it(`passes every object of the shipped ${stack} stack`, async () => {
            const settings = policyConfig(stackFile(stack))["pinned-images"] as PolicySettings;
            assert.deepEqual(stackViolations(await evaluatedStack(stack), settings), []);
        });
    }

    it("passes a mirrored lab with its mirrors as the pack's config", async () => {
        const mirrors = { "us-central1-docker.pkg.dev": "m.lab/ar", "docker.io": "m.lab/hub", "gcr.io": "m.lab/gcr" };
        assert.deepEqual(stackViolations(await evaluateConfig({ scenario: "canary", images: { mirrors } }), { mirrors }), []);
    });

    it("passes a lab whose config asks for NodePorts, Jaeger and Istio 1.20", async () => {
        const lab = await evaluateConfig({
            istio: { version: "1.20.8" },
            addons: { prometheus: { nodePort: 30090 }, grafana: { nodePort: 30300 }, kiali: { nodePort: 30201 }, tracer: { kind: "jaeger", nodePort: 30686 } },
            boutique: { frontendExternal: true },
        });
        assert.deepEqual(stackViolations(lab, {}), []);
    });

    it("passes a well-formed container, and leaves injected gateway images to istiod's hub", () => {
        assert.deepEqual(violations(DEPLOYMENT, deployment(goodContainer)), []);
        assert.deepEqual(violations(DEPLOYMENT, deployment({ ...goodContainer, image: "auto" }), { mirrors: { "docker.io": "m" } }), []);
    });

    const bad: [string, Record<string, any>, RegExp, PolicySettings?][] = [
        [
            "root",
            deployment({ ...goodContainer, securityContext: { ...goodContainer.securityContext, runAsNonRoot: false } }),
            /containers-run-as-non-root: .*set runAsNonRoot/,
        ],
        [
            "root by uid 0",
            deployment({ ...goodContainer, securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 0 } }),
            /containers-run-as-non-root/,
        ],
        [
            "privilege escalation",
            deployment({ ...goodContainer, securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true } }),
            /no-privilege-escalation: .*allowPrivilegeEscalation: false/,
        ],
        ["privileged", deployment({ ...goodContainer, securityContext: { ...goodContainer.securityContext, privileged: true } }), /no-privilege-escalation/],
        [
            "a writable root filesystem",
            deployment({ ...goodContainer, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false } }),
            /read-only-root-filesystem/,
        ],
        [
            "missing limits",
            deployment({ ...goodContainer, resources: { requests: goodContainer.resources.requests } }),
            /requests-and-limits: .*set resources limits\.cpu, limits\.memory/,
        ],
        [
            "an init container without requests",
            deployment(goodContainer, { initContainers: [{ ...goodContainer, name: "init", resources: undefined }] }),
            /container init: set resources requests\.cpu/,
        ],
        ["latest", deployment({ ...goodContainer, image: "registry.lab/app:latest" }), /pinned-images: .*image registry\.lab\/app:latest is not pinned/],
        ["a missing tag", deployment({ ...goodContainer, image: "redis" }), /pinned-images: .*image redis is not pinned/],
        ["a floating tag", deployment({ ...goodContainer, image: "redis:alpine" }), /pinned-images/],
        [
            "an unmirrored image",
            deployment({ ...goodContainer, image: "gcr.io/x/app:1.0.0" }),
            /images-through-mirrors: .*pulled from gcr\.io although its mirror is m\.lab\/gcr/,
            { mirrors: { "gcr.io": "m.lab/gcr" } },
        ],
        [
            "a plain-text password in env",
            deployment({ ...goodContainer, env: [{ name: "DB_PASSWORD", value: "hunter2" }] }),
            /no-plain-text-secrets: .*env DB_PASSWORD is a plain value/,
        ],
    ];
    for (const [what, props, pattern, settings] of bad) {
        it(`fires on ${what}`, () => {
            const found = violations(DEPLOYMENT, props, settings);
            assert.ok(
                found.some((v) => pattern.test(v)),
                `no violation matches ${pattern}:\n${found.join("\n")}`,
            );
        });
    }

    it("has a bad object for every policy", () => {
        const fired = new Set(bad.flatMap(([, props, , settings]) => violations(DEPLOYMENT, props, settings).map((v) => v.split(":")[0])));
        fired.add("no-unrequested-exposure"); // Services: below
        fired.add("shop-isolation"); // a classroom shop's Istio objects: below
        assert.deepEqual([...fired].sort(), policies.map((p) => p.name).sort());
    });

    it("keeps a classroom shop's routes to its own namespace: exportTo and hosts, through the pack", () => {
        const vs = (spec: Record<string, unknown>) => ({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "productcatalogservice", namespace: "alice", labels: { "boutique-mesh.io/shop": "alice" } },
            spec,
        });
        const type = "kubernetes:networking.istio.io/v1:VirtualService";
        const own = "productcatalogservice.alice.svc.cluster.local";
        assert.deepEqual(violations(type, vs({ exportTo: ["."], hosts: [own], http: [{ route: [{ destination: { host: own } }] }] })), []);
        assert.deepEqual(violations(type, vs({ exportTo: ["alice", "istio-system"], hosts: [own] })), [], "its namespace by name is its own");
        assert.deepEqual(violations(type, vs({ hosts: [own] })), [
            'shop-isolation: VirtualService alice/productcatalogservice is exported to *; a shop\'s objects go to "." and istio-system only',
        ]);
        assert.deepEqual(
            violations(
                type,
                vs({ exportTo: ["."], hosts: [own], http: [{ route: [{ destination: { host: "productcatalogservice.bob.svc.cluster.local" } }] }] }),
            ),
            [
                "shop-isolation: VirtualService alice/productcatalogservice names productcatalogservice.bob.svc.cluster.local, a host of namespace bob, not of shop alice",
            ],
        );
        const dr = { ...vs({}), kind: "DestinationRule", spec: { exportTo: [".", "istio-system", "bob"], host: own } };
        assert.deepEqual(violations("kubernetes:networking.istio.io/v1:DestinationRule", dr), [
            'shop-isolation: DestinationRule alice/productcatalogservice is exported to bob; a shop\'s objects go to "." and istio-system only',
        ]);
    });

    it("fires on a secret in a ConfigMap but not on a reference to one", () => {
        assert.match(
            violations("kubernetes:core/v1:ConfigMap", { metadata: { name: "cfg" }, data: { API_KEY: "abc" } })[0],
            /ConfigMap cfg holds API_KEY in plain text/,
        );
        assert.deepEqual(violations("kubernetes:core/v1:ConfigMap", { metadata: { name: "cfg" }, data: { TOKEN_FILE: "/var/run/token" } }), []);
        const fromSecret = deployment({ ...goodContainer, env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] });
        assert.deepEqual(violations(DEPLOYMENT, fromSecret), []);
    });

    it("fires on a NodePort or LoadBalancer Service the config did not ask for", () => {
        const service = (type: string, annotations?: Record<string, string>) => ({ metadata: { name: "svc", annotations }, spec: { type } });
        assert.match(
            violations("kubernetes:core/v1:Service", service("LoadBalancer"))[0],
            /no-unrequested-exposure: Service svc is LoadBalancer but the config did not ask for it/,
        );
        assert.match(violations("kubernetes:core/v1:Service", service("NodePort"))[0], /is NodePort/);
        assert.deepEqual(violations("kubernetes:core/v1:Service", service("NodePort", { "boutique-mesh.io/exposure": "config" })), []);
        assert.deepEqual(violations("kubernetes:core/v1:Service", service("ClusterIP")), []);
    });

    it("checks every workload kind where it keeps its pods, and nothing else", () => {
        const podSpec = { containers: [{ ...goodContainer, image: "x:latest" }] };
        const template = { metadata: { labels: { app: "x" } }, spec: podSpec };
        // Where the Kubernetes API (apps/v1, batch/v1, core/v1) keeps each kind's pod spec.
        const workloads: [string, Record<string, any>][] = [
            ["kubernetes:core/v1:Pod", { spec: podSpec }],
            ["kubernetes:apps/v1:Deployment", { spec: { template } }],
            ["kubernetes:apps/v1:StatefulSet", { spec: { template } }],
            ["kubernetes:apps/v1:DaemonSet", { spec: { template } }],
            ["kubernetes:apps/v1:ReplicaSet", { spec: { template } }],
            ["kubernetes:batch/v1:Job", { spec: { template } }],
            ["kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template } } } }],
        ];
        for (const [type, props] of workloads) {
            const kind = type.split(":").pop();
            assert.deepEqual(
                violations(type, { metadata: { name: "w" }, ...props }),
                [`pinned-images: ${kind} w, container app: image x:latest is not pinned; use a versioned tag or a digest`],
                type,
            );
        }
        // A pod spec under another kind's path is no workload; a ConfigMap is checked for secrets only.
        assert.deepEqual(violations("kubernetes:core/v1:Service", { metadata: { name: "s" }, spec: { template } }), []);
        assert.deepEqual(violations("kubernetes:apps/v1:Deployment", { metadata: { name: "d" }, spec: podSpec }), []);
        assert.deepEqual(violations("kubernetes:helm.sh/v4:Chart", { spec: { template } }), []);
    });

    it("gives the stack's mirrors to every policy that reads config", () => {
        assert.deepEqual(policyConfig(stackFile("dev"))["images-through-mirrors"], { mirrors: {} });
        const mirrors = { "docker.io": "m.lab/hub", "gcr.io": "m.lab/gcr" };
        const file = path.join(scratch("policy-"), "Pulumi.mirrored.yaml");
        fs.writeFileSync(file, stringify({ config: { "boutique-mesh:images": { mirrors } } }));
        const config = policyConfig(file);
        // The container policies take the pack's config (policy/policies.ts, containerPolicy).
        assert.deepEqual(Object.keys(config).sort(), [
            "containers-run-as-non-root",
            "images-through-mirrors",
            "no-privilege-escalation",
            "pinned-images",
            "read-only-root-filesystem",
            "requests-and-limits",
        ]);
        for (const [name, settings] of Object.entries(config)) assert.deepEqual(settings, { mirrors }, name);
        const unmirrored = deployment({ ...goodContainer, image: "docker.io/istio/pilot:1.30.3" });
        assert.match(
            violations(DEPLOYMENT, unmirrored, config["images-through-mirrors"] as PolicySettings).join("\n"),
            /images-through-mirrors: .*pulled from docker\.io although its mirror is m\.lab\/hub/,
        );
    });
});
