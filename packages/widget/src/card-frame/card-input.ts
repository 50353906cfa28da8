/**
 * Pure helpers that turn what a shopper typed (full-width digits from a Chinese or Japanese
 * IME, spaces, autofilled "12/2030") into the frame's canonical field values. Validation
 * itself is core's (checkNumber, parseExpiry, checkExpiry, checkCvc); this only shapes input.
 */
import { cvcLengthFor, detectBrand, formatCardNumber, maxLengthFor, normalizeDigits, type CardBrand } from '@kassa/core';

/** ASCII digits only: full-width digits converted, spaces and anything else dropped. */
export function toDigits(input: string): string {
  let out = '';
  // core's normalizeDigits per character: a digit maps to itself, separators to '', anything else to null.
  for (const ch of input) out += normalizeDigits(ch) ?? '';
  return out;
}

/** Card number: digits capped at the brand's longest length, and the display form with gaps. */
export function shapeNumber(input: string): { digits: string; display: string; brand: CardBrand } {
  const all = toDigits(input);
  const digits = all.slice(0, maxLengthFor(detectBrand(all)));
  return { digits, display: formatCardNumber(digits), brand: detectBrand(digits) };
}

/** Expiry as "MM/YY" (or a prefix of it while typing). */
export function shapeExpiry(input: string): string {
  let ascii = '';
  for (const ch of input) ascii += ch === '/' || ch === '\uff0f' ? '/' : (normalizeDigits(ch) ?? '');
  // "1/" means January: pad before the slash is dropped.
  if (/^\d\//.test(ascii)) ascii = `0${ascii}`;
  let digits = ascii.replace(/\//g, '');
  // Autofill (and some shoppers) give a four-digit year: "12/2030" → "12/30".
  if (digits.length === 6) digits = digits.slice(0, 2) + digits.slice(4);
  // A first digit above 1 can only be a one-digit month.
  if (/^[2-9]/.test(digits)) digits = `0${digits}`;
  digits = digits.slice(0, 4);
  return digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
}

export function shapeCvc(input: string, brand: CardBrand): string {
  return toDigits(input).slice(0, cvcLengthFor(brand));
}

/**
 * Writes a reformatted value into an input and keeps the caret after the same number of
 * digits it was after, so typing in the middle of "4242 4242" does not jump to the end.
 */
export function writeKeepingCaret(input: HTMLInputElement, value: string, focused: boolean): void {
  if (input.value === value) return;
  const caret = input.selectionStart ?? input.value.length;
  const digitsBefore = toDigits(input.value.slice(0, caret)).length;
  input.value = value;
  if (!focused) return;
  let pos = 0;
  for (let seen = 0; pos < value.length && seen < digitsBefore; pos++) {
    if (/\d/.test(value[pos] ?? '')) seen++;
  }
  input.setSelectionRange(pos, pos);
}

/** Same shape rule as the server's origin checks: scheme://host[:port], nothing more. */
export function isOriginParam(value: string | null): value is string {
  if (!value) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
