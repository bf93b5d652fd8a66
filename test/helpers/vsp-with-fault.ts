// The CLI with a fault injected after a rotation step, through main()'s test seam (the installed
// CLI has no such flag): node vsp-with-fault.js fail|crash secret|helper <vsp arguments…>
import { main } from "../../src/cli.js";
import { VspError } from "../../src/errors.js";

const [kind, step, ...argv] = process.argv.slice(2);
if ((kind !== "fail" && kind !== "crash") || (step !== "secret" && step !== "helper")) {
  process.stderr.write("usage: vsp-with-fault fail|crash secret|helper <vsp arguments>\n");
  process.exit(2);
}
process.exitCode = await main(argv, process.env, {
  rotateAfterStep: (done) => {
    if (done !== step) return;
    if (kind === "crash") process.kill(process.pid, "SIGKILL");
    throw new VspError(
      `simulated failure after ${done === "secret" ? "creating the secret" : "swapping the helper"}`,
    );
  },
});
