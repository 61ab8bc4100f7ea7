/**
 * Istio's ambient data plane, as the lab installs it for `istio.dataPlane: ambient`: the node agents (the
 * cni and ztunnel charts), the labels that put a namespace in ambient and send its traffic through a
 * waypoint, and the waypoint itself. Read in istio/istio at 1.24.0 and 1.31.0-rc.0 and on istio.io:
 *  - the Helm guide installs base, istiod and cni with `profile=ambient`, then ztunnel without a profile
 *    (istio/istio.io content/en/docs/ambient/install/helm/index.md, snips.sh);
 *  - the ambient profile turns on PILOT_ENABLE_AMBIENT in istiod, HBONE in the proxies, `cni.ambient.enabled`
 *    and the distroless image variant (manifests/charts/{istio-control/istio-discovery,istio-cni}/files/profile-ambient.yaml);
 *    the cni chart copies `cni.*` to the top of its values (istio-cni/templates/zzy_descope_legacy.yaml);
 *  - the cni chart's DaemonSet is `istio-cni-node` (istio-cni/templates/_helpers.tpl, daemonset.yaml), image
 *    `<hub>/install-cni:<tag>[-<variant>]`; ztunnel's is `ztunnel`, image `<hub>/ztunnel:<tag>[-<variant>]`
 *    from its top-level hub/tag/variant, into which it flattens `global` (ztunnel/templates/daemonset.yaml,
 *    zzz_profile.yaml);
 *  - both run as root with added capabilities (NET_ADMIN, NET_RAW, SYS_ADMIN; cni also SYS_PTRACE) and mount
 *    host paths: what a node agent that rewires pods' networking needs (the charts' daemonset.yaml);
 *  - `istioctl waypoint apply` writes a Gateway named `waypoint` (constants.DefaultNamespaceWaypoint), class
 *    `istio-waypoint`, one listener `mesh` on 15008 over HBONE, labelled `istio.io/waypoint-for: service`
 *    (istioctl/pkg/waypoint/waypoint.go L60-110 at 1.24.0; pkg/config/constants/constants.go);
 *  - at a waypoint, VirtualService and DestinationRule are Alpha, HTTPRoute is Beta, and mixing the two APIs is
 *    unsupported (istio/istio.io content/en/docs/ambient/usage/l7-features/index.md).
 */
import { Source } from "./versions";

/** Ambient is GA from 1.24 (istio/istio.io content/en/news/releases/1.24.x/announcing-1.24/_index.md: "Ambient mode is generally available"). */
export const MIN_AMBIENT_ISTIO = "1.24.0";

/** The label that puts a namespace's pods in ambient, instead of `istio-injection: enabled`. */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
/** The label that sends a namespace's (or Service's) traffic through a waypoint, by the waypoint's name. */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
/** On the waypoint Gateway: which traffic it serves (`service`: traffic addressed to the namespace's Services). */
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";

/** The shop's waypoint, the name `istioctl waypoint apply` gives by default. */
export const WAYPOINT_NAME = "waypoint";
/** The GatewayClass istiod deploys waypoints for, and its one listener (HBONE on 15008). */
export const WAYPOINT_CLASS = "istio-waypoint";
export const WAYPOINT_LISTENER = { name: "mesh", port: 15008, protocol: "HBONE" } as const;

/** A node agent of ambient: one chart, one DaemonSet, one image. */
export interface NodeAgent {
    /** The chart's name in Istio's repositories, and the Helm release the guide installs it as. */
    chart: "cni" | "ztunnel";
    release: string;
    /** The DaemonSet the chart renders in istio-system. */
    daemonSet: string;
    /** The image's name below Istio's hub. */
    image: string;
    /** Whether the guide installs it with `profile=ambient` (and so with the profile's distroless variant). */
    ambientProfile: boolean;
    /** Why it runs as root with capabilities: the reason the policy pack gives for exempting it from those rules. */
    needs: string;
    sources: readonly Source[];
}

const chartFile = (tag: string, path: string): Source => ({ repository: "istio/istio", tag, path: `manifests/charts/${path}` });

export const NODE_AGENTS: readonly NodeAgent[] = [
    {
        chart: "cni",
        release: "istio-cni",
        daemonSet: "istio-cni-node",
        image: "install-cni",
        ambientProfile: true,
        needs: "installs the CNI plugin on the node and redirects each ambient pod's traffic to ztunnel inside the pod's network namespace (root, NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_ADMIN)",
        sources: [chartFile("1.24.0", "istio-cni/templates/daemonset.yaml"), chartFile("1.31.0-rc.0", "istio-cni/templates/daemonset.yaml")],
    },
    {
        chart: "ztunnel",
        release: "ztunnel",
        daemonSet: "ztunnel",
        image: "ztunnel",
        ambientProfile: false,
        needs: "proxies every ambient pod's traffic from inside the pod's network namespace (root, NET_ADMIN, SYS_ADMIN, NET_RAW)",
        sources: [chartFile("1.24.0", "ztunnel/templates/daemonset.yaml"), chartFile("1.31.0-rc.0", "ztunnel/templates/daemonset.yaml")],
    },
];

/**
 * What a waypoint istiod deploys requests: `global.waypoint.resources` of the istiod chart, which the lab leaves
 * as it is (manifests/charts/istio-control/istio-discovery/values.yaml and files/waypoint.yaml, 1.24.0 and 1.31.0-rc.0).
 */
export const WAYPOINT_REQUESTS = { cpu: "100m", memory: "128Mi" } as const;

/** What the preview says where a waypoint carries the Istio API's routes. */
export const VIRTUAL_SERVICE_AT_WAYPOINT =
    'ambient with routingApi "istio": the waypoint applies VirtualServices and DestinationRules, which Istio still rates Alpha in ambient (istio.io docs/ambient/usage/l7-features); routingApi "gateway-api" is the Beta path where the scenario allows it';

/** The image variant the ambient profile sets (`global.variant`), for istiod, its proxies and cni. */
export const AMBIENT_PROFILE_VARIANT = "distroless";
