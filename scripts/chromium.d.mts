// Types for chromium.mjs, so TypeScript callers (e2e/harness.ts) can import it under `strict`.
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export declare const chromiumLaunchOptions: { executablePath: string; headless: boolean; args: string[] };
export declare function esbuildBundleTests(options: {
  build: unknown;
  root: string;
  define?: Record<string, string>;
  jsx?: 'automatic';
}): { name: string; serve(context: { path: string }): Promise<{ body: string; type: 'js' } | undefined> };
