/**
 * Card-number utilities used inside the card frame (validation as the shopper types)
 * and by the server vault (the same rules, checked again on the server).
 * Nothing here keeps or logs a card number.
 */

export const CardBrand = {
  Visa: 'visa',
  Mastercard: 'mastercard',
  Amex: 'amex',
  UnionPay: 'unionpay',
  Jcb: 'jcb',
  Unknown: 'unknown',
} as const;

export type CardBrand = (typeof CardBrand)[keyof typeof CardBrand];

export const BRAND_LABELS: Readonly<Record<CardBrand, string>> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  unionpay: 'UnionPay',
  jcb: 'JCB',
  unknown: 'Card',
};

interface BrandRule {
  brand: Exclude<CardBrand, 'unknown'>;
  /** Matches the leading digits (IIN ranges). */
  prefix: RegExp;
  lengths: readonly number[];
  cvcLength: number;
  /** Groups for display: 4-6-5 for Amex, 4-4-4-4(-3) otherwise. */
  gaps: readonly number[];
}

// Order matters: the more specific ranges come first (JCB and UnionPay overlap nothing here).
const RULES: readonly BrandRule[] = [
  { brand: 'amex', prefix: /^3[47]/, lengths: [15], cvcLength: 4, gaps: [4, 10] },
  { brand: 'jcb', prefix: /^35(2[89]|[3-8])/, lengths: [16, 17, 18, 19], cvcLength: 3, gaps: [4, 8, 12] },
  { brand: 'unionpay', prefix: /^(62|81)/, lengths: [16, 17, 18, 19], cvcLength: 3, gaps: [4, 8, 12] },
  {
    brand: 'mastercard',
    prefix: /^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/,
    lengths: [16],
    cvcLength: 3,
    gaps: [4, 8, 12],
  },
  { brand: 'visa', prefix: /^4/, lengths: [13, 16, 19], cvcLength: 3, gaps: [4, 8, 12] },
];

/**
 * Turns what a shopper typed into plain ASCII digits: full-width digits (０-９, common
 * with Chinese and Japanese IMEs) become 0-9; spaces (incl. ideographic), dashes are dropped.
 * Returns null when anything else is present, so "4242x" is not silently accepted.
 */
export function normalizeDigits(input: string): string | null {
  let out = '';
  for (const ch of input) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x30 && code <= 0x39) out += ch;
    else if (code >= 0xff10 && code <= 0xff19) out += String.fromCharCode(code - 0xff10 + 0x30);
    else if (ch === ' ' || ch === '\u3000' || ch === '-' || ch === '\u00a0' || ch === '\uff0d') continue;
    else return null;
  }
  return out;
}

export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function ruleFor(digits: string): BrandRule | undefined {
  return RULES.find((r) => r.prefix.test(digits));
}

export function detectBrand(digits: string): CardBrand {
  return ruleFor(digits)?.brand ?? 'unknown';
}

export function cvcLengthFor(brand: CardBrand): number {
  return RULES.find((r) => r.brand === brand)?.cvcLength ?? 3;
}

export function maxLengthFor(brand: CardBrand): number {
  const rule = RULES.find((r) => r.brand === brand);
  return rule ? Math.max(...rule.lengths) : 19;
}

/** "4242424242424242" → "4242 4242 4242 4242"; Amex → "3782 822463 10005". */
export function formatCardNumber(digits: string): string {
  const gaps = ruleFor(digits)?.gaps ?? [4, 8, 12, 16];
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (gaps.includes(i)) out += ' ';
    out += digits[i];
  }
  return out;
}

export type CardField = 'number' | 'expiry' | 'cvc';

export type CardErrorCode =
  | 'incomplete_number'
  | 'invalid_number'
  | 'unsupported_brand'
  | 'incomplete_expiry'
  | 'invalid_expiry_month'
  | 'invalid_expiry_year'
  | 'expired'
  | 'incomplete_cvc'
  | 'invalid_cvc';

export interface CardCheck {
  ok: boolean;
  brand: CardBrand;
  errors: Partial<Record<CardField, CardErrorCode>>;
}

