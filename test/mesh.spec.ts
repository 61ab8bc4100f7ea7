import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../catalog/releases";
import { PATCH_FORCE, awaitCaBundle, awaitWebhookServer, failClosedValidation, validationOwnedByIstiod } from "../components/chart-transforms";
import { holds } from "../catalog/versions";
import { Evaluation } from "../mocks/evaluate";
import { chart, evaluateConfig, istioCharts, objectNamed } from "./support/lab";

describe("mesh: Istio from its Helm charts", () => {
    let lab: Evaluation;
    const evaluated = new Map<string, Evaluation>();
    before(async () => {
        lab = await evaluateConfig();
        for (const version of ["1.30.4", "1.30.3", "1.29.7", "1.29.2", "1.29.1", "1.28.6", "1.28.5", "1.20.8", "1.18.7", "1.17.8", "1.14.6"]) {
            evaluated.set(version, await evaluateConfig({ istio: { version } }));
        }
    });

    it("installs base, istiod and both gateways from the configured repository and version", () => {
        assert.deepEqual([...istioCharts(lab).keys()].sort(), ["istio-base", "istio-egressgateway", "istio-ingressgateway", "istiod"]);
        for (const c of istioCharts(lab).values()) {
            assert.equal(c.inputs.version, DEFAULT_ISTIO_VERSION);
            assert.deepEqual(c.inputs.repositoryOpts, { repo: "https://blob.istio.io/istio-release/charts" });
            assert.equal(c.inputs.namespace, "istio-system");
        }
        assert.equal(chart(lab, "istio-ingressgateway").inputs.chart, "gateway");
    });

    it("orders the charts base -> istiod -> gateways, after the istio-system namespace", () => {
        const ns = lab.resources.find((r) => r.inputs.kind === "Namespace" && r.inputs.metadata.name === "istio-system")!;
        assert.deepEqual(chart(lab, "istio-base").dependsOn, [ns.name]);
        assert.deepEqual(chart(lab, "istiod").dependsOn, [chart(lab, "istio-base").name]);
        for (const gateway of ["istio-ingressgateway", "istio-egressgateway"]) {
            assert.deepEqual(chart(lab, gateway).dependsOn, [chart(lab, "istiod").name]);
        }
    });

    it("sets demo-profile behaviour: access logs to stdout, 100% trace sampling, lab-sized requests, one replica", () => {
        const values = chart(lab, "istiod").inputs.values;
        assert.equal(values.meshConfig.accessLogFile, "/dev/stdout");
        assert.equal(values.traceSampling, 100);
        assert.deepEqual(values.resources.requests, { cpu: "10m", memory: "100Mi" });
        assert.ok(values.resources.limits.cpu && values.resources.limits.memory, "istiod has limits, as the policy pack requires");
        assert.equal(values.autoscaleEnabled, false);
        assert.deepEqual(values.global.proxy.resources.requests, { cpu: "10m", memory: "40Mi" });
        for (const gateway of ["istio-ingressgateway", "istio-egressgateway"]) {
            const g = chart(lab, gateway).inputs.values;
            assert.deepEqual(g.resources.requests, { cpu: "10m", memory: "40Mi" });
            assert.equal(g.autoscaling.enabled, false);
            assert.equal(g.replicaCount, 1);
        }
    });

    it("pins Istio's images to the chart version and the configured hub", () => {
        const global = chart(lab, "istiod").inputs.values.global;
        assert.equal(global.hub, "docker.io/istio");
        assert.equal(global.tag, DEFAULT_ISTIO_VERSION);
    });

    it("names the ingress gateway so its pods carry istio: ingressgateway, which the Gateway selects", () => {
        const values = chart(lab, "istio-ingressgateway").inputs.values;
        assert.equal(values.name, "istio-ingressgateway");
        assert.equal(values.labels.istio, "ingressgateway");
        assert.deepEqual(objectNamed(lab, "Gateway", "frontend-gateway").spec.selector, { istio: values.labels.istio });
        assert.equal(chart(lab, "istio-egressgateway").inputs.values.labels.istio, "egressgateway");
        assert.equal(chart(lab, "istio-egressgateway").inputs.values.service.type, "ClusterIP");
    });

    it("creates the validating webhooks fail-closed, as istiod keeps them, through the value where the chart reads it", async () => {
        // istio/istio: base and istiod templates read base.validationFailurePolicy from 1.28.6 and 1.29.2 on, not in 1.28.5 or 1.29.1.
        const reads: [string, boolean][] = [
            [DEFAULT_ISTIO_VERSION, true],
            ["1.29.2", true],
            ["1.29.1", false],
            ["1.28.6", true],
            ["1.28.5", false],
            ["1.20.8", false],
        ];
        for (const [version, read] of reads) {
            const values = (release: string) => chart(version === DEFAULT_ISTIO_VERSION ? lab : evaluated.get(version)!, release).inputs.values;
            for (const release of ["istio-base", "istiod"]) {
                assert.deepEqual(values(release).base, read ? { validationFailurePolicy: "Fail" } : undefined, `${release} ${version}`);
            }
        }
    });

    it("first up: no Istio object of a chart meets a fail-closed webhook before istiod can answer it (the order of one up, modelled)", async () => {
        // One up creates the base chart's objects (its istiod-default-validator among them), then istiod's chart:
        // istiod's Deployment and, in 1.14 to 1.17, the telemetry EnvoyFilters its templates render with it
        // (istio/istio 1.17.8 istio-discovery/templates/telemetryv2_1.17.yaml; 1.18.0 renders them only with
        // meshConfig.defaultProviders set). Those are created while no istiod answers: the API server admits them
        // only if every validating webhook then in place fails open. Charts render Ignore where they do not read
        // base.validationFailurePolicy (catalog/versions.ts, validation-failure-policy-honoured).
        const validator = (policy: string) => ({
            metadata: { name: "istiod-default-validator" },
            webhooks: [{ name: "validation.istio.io", failurePolicy: policy }],
        });
        const createdWith = async (evaluation: Evaluation, release: string, version: string) => {
            const values = chart(evaluation, release).inputs.values;
            let object: Record<string, any> = validator(values.base?.validationFailurePolicy ?? "Ignore");
            for (const name of chart(evaluation, release).transforms) {
                const transform = [failClosedValidation, validationOwnedByIstiod].find((t) => t.name === name);
                if (transform === undefined) continue;
                const type = "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration";
                object = ((await transform({ type, name: "x", custom: true, props: object, opts: {} }))?.props as Record<string, any>) ?? object;
            }
            assert.ok(holds("validation-failure-policy-honoured", version) || values.base === undefined, version);
            return object;
        };
        for (const version of ["1.14.6", "1.17.8", "1.18.7", "1.20.8", "1.28.5", DEFAULT_ISTIO_VERSION]) {
            const evaluation = version === DEFAULT_ISTIO_VERSION ? lab : evaluated.get(version)!;
            const istioConfigWithIstiod = holds("istiod-chart-renders-envoyfilters", version);
            for (const release of ["istio-base", "istiod"]) {
                const webhook = await createdWith(evaluation, release, version);
                const policies = webhook.webhooks.map((w: { failurePolicy: string }) => w.failurePolicy);
                if (istioConfigWithIstiod) {
                    assert.deepEqual(policies, ["Ignore"], `${release} ${version}: the EnvoyFilters created with istiod are admitted`);
                    assert.equal(
                        webhook.metadata.annotations?.[PATCH_FORCE],
                        "true",
                        `${release} ${version}: a later apply never conflicts with istiod's Fail`,
                    );
                } else {
                    assert.deepEqual(policies, ["Fail"], `${release} ${version}: fail-closed from the start`);
                }
            }
        }
        assert.deepEqual(
            ["1.14.6", "1.17.8", "1.18.7"].map((v) => holds("istiod-chart-renders-envoyfilters", v)),
            [true, true, false],
        );
        // The range holds only while the lab leaves meshConfig.defaultProviders unset (1.18's _helpers.tpl "prometheus").
        for (const evaluation of [lab, ...evaluated.values()]) assert.equal(chart(evaluation, "istiod").inputs.values.meshConfig.defaultProviders, undefined);
    });

    it("and through a transform of both charts for every release, so no release leaves a field for istiod to flip", async () => {
        for (const version of [DEFAULT_ISTIO_VERSION, "1.28.5", "1.20.8"]) {
            const evaluation = version === DEFAULT_ISTIO_VERSION ? lab : evaluated.get(version)!;
            for (const release of ["istio-base", "istiod"]) {
                assert.ok(chart(evaluation, release).transforms.includes(failClosedValidation.name), `${release} ${version}`);
            }
        }
    });

    it("counts istiod as ready only once its webhook server listens, where the release reports ready before it (istio#61049)", () => {
        // Fixed in 1.29.7, 1.30.4 and 1.31.0: istio/istio release-1.29 44653896, release-1.30 1d435ebf, release-1.31 1aa74c5f
        // ("fix: mark webhooks ready only after server ready"); every release before, back to 1.14, has it.
        const waits: [string, boolean][] = [
            ["1.20.8", true],
            ["1.29.2", true],
            ["1.29.7", false],
            ["1.30.3", true],
            ["1.30.4", false],
            [DEFAULT_ISTIO_VERSION, false],
        ];
        for (const [version, waitsForServer] of waits) {
            const evaluation = version === DEFAULT_ISTIO_VERSION ? lab : evaluated.get(version)!;
            assert.equal(chart(evaluation, "istiod").transforms.includes(awaitWebhookServer.name), waitsForServer, version);
            for (const release of ["istio-base", "istio-ingressgateway"]) assert.ok(!chart(evaluation, release).transforms.includes(awaitWebhookServer.name));
        }
    });

    it("counts istiod as ready only once its webhooks carry the CA bundle, and never makes the base chart wait for istiod", () => {
        assert.ok(chart(lab, "istiod").transforms.includes(awaitCaBundle.name));
        // istio/istio istio-discovery/templates/validatingwebhookconfiguration.yaml renders istiod's own validator only
        // with global.configValidation, which the chart's values leave unset before 1.22 (1.21.6 values.yaml).
        for (const evaluation of [lab, evaluated.get("1.20.8")!]) assert.equal(chart(evaluation, "istiod").inputs.values.global.configValidation, true);
        // istiod is installed after the base chart and writes the bundle: a base chart waiting for it would never finish.
        assert.ok(!chart(lab, "istio-base").transforms.includes(awaitCaBundle.name));
        assert.deepEqual(chart(lab, "istiod").dependsOn, [chart(lab, "istio-base").name]);
        for (const gateway of ["istio-ingressgateway", "istio-egressgateway"]) assert.deepEqual(chart(lab, gateway).transforms, []);
    });

    describe("ingress gateway Service", () => {
        const service = async (ingress: object) => chart(await evaluateConfig({ istio: { ingress } as never }), "istio-ingressgateway").inputs.values.service;

        it("NodePort (default) pins the HTTP node port and keeps Istio's port names", async () => {
            const svc = await service({ type: "NodePort", httpNodePort: 31080 });
            assert.equal(svc.type, "NodePort");
            const http = svc.ports.find((p: { name: string }) => p.name === "http2");
            assert.deepEqual(http, { name: "http2", port: 80, protocol: "TCP", targetPort: 80, nodePort: 31080 });
            assert.deepEqual(
                svc.ports.map((p: { name: string }) => p.name),
                ["status-port", "http2", "https"],
            );
        });

        it("LoadBalancer does not wait for an address unless asked (kind, minikube and kubeadm never get one)", async () => {
            const lazy = await service({ type: "LoadBalancer" });
            assert.equal(lazy.type, "LoadBalancer");
            assert.equal(lazy.annotations["pulumi.com/skipAwait"], "true");
            const eager = await service({ type: "LoadBalancer", awaitAddress: true });
            assert.equal(eager.annotations["pulumi.com/skipAwait"], undefined);
            assert.equal(eager.annotations["boutique-mesh.io/exposure"], "config", "the policy pack reads the config's intent here");
        });

        it("ClusterIP has no node port", async () => {
            const svc = await service({ type: "ClusterIP" });
            assert.equal(svc.type, "ClusterIP");
            assert.equal(svc.annotations, undefined);
            assert.ok(svc.ports.every((p: { nodePort?: number }) => p.nodePort === undefined));
        });
    });

    it("leaves the egress gateway out when it is turned off", async () => {
        const noEgress = await evaluateConfig({ istio: { egressGateway: false } });
        assert.deepEqual([...istioCharts(noEgress).keys()].sort(), ["istio-base", "istio-ingressgateway", "istiod"]);
    });

    it("mirrors Istio's hub and takes charts from an OCI registry", async () => {
        const mirrored = await evaluateConfig({
            images: { mirrors: { "docker.io": "registry.lab:5000/hub" } },
            istio: { chartRepository: "oci://registry.lab:5000/charts/istio" },
        });
        assert.equal(chart(mirrored, "istiod").inputs.values.global.hub, "registry.lab:5000/hub/istio");
        assert.equal(chart(mirrored, "istiod").inputs.chart, "oci://registry.lab:5000/charts/istio/istiod");
        assert.equal(chart(mirrored, "istiod").inputs.repositoryOpts, undefined);
    });

    it("nests istiod's settings under pilot for charts before 1.24", async () => {
        const old = chart(evaluated.get("1.20.8")!, "istiod").inputs.values;
        assert.equal(old.traceSampling, undefined);
        assert.equal(old.pilot.traceSampling, 100);
        assert.deepEqual(old.pilot.resources.requests, { cpu: "10m", memory: "100Mi" });
        assert.equal(old.global.tag, "1.20.8");
    });
});
