/**
 * Runs `kassa` in this process: the entry both the built bin (bin.ts) and development
 * (`tsx src/main.ts …`) use. It owns the process: its signals and its exit code.
 *
 * The first SIGINT or SIGTERM aborts the command's signal, so a long-running command (serve,
 * listen) stops cleanly and exits 0; a second one does not wait for that.
 */
import { run } from './program.js';
import { processIo } from './output.js';

const stop = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) {
    process.stderr.write(`kassa: ${signal} again, exiting without waiting\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), { io: processIo, env: process.env, cwd: process.cwd(), signal: stop.signal });
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// Not process.exit(): stdout may be a pipe still being written to; the loop ends by itself.
process.exitCode = code;
