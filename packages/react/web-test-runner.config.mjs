// React wrapper tests in Debian's Chromium. Test files are bundled by esbuild before they
// are served: React ships CommonJS only, which a browser cannot import.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { wtrSummaryReporter } from '../../scripts/wtr-summary-reporter.mjs';
import { chromiumLaunchOptions, esbuildBundleTests } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

export default {
  rootDir: root,
  files: ['test/**/*.test.tsx'],
  nodeResolve: false,
  plugins: [esbuildBundleTests({ build, root, jsx: 'automatic' })],
  browsers: [chromeLauncher({ launchOptions: chromiumLaunchOptions })],
  reporters: [defaultReporter(), wtrSummaryReporter()],
  testFramework: { config: { timeout: 5000 } },
};
