/**
 * Prints one plain closing line, `widget: N passed, N failed`, after everything else the
 * runner prints. Counting is the shared scripts/wtr-summary-reporter.mjs `summarize` (the
 * same numbers it writes to .wtr-summary.json for scripts/test.sh).
 */
import { summarize } from '../../../scripts/wtr-summary-reporter.mjs';

export function finalLineReporter({ name }) {
  let line = `${name}: no test run finished`;
  return {
    onTestRunFinished({ sessions }) {
      const t = summarize(sessions);
      line = `${name}: ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`;
      for (const error of t.errors) line = `${error}\n${line}`;
    },
    stop() {
      // On exit, so the line comes after the runner's own closing output.
      process.once('exit', () => console.log(line));
    },
  };
}
