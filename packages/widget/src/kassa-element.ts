/**
 * The base of both Kassa elements: what they need from Lit, and nothing more. An open shadow
 * root with one shared, adopted stylesheet; lit-html rendering, batched to one render per
 * microtask; `updateComplete` (which @open-wc/testing's `fixture` and the wrappers await).
 *
 * Why not LitElement: its reactive-property layer costs 2.6 KB gzipped, and kassa.js must
 * fit in 12 KB with Lit bundled. These elements have two attributes between them, handled
 * by plain accessors, so lit-html (Lit 3's template engine) alone is the right size.
 */
import { render } from 'lit/html.js';

/** Marks CSS for the build's template minifier; returns the text unchanged. */
export const css = (strings: TemplateStringsArray): string => strings.join('');

const sheets = new WeakMap<object, CSSStyleSheet>();

/**
 * In Node (server-side rendering: Next.js, Nuxt) there is no HTMLElement; the classes must still
 * be importable there, so they extend an empty class instead. Nothing is ever constructed there.
 */
const Base = (globalThis.HTMLElement ?? class {}) as typeof HTMLElement;

export abstract class KassaElement extends Base {
  /** The element's CSS; adopted (not inlined), which a `style-src 'self'` CSP allows. */
  static styles = '';

  readonly renderRoot: ShadowRoot = this.attachShadow({ mode: 'open' });
  #pending: Promise<void> | undefined;

  connectedCallback(): void {
    const ctor = this.constructor as typeof KassaElement;
    let sheet = sheets.get(ctor);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(ctor.styles);
      sheets.set(ctor, sheet);
    }
    this.renderRoot.adoptedStyleSheets = [sheet];
    this.requestUpdate();
  }

  disconnectedCallback(): void {}

  /** Schedules a render; any number of calls in one task render once. */
  requestUpdate(): void {
    this.#pending ??= Promise.resolve().then(() => {
      this.#pending = undefined;
      render(this.render(), this.renderRoot, { host: this });
    });
  }

  /** Resolves once the pending render (if any) is in the DOM. */
  get updateComplete(): Promise<boolean> {
    return (this.#pending ?? Promise.resolve()).then(() => true);
  }

  protected abstract render(): unknown;
}
