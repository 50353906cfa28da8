/**
 * kassa.js, pinned: the widget version this server serves under `/kassa@<version>.js`, and the
 * Subresource Integrity hash of those bytes for `/kassa.json`, so a merchant can write a tag
 * that loads exactly these bytes or nothing (unlike an always-latest script URL).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** What a version may look like in a URL (semver and its pre-release/build parts). */
const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;

/** The `version` of @kassa/widget's package.json: the build the served kassa.js comes from. */
export function widgetPackageVersion(): string {
  // src/http/pinned-script.ts → packages/server/src/http → packages/widget/package.json
  const text = readFileSync(new URL('../../../widget/package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    throw new Error(`@kassa/widget's package.json has no usable version (got ${JSON.stringify(version)})`);
  }
  return version;
}

export const pinnedScriptName = (version: string): string => `kassa@${version}.js`;

/**
 * The `sha384-…` integrity of one file, recomputed only when the file changes (by inode,
 * mtime and size), so a rebuild of the widget is picked up without hashing on every request.
 */
export class ScriptIntegrity {
  readonly #path: string;
  #cached: { key: string; integrity: string } | undefined;

  constructor(dir: string, file: string) {
    this.#path = join(dir, file);
  }

  /** The integrity of the file as it is now, or null when it does not exist (widget not built). */
  async current(): Promise<string | null> {
    let handle;
    try {
      handle = await open(this.#path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      // Stat and read through one handle: a build that replaces the file meanwhile cannot pair
      // the old file's identity with the new file's bytes.
      const stat = await handle.stat();
      const key = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      if (this.#cached?.key === key) return this.#cached.integrity;
      const bytes = await handle.readFile();
      const integrity = `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
      this.#cached = { key, integrity };
      return integrity;
    } finally {
      await handle.close();
    }
  }
}
