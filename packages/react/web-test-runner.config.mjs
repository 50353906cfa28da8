// Browser tests in Debian's Chromium (test tools cannot download browsers here).
//
// Test files are bundled by esbuild before they are served: React ships CommonJS only, which
// a browser cannot import and @web/dev-server-esbuild (a per-file transform) cannot convert.
// Bundling handles TSX, CommonJS and the workspace packages in one step.
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
      if (!/^\/test\/[^?]+\.test\.tsx?$/.test(context.path)) return undefined;
      const result = await build({
        absWorkingDir: root,
        entryPoints: [`.${context.path}`],
        bundle: true,
        write: false,
        format: 'esm',
        target: 'es2022',
        jsx: 'automatic',
        sourcemap: 'inline',
        tsconfig: 'tsconfig.json',
        define: { 'process.env.NODE_ENV': '"development"' },
        logLevel: 'silent',
      });
      return { body: result.outputFiles[0].text, type: 'js' };
    },
  };
}

export default {
  rootDir: root,
  files: ['test/**/*.test.tsx'],
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
