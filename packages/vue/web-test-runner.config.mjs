// Vue wrapper tests in Debian's Chromium. Test files are bundled by esbuild before they are
// served (Vue's bundler build needs `process.env.NODE_ENV` and its feature flags defined).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { wtrSummaryReporter } from '../../scripts/wtr-summary-reporter.mjs';
import { chromiumLaunchOptions, esbuildBundleTests } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

export default {
  rootDir: root,
  files: ['test/**/*.test.ts'],
  nodeResolve: false,
  plugins: [
    esbuildBundleTests({
      build,
      root,
      define: {
        __VUE_OPTIONS_API__: 'true',
        __VUE_PROD_DEVTOOLS__: 'false',
        __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
      },
    }),
  ],
  browsers: [chromeLauncher({ launchOptions: chromiumLaunchOptions })],
  reporters: [defaultReporter(), wtrSummaryReporter()],
  testFramework: { config: { timeout: 5000 } },
};
