/** Marks the lab puts on objects so that checks outside the program (the policy pack) can read its intent. */

/**
 * On a NodePort or LoadBalancer Service: the stack's config asked for this exposure. The policy pack
 * rejects any exposed Service without it, such as a chart's default LoadBalancer.
 */
export const EXPOSURE_ANNOTATION = "boutique-mesh.io/exposure";
export const EXPOSED_BY_CONFIG = { [EXPOSURE_ANNOTATION]: "config" } as const;

/**
 * On the lab's namespaces: the stack that created them. `npm run lab` reads it before the engine starts
 * to name the other lab (or say "not a lab's") when a namespace the stack would create already exists.
 */
export const STACK_LABEL = "boutique-mesh.io/stack";

/**
 * The provider's switch that skips its await (pulumi-kubernetes provider/pkg/metadata/annotations.go,
 * AnnotationSkipAwait), on a Service nothing in the lab waits for (components/awaits.ts). Without it a
 * LoadBalancer waits up to 10 minutes for an external address (provider/pkg/await/service.go, await.go
 * Creation) that kind, minikube and bare kubeadm never assign, and fails.
 */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
export const SKIP_AWAIT = { [SKIP_AWAIT_ANNOTATION]: "true" } as const;

/**
 * On the shop's pod templates in ambient: which data plane the pods were made for. A sidecar is injected only
 * when a pod is created, so a lab that changes data plane must restart its pods: changing the template rolls
 * each Deployment, in place. Sidecar pods carry no such annotation, so labs made before ambient keep theirs.
 */
export const DATA_PLANE_ANNOTATION = "boutique-mesh.io/data-plane";

/**
 * On a classroom's shop (`shops`): its namespace and every Istio object of it carry the shop's name, so the
 * policy pack and the analyzer know which objects must stay within that shop (exportTo, hosts).
 */
export const SHOP_LABEL = "boutique-mesh.io/shop";
