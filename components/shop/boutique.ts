import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadSettings, deployedServices, deploymentFor, frontendExternalService, serviceAccountFor, serviceFor } from "./workloads";

export interface BoutiqueArgs {
    settings: WorkloadSettings;
    /** The upstream `frontend-external` LoadBalancer Service. */
    frontendExternal: boolean;
    /** What pods must wait for: istiod serving its injection webhook, so every pod gets a sidecar; in ambient also the node agents. */
    dataPlaneReady: pulumi.Resource[];
    /** The namespace's data-plane labels (components/mesh/ambient.ts): injection, or ambient and its waypoint. */
    dataPlaneLabels: Record<string, string>;
    /** What must finish before anything pulls an image: the copies into the mirrors. */
    imagesReady: pulumi.Resource[];
    provider: k8s.Provider;
    /** Labels of the namespace besides the data plane's (the stack that owns it). */
    namespaceLabels: Record<string, string>;
}

/** The shop: its namespace, labelled for its data plane, and the release's workloads from the catalog. */
export class Boutique extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    /** Deployments by catalog name; scenario objects that route to them wait for them. */
    readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    readonly services: Record<string, k8s.core.v1.Service> = {};
    readonly accounts: Record<string, k8s.core.v1.ServiceAccount> = {};

    constructor(name: string, args: BoutiqueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique-mesh:index:Boutique", name, {}, opts);
        const { settings, provider } = args;
        const child = { parent: this, provider };

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: settings.namespace, labels: { ...args.namespaceLabels, ...args.dataPlaneLabels } } },
            child,
        );
        const inNamespace = { ...child, dependsOn: [this.namespace] };

        for (const service of deployedServices(settings)) {
            const id = `${name}-${service.name}`;
            const account = serviceAccountFor(service, settings.namespace);
            const accountResource = account && new k8s.core.v1.ServiceAccount(`${id}-account`, account, inNamespace);
            if (accountResource) this.accounts[service.name] = accountResource;
            const svc = serviceFor(service, settings.namespace);
            if (svc) this.services[service.name] = new k8s.core.v1.Service(`${id}-service`, svc, inNamespace);
            this.deployments[service.name] = new k8s.apps.v1.Deployment(id, deploymentFor(service, settings), {
                ...child,
                dependsOn: [this.namespace, ...args.dataPlaneReady, ...(accountResource ? [accountResource] : []), ...args.imagesReady],
            });
        }
        if (args.frontendExternal) {
            new k8s.core.v1.Service(`${name}-frontend-external`, frontendExternalService(settings.namespace), inNamespace);
        }

        this.registerOutputs({ namespace: settings.namespace });
    }
}
