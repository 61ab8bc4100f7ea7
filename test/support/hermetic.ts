/**
 * Loaded before every spec (.mocharc.json): the program reads the ambient kubeconfig to pin a stack's
 * target (components/cluster/kubeconfig.ts), so the specs run with none, whatever the machine has. A spec that
 * needs one sets KUBECONFIG itself. HOME and TMPDIR point into one folder of the run, removed when the run
 * ends, so the specs' temporary files never pile up in the machine's /tmp.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const run = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-test-"));
delete process.env.KUBECONFIG;
process.env.HOME = path.join(run, "home");
process.env.TMPDIR = path.join(run, "tmp");
fs.mkdirSync(process.env.HOME);
fs.mkdirSync(process.env.TMPDIR);
process.on("exit", () => fs.rmSync(run, { recursive: true, force: true }));
