/**
 * kassa.js, pinned: the widget version this server serves under `/kassa@<version>.js`, and the
 * Subresource Integrity hash of those bytes for `/kassa.json`, so a merchant can write a tag
 * that loads exactly these bytes or nothing (unlike an always-latest script URL).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

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

/** One built file as served: its bytes, precompressed once, and a strong ETag of its content. */
export interface BuiltFile {
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  /** `"<sha256 base64url, 22 chars>"`; the compressed variants add `-gz` / `-br`. */
  etag: string;
  /** First 16 hex digits of the SHA-256: the version in a content-addressed URL. */
  hash: string;
}

/**
 * Built files of the widget (kassa.js, the frame's scripts, locale files), each read, hashed and
 * compressed (gzip -9, brotli quality 11) once per change of the file (inode, mtime, size), so a
 * request costs a lookup, not a compression, and a rebuild is picked up without a restart.
 */
export class BuiltFiles {
  readonly #dir: string;
  readonly #cache = new Map<string, { key: string; file: BuiltFile }>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The file at `path` (relative to the dist dir), or null when it does not exist. */
  async get(path: string): Promise<BuiltFile | null> {
    let handle;
    try {
      handle = await open(join(this.#dir, path), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return null;
      const key = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      const cached = this.#cache.get(path);
      if (cached?.key === key) return cached.file;
      const raw = await handle.readFile();
      const digest = createHash('sha256').update(raw).digest();
      const file: BuiltFile = {
        raw,
        gzip: gzipSync(raw, { level: 9 }),
        br: brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
        etag: `"${digest.toString('base64url').slice(0, 22)}"`,
        hash: digest.toString('hex').slice(0, 16),
      };
      this.#cache.set(path, { key, file });
      return file;
    } finally {
      await handle.close();
    }
  }
}

/** Picks brotli, then gzip, then identity, from an Accept-Encoding header (q=0 refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}
