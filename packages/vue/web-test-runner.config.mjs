// Browser tests in Debian's Chromium (test tools cannot download browsers here).
//
// Test files are bundled by esbuild before they are served: Vue's ES build for bundlers reads
// `process.env.NODE_ENV` and compile-time feature flags that a browser does not define, and
// bundling resolves the workspace packages too (the same setup as packages/react).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { wtrSummaryReporter } from '../../scripts/wtr-summary-reporter.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

/** @returns {import('@web/test-runner').TestRunnerPlugin} */
function esbuildBundleTests() {
  return {
    name: 'esbuild-bundle-tests',
    async serve(context) {
      if (!/^\/test\/[^?]+\.test\.ts$/.test(context.path)) return undefined;
      const result = await build({
        absWorkingDir: root,
        entryPoints: [`.${context.path}`],
        bundle: true,
        write: false,
        format: 'esm',
        target: 'es2022',
        sourcemap: 'inline',
        tsconfig: 'tsconfig.json',
        define: {
          'process.env.NODE_ENV': '"development"',
          __VUE_OPTIONS_API__: 'true',
          __VUE_PROD_DEVTOOLS__: 'false',
          __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
        },
        logLevel: 'silent',
      });
      return { body: result.outputFiles[0].text, type: 'js' };
    },
  };
}

export default {
  rootDir: root,
  files: ['test/**/*.test.ts'],
  nodeResolve: false,
  plugins: [esbuildBundleTests()],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      },
    }),
  ],
  reporters: [defaultReporter(), wtrSummaryReporter()],
  testFramework: { config: { timeout: 5000 } },
};
