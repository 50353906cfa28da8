/**
 * The Appearance API as the card frame applies it. The merchant's `appearance` arrives over
 * postMessage as plain JSON and is trusted for nothing: each variable and rule property is
 * looked up in a fixed table and its value must match a narrow shape (a colour, a length in a
 * range, a font from the list below, a keyword). Anything else is dropped, with a console
 * warning for the developer. The CSS is then written by this module from the validated
 * tokens, so no merchant text ever reaches a stylesheet: no `url()`, no selectors of the
 * merchant's, no `@import`, nothing that could fetch a resource or react to what is typed.
 */

export const THEMES = ['light', 'dark', 'flat'] as const;
export type Theme = (typeof THEMES)[number];

type Check = (value: string) => string | null;

const num = (value: string, unit: string): number | null => {
  const match = new RegExp(`^(\\d{1,3}(?:\\.\\d{1,3})?)${unit}$`).exec(value);
  return match ? Number(match[1]) : null;
};

/** A length in px (or rem/em, 16 px each), within [min, max] px. "0" is 0. */
const length =
  (min: number, max: number): Check =>
  (value) => {
    if (value === '0') return min <= 0 ? '0' : null;
    const px = num(value, 'px') ?? ((num(value, 'rem') ?? num(value, 'em') ?? NaN) * 16);
    return px >= min && px <= max ? value : null;
  };

const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const FUNC = /^(?:rgba?|hsla?)\(\s*[\d.]+(?:deg|%)?(?:\s*[,\s/]\s*[\d.]+%?){2,3}\s*\)$/i;
const NAMED = /^(?:transparent|black|white)$/i;

/** Colours in the shapes CSS colours take, re-checked by the browser's own parser. */
const color: Check = (value) =>
  (HEX.test(value) || FUNC.test(value) || NAMED.test(value)) && CSS.supports('color', value) ? value : null;

const keyword =
  (...allowed: string[]): Check =>
  (value) =>
    allowed.includes(value) ? value : null;

/**
 * Fonts the frame may use: installed on shoppers' machines, so nothing is downloaded. Each maps
 * to the stack written into the CSS; a merchant's stack keeps the families listed here, in order.
 */
export const FONTS: Readonly<Record<string, string>> = {
  'system-ui': 'system-ui',
  'sans-serif': 'sans-serif',
  serif: 'serif',
  monospace: 'monospace',
  arial: 'Arial',
  helvetica: 'Helvetica',
  'helvetica neue': '"Helvetica Neue"',
  verdana: 'Verdana',
  tahoma: 'Tahoma',
  'trebuchet ms': '"Trebuchet MS"',
  'segoe ui': '"Segoe UI"',
  roboto: 'Roboto',
  georgia: 'Georgia',
  'times new roman': '"Times New Roman"',
  'courier new': '"Courier New"',
  '-apple-system': '-apple-system',
  'pingfang sc': '"PingFang SC"',
  'pingfang tc': '"PingFang TC"',
  'hiragino sans': '"Hiragino Sans"',
  'microsoft yahei': '"Microsoft YaHei"',
  'microsoft jhenghei': '"Microsoft JhengHei"',
  meiryo: 'Meiryo',
  'noto sans': '"Noto Sans"',
  'noto sans cjk sc': '"Noto Sans CJK SC"',
};

const fontFamily: Check = (value) => {
  if (value.length > 300) return null;
  const known = value
    .split(',')
    .map((family) => FONTS[family.trim().replace(/^["']|["']$/g, '').toLowerCase()])
    .filter((family): family is string => family !== undefined);
  return known.length ? [...known, 'sans-serif'].join(', ') : null;
};

/** Variables: the name a merchant uses → the frame's custom property and the value's shape. */
const VARIABLES: Readonly<Record<string, [string, Check]>> = {
  colorPrimary: ['--k-primary', color],
  colorBackground: ['--k-bg', color],
  colorText: ['--k-text', color],
  colorTextSecondary: ['--k-text-2', color],
  colorDanger: ['--k-danger', color],
  colorInputBackground: ['--k-input-bg', color],
  colorInputBorder: ['--k-input-border', color],
  colorInputText: ['--k-input-text', color],
  focusRingColor: ['--k-focus', color],
  focusRingWidth: ['--k-focus-width', length(1, 4)],
  fontFamily: ['--k-font', fontFamily],
  fontSize: ['--k-font-size', length(12, 24)],
  borderRadius: ['--k-radius', length(0, 999)],
  spacing: ['--k-gap', length(0, 32)],
};

/** Rules: a few parts of the form, by the names merchants know from Stripe, and what each may set. */
const SELECTORS: Readonly<Record<string, string>> = {
  '.Input': 'input',
  '.Input:focus': 'input:focus',
  '.Input--invalid': "input[aria-invalid='true']",
  '.Label': 'label',
  '.Error': '.error',
};

const PROPERTIES: Readonly<Record<string, [string, Check]>> = {
  color: ['color', color],
  backgroundColor: ['background-color', color],
  borderColor: ['border-color', color],
  borderWidth: ['border-width', length(0, 4)],
  borderRadius: ['border-radius', length(0, 999)],
  fontSize: ['font-size', length(10, 28)],
  fontWeight: ['font-weight', keyword('normal', 'bold', '300', '400', '500', '600', '700')],
  letterSpacing: ['letter-spacing', length(0, 4)],
  textTransform: ['text-transform', keyword('none', 'uppercase', 'lowercase', 'capitalize')],
};

export interface AppliedAppearance {
  theme: Theme;
  /** Custom properties for :host, all validated. */
  variables: Record<string, string>;
  /** CSS written from validated rules only. */
  css: string;
  /** What was refused, for the developer's console. */
  dropped: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function applyAppearance(input: unknown): AppliedAppearance {
  const out: AppliedAppearance = { theme: 'light', variables: {}, css: '', dropped: [] };
  if (!isRecord(input)) return out;
  const theme = input.theme;
  if ((THEMES as readonly unknown[]).includes(theme)) out.theme = theme as Theme;
  else if (theme !== undefined) out.dropped.push(`theme`);
  if (isRecord(input.variables)) {
    for (const [name, value] of Object.entries(input.variables)) {
      const entry = Object.hasOwn(VARIABLES, name) ? VARIABLES[name] : undefined;
      const ok = entry && typeof value === 'string' ? entry[1](value.trim()) : null;
      if (entry && ok !== null) out.variables[entry[0]] = ok;
      else out.dropped.push(`variables.${name}`);
    }
  }
  if (isRecord(input.rules)) {
    for (const [selector, declarations] of Object.entries(input.rules)) {
      const target = Object.hasOwn(SELECTORS, selector) ? SELECTORS[selector] : undefined;
      if (!target || !isRecord(declarations)) {
        out.dropped.push(`rules.${selector}`);
        continue;
      }
      const kept: string[] = [];
      for (const [property, value] of Object.entries(declarations)) {
        const entry = Object.hasOwn(PROPERTIES, property) ? PROPERTIES[property] : undefined;
        const ok = entry && typeof value === 'string' ? entry[1](value.trim()) : null;
        if (entry && ok !== null) kept.push(`${entry[0]}:${ok}`);
        else out.dropped.push(`rules.${selector}.${property}`);
      }
      if (kept.length) out.css += `${target}{${kept.join(';')}}`;
    }
  }
  return out;
}
