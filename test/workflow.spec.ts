import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR, shippedStacks } from "../config/project";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };

describe("workflow: stack previews in pull requests", () => {
    const workflow = parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", "preview.yml"), "utf8"));
    const preview = workflow.jobs.preview;
    const steps: Step[] = preview.steps;

    it("runs on pull requests, with the tests first", () => {
        assert.ok("pull_request" in workflow.on);
        assert.deepEqual(preview.needs, "test");
        assert.ok(
            workflow.jobs.test.steps.some((s: Step) => s.run === "npm test"),
            "the README's test command",
        );
        assert.ok(workflow.jobs.test.steps.some((s: Step) => /apt-get install .*skopeo docker-registry/.test(s.run ?? "")));
    });

    it("previews exactly the stack files of the repository, so a new stack is never left out", () => {
        assert.deepEqual([...preview.strategy.matrix.stack].sort(), shippedStacks());
    });

    it("analyzes the mesh and previews each stack with the policy pack, one PR comment per stack", () => {
        const run = steps.map((s) => s.run ?? "").join("\n");
        assert.match(run, /npm ci/);
        assert.match(run, /npm run -s analyze -- \$\{\{ matrix\.stack \}\}/);
        assert.match(run, /npm run -s policy-config -- \$\{\{ matrix\.stack \}\}/);
        const action = steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        assert.ok(action, "uses pulumi/actions");
        assert.equal(action.with!.command, "preview");
        assert.equal(action.with!["stack-name"], "${{ matrix.stack }}");
        assert.equal(action.with!["comment-on-pr"], true);
        assert.equal(action.with!.policyPacks, "policy");
        assert.ok(fs.existsSync(path.join(PROJECT_DIR, "policy", "PulumiPolicy.yaml")), "the pack it names exists");
    });
});
