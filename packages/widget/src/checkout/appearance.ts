/**
 * The Appearance API on the host side: its types, and what the element adds to the merchant's
 * appearance before sending it to the card frame, which validates all of it (card-frame/
 * appearance.ts). The host never turns any of it into CSS itself.
 */

export type Theme = 'light' | 'dark' | 'flat';

/** Colours as CSS colours (`#0a58ca`, `rgb(…)`, `hsl(…)`); lengths in px or rem. */
export interface AppearanceVariables {
  colorPrimary?: string;
  colorBackground?: string;
  colorText?: string;
  colorTextSecondary?: string;
  colorDanger?: string;
  colorInputBackground?: string;
  colorInputBorder?: string;
  colorInputText?: string;
  focusRingColor?: string;
  /** 1–4 px. */
  focusRingWidth?: string;
  /** A stack of fonts from the frame's list (system fonts: nothing is downloaded). */
  fontFamily?: string;
  /** 12–24 px. */
  fontSize?: string;
  /** 0–999 px (999px: pill-shaped fields). */
  borderRadius?: string;
  /** Gap between rows, 0–32 px. */
  spacing?: string;
}

type RuleProperties = Partial<
  Record<'color' | 'backgroundColor' | 'borderColor' | 'borderWidth' | 'borderRadius' | 'fontSize' | 'fontWeight' | 'letterSpacing' | 'textTransform', string>
>;

export type AppearanceRules = Partial<Record<'.Input' | '.Input:focus' | '.Input--invalid' | '.Label' | '.Error', RuleProperties>>;

export interface Appearance {
  theme?: Theme;
  variables?: AppearanceVariables;
  rules?: AppearanceRules;
}

/** Host tokens that also style the fields, so a page themed with `--kassa-*` needs nothing else. */
const TOKENS: ReadonlyArray<[string, keyof AppearanceVariables]> = [
  ['--kassa-color-text', 'colorText'],
  ['--kassa-color-primary', 'colorPrimary'],
  ['--kassa-color-danger', 'colorDanger'],
  ['--kassa-font-family', 'fontFamily'],
  ['--kassa-radius', 'borderRadius'],
];

/** sRGB relative luminance of a computed `rgb(a)` colour, or null if it is transparent. */
function luminance(rgb: string): number | null {
  const [r = 0, g = 0, b = 0, a = 1] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
  if (a === 0) return null;
  const lin = (c: number) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Light text around the element (its parent's colour, which the element's own text inherits). */
export function onDarkPage(host: HTMLElement): boolean {
  const around = host.parentElement ?? ((host.getRootNode() as ShadowRoot).host as HTMLElement | undefined) ?? host;
  return (luminance(getComputedStyle(around).color) ?? 0) > 0.5;
}

/**
 * What the frame is sent: the merchant's appearance, completed from the page. Tokens fill the
 * variables the merchant left out; the colour behind the element becomes the frame's background
 * (so its text contrast is what the shopper sees, and a checker inside the frame measures it);
 * with no theme, light text on the page means `dark`.
 */
export function frameAppearance(host: HTMLElement, given: Appearance | undefined): Appearance {
  const style = getComputedStyle(host);
  const variables: Record<string, string> = {};
  for (const [token, name] of TOKENS) {
    const value = style.getPropertyValue(token).trim();
    if (value) variables[name] = value;
  }
  let background = '';
  for (let el: Element | null = host; el && !background; el = el.parentElement ?? (el.getRootNode() as ShadowRoot).host ?? null) {
    const bg = getComputedStyle(el).backgroundColor;
    if (luminance(bg) !== null) background = bg;
  }
  if (background) variables.colorBackground = background;
  return {
    theme: given?.theme ?? (onDarkPage(host) ? 'dark' : 'light'),
    variables: { ...variables, ...given?.variables },
    ...(given?.rules ? { rules: given.rules } : {}),
  };
}
