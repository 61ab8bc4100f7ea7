/**
 * The lab's policy pack: `pulumi preview --policy-pack policy --policy-pack-config <file>`, where the
 * config file is `npm run -s policy-config -- <stack>`. Constructing a PolicyPack starts its server,
 * so the policies live in ./policies.ts for the tests.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("boutique-mesh", { policies });
