import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, shippedStacks, stackNames } from "../config/project";

describe("project: the stacks the project ships, and a user's own", () => {
    it("a user's own stack file counts for the commands but not for the tests and the workflow", () => {
        const file = path.join(PROJECT_DIR, "Pulumi.zz-mylab.yaml");
        fs.writeFileSync(file, "config:\n  boutique-mesh:istio:\n    verison: not even valid\n");
        try {
            assert.ok(stackNames().includes("zz-mylab"), "npm run lab -- up --all brings it up too");
            assert.ok(!shippedStacks().includes("zz-mylab"), "no spec judges it");
            assert.deepEqual(
                shippedStacks(),
                stackNames().filter((s) => s !== "zz-mylab"),
            );
            assert.ok(shippedStacks().includes("dev") && shippedStacks().length >= 6);
        } finally {
            fs.rmSync(file);
        }
    });
});
