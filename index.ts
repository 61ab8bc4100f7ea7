import { Lab } from "./components/lab";
import { loadLabConfig } from "./config";

const lab = new Lab("lab", { config: loadLabConfig() });

/** Where to open the shop, and how to reach it when the ingress has no address of its own. */
export const shopUrl = lab.shopUrl;
export const shopAccess = lab.shopAccess;
export const shopPortForward = lab.shopPortForward;
export const namespace = lab.namespace;
export const istioVersion = lab.istioVersion;
export const scenario = lab.scenario;
/** Every image the lab pulls, after the mirrors: what a mirror must hold. */
export const images = lab.images;
