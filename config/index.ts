import * as pulumi from "@pulumi/pulumi";
import { ConfigError, LabConfig } from "./schema";
import { labConfigFrom } from "./stack";

export { ConfigError, LabConfig, PROJECT, parseLabConfig } from "./schema";

/** The stack's validated config; a bad value stops the program before anything is declared. */
export function loadLabConfig(): LabConfig {
    try {
        return labConfigFrom(pulumi.runtime.allConfig());
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new pulumi.RunError(`stack "${pulumi.getStack()}" has an ${error.message}`);
        }
        throw error;
    }
}
