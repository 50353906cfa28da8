/**
 * Runs `kassa` in this process: the entry both the built bin (bin.ts) and development
 * (`tsx src/main.ts …`) use. It owns the process: its signals and its exit code.
 *
 * The first SIGINT or SIGTERM aborts the command's signal, so a long-running command (serve,
 * listen) stops cleanly and exits 0. A second Ctrl-C (SIGINT) does not wait for that; a SIGTERM
 * meanwhile is ignored: a supervisor (or scripts/demo.sh, whose terminal's Ctrl-C reached both)
 * asking again must not cut a clean shutdown short, and escalates with SIGKILL when it must.
 */
import { run } from './program.js';
import { processIo } from './output.js';

const stop = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals === 1) stop.abort();
  else if (signal === 'SIGINT') {
    process.stderr.write('kassa: interrupted again, exiting without waiting\n');
    process.exit(130);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), { io: processIo, env: process.env, cwd: process.cwd(), signal: stop.signal });
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// Not process.exit(): stdout may be a pipe still being written to; the loop ends by itself.
process.exitCode = code;
