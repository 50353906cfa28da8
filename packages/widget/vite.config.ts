/**
 * Two browser builds from one config, picked by `--mode`:
 *   iife  → dist/kassa.js          one file for a <script> tag, Lit bundled, registers <kassa-checkout>, global
 *                                  `Kassa`, pinned to the origin it is loaded from (src/script-tag.ts); with it,
 *           dist/locales/*.json    every locale's strings, which kassa.js fetches from that origin (with the
 *                                  SHA-256 of each, built into kassa.js)
 *   frame → dist/frame/card.js     the card frame page's script, Lit bundled, registers <kassa-card-frame>;
 *           dist/frame/<locale>-<hash>.js   one chunk per locale but English, loaded on demand;
 *           dist/frame/manifest.json        which chunk holds which locale (the server preloads the shopper's)
 * The npm package's ES modules and type declarations are tsc's (tsconfig.build.json). `pnpm build`
 * runs all three, then checks the gzip budgets (check-size.mjs).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { minifyTemplates } from './vite-plugin-minify-templates.js';
// Static imports: Vite bundles the config with its relative imports (core's TS it would not load).
import de from './src/i18n/locales/de.js';
import en from './src/i18n/locales/en.js';
import es from './src/i18n/locales/es.js';
import fr from './src/i18n/locales/fr.js';
import ja from './src/i18n/locales/ja.js';
import zhCN from './src/i18n/locales/zh-CN.js';
import zhTW from './src/i18n/locales/zh-TW.js';

const version = (JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Every locale's complete table, in core's LOCALES order (test/i18n.test.ts checks both), as the JSON kassa.js fetches. */
const TABLES: Record<string, Record<string, string>> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW, ja, es, de, fr };
const localeFiles = (): Record<string, string> =>
  Object.fromEntries(Object.entries(TABLES).map(([locale, table]) => [locale, JSON.stringify(table)]));

function emitLocales(files: Record<string, string>): Plugin {
  return {
    name: 'kassa:locales',
    generateBundle() {
      for (const [locale, source] of Object.entries(files)) this.emitFile({ type: 'asset', fileName: `locales/${locale}.json`, source });
    },
  };
}

export default defineConfig(({ mode }) => {
  const files = mode === 'iife' ? localeFiles() : {};
  // SHA-256 digests back to back, in LOCALES order, each 43 base64 characters (without the one
  // `=` of padding every one ends with): the least kassa.js can carry to pin every locale file
  // (the order is checked when it is used).
  const digests = Object.values(files)
    .map((source) => createHash('sha256').update(source).digest('base64').slice(0, 43))
    .join('');
  const BUILDS: Record<string, UserConfig['build']> = {
    iife: {
      lib: { entry: 'src/script-tag.ts', name: 'Kassa', formats: ['iife'], fileName: () => 'kassa.js' },
      emptyOutDir: true,
    },
    frame: {
      lib: { entry: 'src/card-frame/define.ts', formats: ['es'], fileName: () => 'frame/card.js' },
      manifest: 'frame/manifest.json',
      // Library mode keeps ES output readable; this one is served, not imported, so minify it fully.
      rolldownOptions: { output: { minify: true, chunkFileNames: 'frame/[name]-[hash].js' } },
      emptyOutDir: false,
    },
  };
  const build = BUILDS[mode];
  if (!build) throw new Error(`unknown build mode "${mode}"; use one of ${Object.keys(BUILDS).join(', ')}`);
  return {
    // No public/ dir and no .env: the widget build must not pick up anything implicit.
    plugins: [minifyTemplates(), ...(mode === 'iife' ? [emitLocales(files)] : [])],
    publicDir: false,
    envDir: false,
    define: {
      __KASSA_VERSION__: JSON.stringify(version),
      __KASSA_LOCALE_SHA256__: JSON.stringify(digests),
    },
    build: {
      ...build,
      rolldownOptions: {
        ...build.rolldownOptions,
        // Reading a property of core's plain `as const` tables has no side effect; without this,
        // unused tables (status transitions) leave their property reads behind in the bundle.
        treeshake: { propertyReadSideEffects: false },
      },
      outDir: 'dist',
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: true,
    },
  };
});
