/**
 * Which Kassa server an element may talk to. A client secret names its issuer (`iss`), but the
 * secret is data that reaches the page from outside (an API answer, a URL parameter) and the
 * widget cannot verify its signature, so `iss` alone must never decide where the card frame comes
 * from. The element is pinned to an origin the merchant's own code chose, and a secret issued by
 * any other server is refused before anything is framed or fetched:
 *
 * - kassa.js (the script-tag build): the origin kassa.js itself was loaded from, taken from
 *   `document.currentScript` while the script runs (`script-tag.ts`). If `kassa-url` is set
 *   too, it must name that same origin.
 * - the ES module (bundlers, React, Vue): the `kassa-url` attribute / `kassaUrl` property.
 *   There is nothing else to go by: `import.meta.url` (or a bundle's `currentScript`) is the
 *   shop's own origin once an app bundles the widget.
 */
import { ClientErrorCode } from '../errors.js';
import type { ApiError } from './client-api.js';

/** Set once, only by the kassa.js entry; null in the ES module. */
let scriptOrigin: string | null = null;

/** Pins every element of this copy of the widget to the origin `script` was loaded from. */
export function pinScriptOrigin(script: HTMLOrSVGScriptElement | null): void {
  scriptOrigin = script instanceof HTMLScriptElement ? httpOrigin(script.src) : null;
}

/** The origin kassa.js was loaded from (null in the ES module). */
export const kassaScriptOrigin = (): string | null => scriptOrigin;

/** The origin of an http(s) URL, or null for anything else. */
export function httpOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * The Kassa origin to use for a secret issued by `iss`, given the element's `kassa-url` (empty
 * when unset). With kassa.js and a `kassa-url` both, the secret must match both. Errors carry a
 * developer-facing `cause`; their `message` is the shopper's sentence, chosen by code.
 */
export function pinnedOrigin(kassaUrl: string, iss: string): { origin: string; error?: undefined } | { error: ApiError } {
  const fromAttribute = kassaUrl ? httpOrigin(kassaUrl) : null;
  const pinned = fromAttribute ?? scriptOrigin;
  if ((kassaUrl && !fromAttribute) || !pinned) {
    const why = kassaUrl
      ? `kassa-url "${kassaUrl}" is not an http(s) URL`
      : 'kassa-url is not set';
    return { error: { type: 'invalid_request_error', code: ClientErrorCode.KassaUrlMissing, cause: new Error(why) } };
  }
  const issuer = httpOrigin(iss);
  for (const pin of [fromAttribute, scriptOrigin]) {
    if (pin && pin !== issuer) {
      const why = `client secret issued by ${JSON.stringify(iss)}; element pinned to ${pin}`;
      return { error: { type: 'invalid_request_error', code: ClientErrorCode.ClientSecretIssuerMismatch, cause: new Error(why) } };
    }
  }
  return { origin: pinned };
}
