/**
 * Widget tests in real Chromium (Debian's, see shared TOOLCHAIN). The dev server's root is the
 * monorepo, so the fake card-frame page can load /packages/widget/src/... and core's sources.
 * A fake Kassa server (test/fake-kassa.mjs) runs as middleware on the same server.
 */
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { wtrSummaryReporter } from '../../scripts/wtr-summary-reporter.mjs';
import { chromiumLaunchOptions } from '../../scripts/chromium.mjs';
import { finalLineReporter } from './test/final-line-reporter.mjs';
import { fakeKassa } from './test/fake-kassa.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default {
  rootDir: here('../..'),
  files: [here('test/**/*.test.ts')],
  nodeResolve: true,
  // Several tests wait for iframes to load and post back; the default 2 s is tight on a busy CI box.
  testFramework: { config: { timeout: 15000 } },
  testsFinishTimeout: 300000,
  // One page at a time: a background page gets no focus/blur events and no rendering (so no
  // ResizeObserver callbacks), and these tests check focus handling and frame resizing.
  concurrency: 1,
  middleware: [fakeKassa()],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: here('tsconfig.json') })],
  browsers: [chromeLauncher({ launchOptions: chromiumLaunchOptions })],
  reporters: [
    defaultReporter(),
    // .wtr-summary.json ({ passed, failed, skipped }) is what scripts/test.sh adds up across suites.
    wtrSummaryReporter({ file: here('.wtr-summary.json') }),
    finalLineReporter({ name: 'widget' }),
  ],
};
