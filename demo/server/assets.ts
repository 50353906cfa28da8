/**
 * Finds the Vite-built bundles through Vite's manifest (the "backend integration" recipe):
 * the server renders each page's HTML and adds the hashed script and style files itself, so no
 * Vite dev server runs at runtime.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Keys are the entry paths in vite.config.ts. */
export const ENTRIES = {
  styles: 'src/styles.css',
  shop: 'src/shop/main.ts',
  react: 'src/react/main.tsx',
  vue: 'src/vue/main.ts',
  theming: 'src/theming/main.ts',
} as const;
export type Entry = keyof typeof ENTRIES;

const manifestSchema = z.record(
  z.string(),
  z.looseObject({
    file: z.string(),
    css: z.array(z.string()).optional(),
    imports: z.array(z.string()).optional(),
  }),
);
type Manifest = z.infer<typeof manifestSchema>;

export interface EntryAssets {
  scripts: string[];
  styles: string[];
  preloads: string[];
}

export class Assets {
  #manifest: Manifest | null | undefined;

  constructor(readonly distDir: string) {}

  /** Null when the bundles have not been built (`pnpm --filter @kassa/demo build`). */
  entry(name: Entry): EntryAssets | null {
    const manifest = this.#load();
    const chunk = manifest?.[ENTRIES[name]];
    if (!manifest || !chunk) return null;
    const styles = new Set<string>();
    const preloads = new Set<string>();
    const visit = (key: string, seen: Set<string>): void => {
      if (seen.has(key)) return;
      seen.add(key);
      const c = manifest[key];
      if (!c) return;
      for (const css of c.css ?? []) styles.add(`/${css}`);
      for (const dep of c.imports ?? []) {
        const file = manifest[dep]?.file;
        if (file) preloads.add(`/${file}`);
        visit(dep, seen);
      }
    };
    visit(ENTRIES[name], new Set());
    const isCss = chunk.file.endsWith('.css');
    if (isCss) styles.add(`/${chunk.file}`);
    return { scripts: isCss ? [] : [`/${chunk.file}`], styles: [...styles], preloads: [...preloads] };
  }

  #load(): Manifest | null {
    // Cached once found; a missing manifest is looked for again, so building while the
    // server runs is enough.
    if (this.#manifest) return this.#manifest;
    try {
      const raw: unknown = JSON.parse(readFileSync(join(this.distDir, '.vite', 'manifest.json'), 'utf8'));
      this.#manifest = manifestSchema.parse(raw);
    } catch {
      this.#manifest = null;
    }
    return this.#manifest;
  }
}
