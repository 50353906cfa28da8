/**
 * Builds the pages' bundles into dist/ with a manifest; the demo server renders the HTML and
 * links the hashed files (Vite's backend integration), so no Vite server runs at runtime.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import vue from '@vitejs/plugin-vue';
import { ENTRIES } from './server/assets.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react(), vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, fileURLToPath(new URL(path, import.meta.url))])),
    },
  },
});
