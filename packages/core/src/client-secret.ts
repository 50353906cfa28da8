/**
 * The widget only needs to *read* a client secret; the server is the one that verifies it. A
 * client secret is a compact JWS: header.payload.signature. Unverified claims are only hints:
 * `iss` in particular must never choose the server on its own (the widget checks it against the
 * Kassa origin it is pinned to).
 */
export interface ClientSecretClaims {
  /** The payment intent this secret may act on. */
  sub: string;
  /** The issuing Kassa server's public base URL, e.g. "https://pay.example.com". Unverified here. */
  iss: string;
  aud: string;
  exp: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Returns the claims, or null if the string is not shaped like a Kassa client secret. */
export function readClientSecret(secret: string): ClientSecretClaims | null {
  const parts = secret.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return null;
  try {
    const claims: unknown = JSON.parse(base64UrlDecode(parts[1] ?? ''));
    if (typeof claims !== 'object' || claims === null) return null;
    const c = claims as Record<string, unknown>;
    if (typeof c.sub !== 'string' || typeof c.iss !== 'string' || typeof c.aud !== 'string' || typeof c.exp !== 'number') {
      return null;
    }
    return { sub: c.sub, iss: c.iss, aud: c.aud, exp: c.exp };
  } catch {
    return null;
  }
}
