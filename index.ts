import { LAB_NAME, Lab } from "./components/lab";
import { loadLabConfig } from "./config";

const lab = new Lab(LAB_NAME, { config: loadLabConfig() });

/** Where to open the shop, and how to reach it when the ingress has no address of its own. */
export const shopUrl = lab.shopUrl;
export const shopAccess = lab.shopAccess;
export const shopPortForward = lab.shopPortForward;
/** The single shop's namespace (null in a classroom). */
export const namespace = lab.namespace ?? null;
/** A classroom's shops (`boutique-mesh:shops`): each one's name, namespace, scenario, host, URL and port-forward; null without. */
export const shops = lab.shops ?? null;
export const istioVersion = lab.istioVersion;
export const scenario = lab.scenario;
/** Every image the lab pulls, after the mirrors: what a mirror must hold. */
export const images = lab.images;
/** Per addon: the local URL, the port-forward command that serves it there, and its node port if any. */
export const dashboards = lab.dashboards;
/** Grafana's admin password, a secret: `pulumi stack output --show-secrets grafanaAdminPassword`. */
export const grafanaAdminPassword = lab.grafanaAdminPassword ?? null;
