/**
 * Loaded before every spec (.mocharc.json): the program reads the ambient kubeconfig to pin a stack's
 * target (components/cluster/kubeconfig.ts), so the specs run with none, whatever the machine has, and with a
 * HOME of their own. A spec that needs a kubeconfig sets KUBECONFIG itself.
 *
 * The specs' temporary folders come from scratch(), inside one folder of the run that is removed when the run
 * ends, so they never pile up in the machine's /tmp. TMPDIR itself is left as the machine has it: the runner's
 * surroundings may keep their own files there.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const run = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-test-"));
process.on("exit", () => fs.rmSync(run, { recursive: true, force: true }));

delete process.env.KUBECONFIG;
process.env.HOME = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-test-home-"));

/** A new empty folder for a spec, named from prefix, removed with the run's folder when the run ends. */
export function scratch(prefix: string): string {
    return fs.mkdtempSync(path.join(run, prefix));
}
