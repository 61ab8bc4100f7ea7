import * as pulumi from "@pulumi/pulumi";
import { ConfigError, LabConfig } from "./schema";
import { labConfigFrom } from "./stack";

/** Whether Pulumi holds a key as a secret. Exported by the SDK's runtime but missing from its typings. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a module path the package exports but its typings do not
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

/** The stack's validated config; a bad value stops the program before anything is declared. */
export function loadLabConfig(): LabConfig {
    try {
        const flat = pulumi.runtime.allConfig();
        return labConfigFrom(
            flat,
            Object.keys(flat).filter((key) => isConfigSecret(key)),
        );
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new pulumi.RunError(`stack "${pulumi.getStack()}" has an ${error.message}`);
        }
        throw error;
    }
}