export function checkNumber(input: string): { digits: string | null; brand: CardBrand; error?: CardErrorCode } {
  const digits = normalizeDigits(input);
  if (digits === null) return { digits: null, brand: 'unknown', error: 'invalid_number' };
  const rule = ruleFor(digits);
  const brand = rule?.brand ?? 'unknown';
  if (digits.length === 0) return { digits, brand, error: 'incomplete_number' };
  if (!rule) return { digits, brand, error: digits.length < 6 ? 'incomplete_number' : 'unsupported_brand' };
  const max = Math.max(...rule.lengths);
  if (digits.length > max) return { digits, brand, error: 'invalid_number' };
  if (!rule.lengths.includes(digits.length)) {
    // Between allowed lengths (a 14-digit Visa) the shopper is still typing.
    return { digits, brand, error: 'incomplete_number' };
  }
  if (!luhnValid(digits)) return { digits, brand, error: 'invalid_number' };
  return { digits, brand };
}

/**
 * Parses "MM/YY", "MM / YYYY", "1228" or full-width forms into month and four-digit year.
 * `now` is passed in so tests (and the server) decide the clock.
 */
export function parseExpiry(input: string): { month: number; year: number } | null {
  const cleaned = normalizeExpiryText(input);
  if (cleaned === null) return null;
  const m = /^(\d{1,2})\/?(\d{2}|\d{4})$/.exec(cleaned);
  if (!m) return null;
  const month = Number(m[1]);
  const yy = m[2] ?? '';
  const year = yy.length === 2 ? 2000 + Number(yy) : Number(yy);
  return { month, year };
}

function normalizeExpiryText(input: string): string | null {
  let out = '';
  for (const ch of input) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x30 && code <= 0x39) out += ch;
    else if (code >= 0xff10 && code <= 0xff19) out += String.fromCharCode(code - 0xff10 + 0x30);
    else if (ch === '/' || ch === '\uff0f') out += '/';
    else if (ch === ' ' || ch === '\u3000') continue;
    else return null;
  }
  return out;
}

export function checkExpiry(month: number, year: number, now: Date = new Date()): CardErrorCode | undefined {
  if (!Number.isInteger(month) || month < 1 || month > 12) return 'invalid_expiry_month';
  if (!Number.isInteger(year) || year < 2000 || year > now.getUTCFullYear() + 50) return 'invalid_expiry_year';
  const nowYear = now.getUTCFullYear();
  const nowMonth = now.getUTCMonth() + 1;
  // A card is valid through the last day of its expiry month.
  if (year < nowYear || (year === nowYear && month < nowMonth)) return 'expired';
  return undefined;
}

export function checkCvc(input: string, brand: CardBrand): CardErrorCode | undefined {
  const digits = normalizeDigits(input);
  if (digits === null || /\D/.test(input.replace(/[\s\u3000]/g, '').replace(/[\uff10-\uff19]/g, '0'))) return 'invalid_cvc';
  const want = cvcLengthFor(brand);
  if (digits.length < want) return 'incomplete_cvc';
  if (digits.length > want) return 'invalid_cvc';
  return undefined;
}

/** Checks a whole card form; used by the frame before tokenizing and by the server vault. */
export function checkCard(
  input: { number: string; expiry?: string; exp_month?: number; exp_year?: number; cvc: string },
  now: Date = new Date(),
): CardCheck & { digits: string | null; exp?: { month: number; year: number }; cvcDigits: string | null } {
  const errors: CardCheck['errors'] = {};
  const num = checkNumber(input.number);
  if (num.error) errors.number = num.error;
  let exp: { month: number; year: number } | null = null;
  if (input.expiry !== undefined) {
    exp = parseExpiry(input.expiry);
    if (!exp) errors.expiry = 'incomplete_expiry';
  } else if (input.exp_month !== undefined && input.exp_year !== undefined) {
    exp = { month: input.exp_month, year: input.exp_year };
  } else {
    errors.expiry = 'incomplete_expiry';
  }
  if (exp) {
    const e = checkExpiry(exp.month, exp.year, now);
    if (e) errors.expiry = e;
  }
  const cvcError = checkCvc(input.cvc, num.brand);
  if (cvcError) errors.cvc = cvcError;
  const cvcDigits = normalizeDigits(input.cvc);
  const result = {
    ok: Object.keys(errors).length === 0,
    brand: num.brand,
    errors,
    digits: num.digits,
    cvcDigits,
  };
  return exp ? { ...result, exp } : result;
}

/** Last four digits, the only part of a number Kassa shows or stores in clear. */
export function last4(digits: string): string {
  return digits.slice(-4);
}
