/**
 * Loaded before every spec (.mocharc.json): the program reads the ambient kubeconfig to pin a stack's
 * target (components/cluster/kubeconfig.ts), so the specs run with none, whatever the machine has. A spec that
 * needs one sets KUBECONFIG itself.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

delete process.env.KUBECONFIG;
process.env.HOME = fs.mkdtempSync(path.join(os.tmpdir(), "boutique-mesh-test-home-"));
