/**
 * The `<script>` tag that loads kassa.js on the plain shop page, pinned as a careful merchant
 * would pin it: the versioned URL Kassa serves (`/kassa@<version>.js`) with the Subresource
 * Integrity hash from Kassa's `/kassa.json`, so the browser runs exactly those bytes or nothing.
 *
 * The manifest is fetched server-side, lazily on the first page view (the demo may start before
 * Kassa), and cached. If Kassa cannot be asked, the page falls back to the unpinned `/kassa.js`
 * (and says so in a comment) rather than failing; it asks again a little later.
 */
import { z } from 'zod';

export interface KassaScriptTag {
  src: string;
  /** `sha384-…`; null when the tag is the unpinned fallback. */
  integrity: string | null;
  /** Why the tag is not pinned (for a comment in the page); absent when it is. */
  unpinned?: string;
}

export interface KassaScriptOptions {
  /** Kassa's URL as this backend reaches it (where /kassa.json is fetched from). */
  kassaUrl: string;
  /** Kassa's URL as the shopper's browser reaches it (what the tag's src names). */
  kassaPublicUrl: string;
  /** How long a fetched manifest is used before asking again (a Kassa upgrade changes it). */
  ttlMs?: number;
  /** After a failed fetch, how long pages use the fallback before asking again. */
  retryMs?: number;
  /** How long a page view waits for Kassa at most. */
  timeoutMs?: number;
}

// What Kassa answers is input like any other: parsed before it reaches an HTML attribute.
const manifestSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/),
  url: z.url(),
  integrity: z.string().regex(/^sha384-[A-Za-z0-9+/]{64}$/),
});

export class KassaScript {
  readonly #kassaUrl: string;
  readonly #publicUrl: string;
  readonly #ttlMs: number;
  readonly #retryMs: number;
  readonly #timeoutMs: number;
  #pinned: { tag: KassaScriptTag; at: number } | undefined;
  #failure: { reason: string; at: number } | undefined;
  #inFlight: Promise<KassaScriptTag> | undefined;

  constructor(options: KassaScriptOptions) {
    this.#kassaUrl = options.kassaUrl.replace(/\/+$/, '');
    this.#publicUrl = options.kassaPublicUrl.replace(/\/+$/, '');
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#retryMs = options.retryMs ?? 10_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** The tag for this page view. Never throws: a failure gives the unpinned fallback. */
  async tag(): Promise<KassaScriptTag> {
    const now = Date.now();
    if (this.#pinned && now - this.#pinned.at < this.#ttlMs) return this.#pinned.tag;
    if (!this.#pinned && this.#failure && now - this.#failure.at < this.#retryMs) return this.#fallback(this.#failure.reason);
    // Concurrent page views share one request.
    this.#inFlight ??= this.#refresh().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #refresh(): Promise<KassaScriptTag> {
    const result = await this.#fetchManifest();
    if (typeof result !== 'string') {
      this.#failure = undefined;
      // The src is built from the public URL the page's CSP allows, not the manifest's `url`
      // (Kassa's own idea of its public URL, which may name another host in development).
      const tag = { src: `${this.#publicUrl}/kassa@${result.version}.js`, integrity: result.integrity };
      this.#pinned = { tag, at: Date.now() };
      return tag;
    }
    this.#failure = { reason: result, at: Date.now() };
    // Kassa answered before and only this refresh failed: its last answer is still the best guess.
    if (this.#pinned) return this.#pinned.tag;
    return this.#fallback(result);
  }

  /** The manifest, or why it could not be had. */
  async #fetchManifest(): Promise<z.infer<typeof manifestSchema> | string> {
    let response: Response;
    try {
      response = await fetch(`${this.#kassaUrl}/kassa.json`, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      return 'Kassa did not answer';
    }
    if (!response.ok) {
      await response.body?.cancel();
      return `Kassa answered ${response.status}`;
    }
    const parsed = manifestSchema.safeParse(await response.json().catch(() => undefined));
    return parsed.success ? parsed.data : 'Kassa answered with an unexpected manifest';
  }

  #fallback(reason: string): KassaScriptTag {
    return { src: `${this.#publicUrl}/kassa.js`, integrity: null, unpinned: `${reason} for /kassa.json` };
  }
}
