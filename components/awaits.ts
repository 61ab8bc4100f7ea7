/**
 * What the provider waits for before it counts an object as created or updated, and which of those
 * waits the lab keeps. Kept, because something after them needs them:
 * - a Deployment until its new pods are ready and it is Available (pulumi-kubernetes v4.25.0
 *   provider/pkg/await/deployment.go): `up` ends with every workload Available, and istiod's readiness
 *   is what injected pods and Istio objects wait for;
 * - the order base chart, then istiod, then Istio objects: the provider has no await for a CRD (v4.25.0
 *   provider/pkg/await/awaiters.go lists none), but retries the create of an object whose kind is not
 *   served yet (await.go, Creation: `retrier.Do(apierrors.IsNotFound, meta.IsNoMatchError)`);
 * - a webhook object until istiod has written its CA bundle (components/chart-transforms.ts,
 *   awaitCaBundle): before that the API server cannot call it;
 * - istiod's Service: the API server calls the webhooks through it, so it is ready only once its
 *   endpoints exist and stopped changing (below);
 * - a LoadBalancer Service only when the stack asks for its address (`istio.ingress.awaitAddress`).
 * Dropped: the wait of every other Service, which nothing in the lab reads.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ISTIO_NAMESPACE } from "./mesh/charts";
import { SERVICE } from "./chart-transforms";
import { SKIP_AWAIT, SKIP_AWAIT_ANNOTATION } from "./labels";
import { withMetadata } from "./transforms";

/** istiod's Service, the webhooks' backend (istio/istio manifests/charts/istio-control/istio-discovery templates/service.yaml). */
export const ISTIOD_SERVICE = { name: "istiod", namespace: ISTIO_NAMESPACE };

interface ServiceObject {
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
    spec?: { type?: string };
}

/**
 * A Service counts as created once the API server has it. The provider otherwise holds each Service
 * with a selector until its Endpoints have not changed for 10 seconds (v4.25.0 and v4.32.0
 * provider/pkg/await/service.go: processEndpointEvent restarts a 10 s timer on every Endpoints event;
 * checkAndLogStatus succeeds only once it fired), and the engine runs only a few steps at a time: 19
 * Services held every step of a first `up` 10 s each. Nothing in the lab reads a Service's endpoints
 * except the API server calling istiod's webhooks, so istiod's Service keeps the wait; a LoadBalancer
 * keeps whatever its values say (its address is an output when the stack waits for it).
 */
export const skipServiceAwait: pulumi.ResourceTransform = (args) => {
    if (args.type !== SERVICE) return undefined;
    const service = args.props as ServiceObject;
    const metadata = service.metadata ?? {};
    if (service.spec?.type === "LoadBalancer") return undefined;
    // A chart's objects name their namespace (`{{ .Release.Namespace }}`); istiod's is istio-system.
    if (metadata.name === ISTIOD_SERVICE.name && (metadata.namespace ?? ISTIOD_SERVICE.namespace) === ISTIOD_SERVICE.namespace) return undefined;
    if (metadata.annotations?.[SKIP_AWAIT_ANNOTATION] !== undefined) return undefined;
    return withMetadata(args, "annotations", SKIP_AWAIT);
};
