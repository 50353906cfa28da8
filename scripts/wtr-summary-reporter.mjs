// A @web/test-runner reporter that writes `{ passed, failed, skipped }` to a JSON file, so
// scripts/test.sh can add browser-suite counts to the run's one summary line (wtr's own
// output is meant for humans and changes between versions).
//
// Use it next to the default reporter in a package's web-test-runner.config.mjs:
//   import { defaultReporter } from '@web/test-runner';
//   import { wtrSummaryReporter } from '../../scripts/wtr-summary-reporter.mjs';
//   export default { reporters: [defaultReporter(), wtrSummaryReporter()], ... };
//
// The file defaults to `.wtr-summary.json` in the working directory (the package folder when
// run through `pnpm --filter … test`); WTR_SUMMARY_FILE overrides it.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** @param {{ suites?: unknown[], tests?: unknown[] } | undefined} suite */
function countSuite(suite, totals) {
  if (!suite) return;
  for (const test of /** @type {Array<{passed: boolean, skipped: boolean}>} */ (suite.tests ?? [])) {
    if (test.skipped) totals.skipped += 1;
    else if (test.passed) totals.passed += 1;
    else totals.failed += 1;
  }
  for (const child of suite.suites ?? []) countSuite(/** @type {any} */ (child), totals);
}

/** Counts tests over sessions; a session that failed without a failing test (a file that did
 *  not load, an error outside any test) counts as one failure, so it can never read as green. */
export function summarize(sessions) {
  const totals = { passed: 0, failed: 0, skipped: 0, files: 0, errors: [] };
  for (const session of sessions) {
    totals.files += 1;
    const before = totals.failed;
    countSuite(session.testResults, totals);
    const sessionFailed = session.passed === false || (session.errors?.length ?? 0) > 0;
    if (sessionFailed && totals.failed === before) {
      totals.failed += 1;
      const message = session.errors?.[0]?.message ?? 'session failed without a failing test';
      totals.errors.push(`${session.testFile}: ${message}`);
    }
  }
  return totals;
}

export function wtrSummaryReporter({ file = process.env.WTR_SUMMARY_FILE ?? '.wtr-summary.json' } = {}) {
  const path = resolve(file);
  const write = (sessions) => {
    const totals = summarize(sessions);
    writeFileSync(path, `${JSON.stringify(totals, null, 2)}\n`);
  };
  return {
    onTestRunFinished({ sessions }) {
      write(sessions);
    },
    stop({ sessions }) {
      write(sessions);
    },
  };
}

export default wtrSummaryReporter;
