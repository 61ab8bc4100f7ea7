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
 * On a LoadBalancer Service nothing in the lab waits for: without it the provider waits up to 10
 * minutes for an external address (pulumi-kubernetes provider/pkg/await/service.go, await.go Creation) that kind,
 * minikube and bare kubeadm never assign, and fails.
 */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;
