// How every browser test here starts Chromium: Debian's build (test tools cannot download
// their own browsers on these machines) with the flags that work as root in a closed network
// (see shared/TOOLCHAIN.md). Used by the @web/test-runner configs and by e2e/harness.ts.

export const CHROMIUM_PATH = process.env.KASSA_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `launchOptions` for @web/test-runner-chrome's chromeLauncher. */
export const chromiumLaunchOptions = { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS };

/**
 * A @web/test-runner plugin that bundles each test file with esbuild before serving it.
 * React ships CommonJS only and Vue's bundler build reads `process.env.NODE_ENV` and
 * compile-time flags, neither of which a browser (or the per-file esbuild transform) handles.
 * `build` is passed in because esbuild resolves from the calling package, not from scripts/.
 *
 * @param {{ build: typeof import('esbuild').build, root: string, define?: Record<string, string>, jsx?: 'automatic' }} options
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 */
export function esbuildBundleTests({ build, root, define = {}, jsx }) {
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
        ...(jsx ? { jsx } : {}),
        sourcemap: 'inline',
        tsconfig: 'tsconfig.json',
        define: { 'process.env.NODE_ENV': '"development"', ...define },
        logLevel: 'silent',
      });
      return { body: result.outputFiles[0].text, type: 'js' };
    },
  };
}
