/**
 * Three builds from one config, picked by `--mode`:
 *   iife  → dist/kassa.js        one file for a <script> tag, Lit bundled, registers <kassa-checkout>, global `Kassa`,
 *                                pinned to the origin it is loaded from (src/script-tag.ts)
 *   esm   → dist/kassa.mjs       ES module for bundlers, `lit` left external
 *   frame → dist/frame/card.js   the card frame page's script, Lit bundled, registers <kassa-card-frame>
 * `pnpm build` runs all three (see package.json).
 */
import { defineConfig, type UserConfig } from 'vite';
import { minifyTemplates } from './vite-plugin-minify-templates.js';

const BUILDS: Record<string, UserConfig['build']> = {
  iife: {
    lib: { entry: 'src/script-tag.ts', name: 'Kassa', formats: ['iife'], fileName: () => 'kassa.js' },
    emptyOutDir: true,
  },
  esm: {
    lib: { entry: 'src/define.ts', formats: ['es'], fileName: () => 'kassa.mjs' },
    rolldownOptions: { external: [/^lit(\/.*)?$/, /^@lit\//] },
    emptyOutDir: false,
  },
  frame: {
    lib: { entry: 'src/card-frame/define.ts', formats: ['es'], fileName: () => 'frame/card.js' },
    // Library mode keeps ES output readable; this one is served, not imported, so minify it fully.
    rolldownOptions: { output: { minify: true } },
    emptyOutDir: false,
  },
};

export default defineConfig(({ mode }) => {
  const build = BUILDS[mode];
  if (!build) throw new Error(`unknown build mode "${mode}"; use one of ${Object.keys(BUILDS).join(', ')}`);
  return {
    // No public/ dir and no .env: the widget build must not pick up anything implicit.
    plugins: [minifyTemplates()],
    publicDir: false,
    envDir: false,
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
