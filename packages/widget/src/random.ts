/**
 * Random ids for postMessage channels and idempotency keys. Uses getRandomValues rather than
 * randomUUID because the latter exists only in secure contexts, and a merchant's staging page
 * may well be plain http.
 */
export function randomId(prefix: string, bytes = 16): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let hex = '';
  for (const b of buf) hex += b.toString(16).padStart(2, '0');
  return `${prefix}_${hex}`;
}
