import { html, nothing, type TemplateResult } from 'lit/html.js';
import {
  checkCvc,
  checkExpiry,
  checkNumber,
  isValidChannel,
  parseExpiry,
  parseHostToFrame,
  type CardBrand,
  type CardErrorCode,
  type CardField,
  type FrameToHost,
} from '@kassa/core';
import { resolveLocale, type Locale } from '@kassa/core';
import { KassaElement } from '../kassa-element.js';
import { brandName, cleanMessages, errorMessage, loadCatalog, loadedCatalog, translator, type Messages, type Translate } from '../i18n/index.js';
import { frame as frameEnglish, shared as sharedEnglish } from '../i18n/en.js';
import { applyAppearance } from './appearance.js';
import { isOriginParam, shapeCvc, shapeExpiry, shapeNumber, writeKeepingCaret } from './card-input.js';
import { styles } from './kassa-card-frame.styles.js';

/** The frame's English: the shared outcomes and its own field strings (the host's are not shipped here). */
const ENGLISH: Messages = { ...sharedEnglish, ...frameEnglish };

interface FrameParams {
  channel: string;
  /** The merchant page's origin: the only window we talk to, and the exact postMessage target. */
  origin: string;
}

type Outgoing = FrameToHost extends infer M ? (M extends FrameToHost ? Omit<M, 'kassa' | 'channel'> : never) : never;

const FIELDS: readonly CardField[] = ['number', 'expiry', 'cvc'];

/** The merchant's validated rules, as an extra adopted sheet after the frame's own. */
const ruleSheet = (css: string): CSSStyleSheet => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  return sheet;
};

/**
 * `<kassa-card-frame>`: the card-entry form inside Kassa's card iframe (`/frame/card`, on the
 * Kassa origin). It is the only place a card number and CVC exist in the browser. It reads
 * `channel`, `origin` and `locale` from its page's query string, talks only to its parent
 * window at exactly `origin`, and answers `tokenize` with a token, brand and last 4 — never
 * the number itself. It never logs card data.
 *
 * Page styles cannot reach in (the origin boundary, by design); the merchant themes it through
 * the Appearance API, whose JSON arrives in `init` and is validated here (appearance.ts).
 */
export class KassaCardFrame extends KassaElement {
  static override styles = styles;

  #params: FrameParams | null = null;
  #clientSecret: string | null = null;
  #locale: Locale = 'en';
  #overrides: Messages = {};
  /** The appearance as last applied, so a repeated `init` (locale switch) does not re-apply it. */
  #appearance = '';
  #number = '';
  #brand: CardBrand = 'unknown';
  #expiry = '';
  #cvc = '';
  /** A field shows "incomplete" errors only once the shopper has left it or tried to pay. */
  #touched: Record<CardField, boolean> = { number: false, expiry: false, cvc: false };
  #busy = false;
  #lastHeight = -1;
  #resizeObserver: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    const query = new URLSearchParams(location.search);
    const channel = query.get('channel');
    const origin = query.get('origin');
    // Only ever inside a frame, with a well-formed channel and origin; otherwise stay mute.
    this.#params = window.parent !== window && isValidChannel(channel) && isOriginParam(origin) ? { channel, origin } : null;
    this.#setLocale(resolveLocale(query.get('locale')));
    if (!this.#params) return;
    window.addEventListener('message', this.#onMessage);
    this.#resizeObserver = new ResizeObserver(() => this.#reportHeight());
    this.#resizeObserver.observe(this);
    // Listening already, so the host's `init` cannot be missed. Ready means the fields show, in
    // the shopper's language: the locale's strings (a preloaded chunk) come first.
    void loadCatalog(this.#locale)
      .then(() => this.updateComplete)
      .then(() => this.#post({ type: 'ready' }));
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
    this.#resizeObserver?.disconnect();
  }

  protected override render(): TemplateResult | typeof nothing {
    const t = this.#t();
    // Nothing until the shopper's strings are here: no English flash for a Japanese shopper.
    if (!t) return nothing;
    if (!this.#params) return html`<p class="config-error" role="alert">${t('unexpected')}</p>`;
    const errors = this.#errors();
    const shown = (field: CardField) => this.#shownError(field, errors[field]);
    return html`<div class="fields" lang=${this.#locale}>
      <div class="field number">
        <div class="label-row">
          <label for="number">${t('number')}</label>
          <span id="number-brand" class="brand">${this.#number ? brandName(t, this.#brand) : nothing}</span>
        </div>
        <div class="control">
          <input
            id="number"
            name="cardnumber"
            autocomplete="cc-number"
            inputmode="numeric"
            spellcheck="false"
            autocapitalize="off"
            .value=${shapeNumber(this.#number).display}
            aria-invalid=${shown('number') ? 'true' : 'false'}
            aria-describedby="number-brand number-error"
            ?readonly=${this.#busy}
            @input=${this.#onNumberInput}
            @compositionend=${this.#onNumberInput}
            @blur=${this.#onBlur}
            @keydown=${this.#onKeydown}
          />
        </div>
        ${this.#renderError('number', shown('number'), t)}
      </div>
      <div class="field expiry">
        <label for="expiry">${t('expiry')}</label>
        <input
          id="expiry"
          name="exp-date"
          autocomplete="cc-exp"
          inputmode="numeric"
          spellcheck="false"
          placeholder=${t('expiryPlaceholder')}
          maxlength="7"
          .value=${this.#expiry}
          aria-invalid=${shown('expiry') ? 'true' : 'false'}
          aria-describedby="expiry-error"
          ?readonly=${this.#busy}
          @input=${this.#onExpiryInput}
          @compositionend=${this.#onExpiryInput}
          @blur=${this.#onBlur}
          @keydown=${this.#onKeydown}
        />
        ${this.#renderError('expiry', shown('expiry'), t)}
      </div>
      <div class="field cvc">
        <label for="cvc">${t('cvc')}</label>
        <input
          id="cvc"
          name="cvc"
          autocomplete="cc-csc"
          inputmode="numeric"
          spellcheck="false"
          placeholder=${t('cvcPlaceholder')}
          .value=${this.#cvc}
          aria-invalid=${shown('cvc') ? 'true' : 'false'}
          aria-describedby="cvc-error"
          ?readonly=${this.#busy}
          @input=${this.#onCvcInput}
          @compositionend=${this.#onCvcInput}
          @blur=${this.#onBlur}
          @keydown=${this.#onKeydown}
        />
        ${this.#renderError('cvc', shown('cvc'), t)}
      </div>
    </div>`;
  }

  #renderError(field: CardField, code: CardErrorCode | undefined, t: Translate): TemplateResult {
    return html`<p id="${field}-error" class="error" aria-live="polite">${code ? t(code) : nothing}</p>`;
  }

  /** The translator for the current locale, or null while its strings are still loading. */
  #t(): Translate | null {
    const table = loadedCatalog(this.#locale);
    return table ? translator(table, this.#overrides) : null;
  }

  #setLocale(locale: Locale): void {
    this.#locale = locale;
    document.documentElement.lang = locale;
    void loadCatalog(locale).then(() => {
      if (this.#locale !== locale) return;
      // The page's own title (read by screen readers entering the frame) follows the shopper's language.
      document.title = this.#t()?.('frameTitle') ?? document.title;
      this.requestUpdate();
    });
    this.requestUpdate();
  }

  #applyAppearance(input: unknown): void {
    const key = JSON.stringify(input ?? null);
    if (key === this.#appearance) return;
    this.#appearance = key;
    const applied = applyAppearance(input);
    if (applied.dropped.length) console.warn(`kassa: appearance ignored (not allowed): ${applied.dropped.join(', ')}`);
    this.dataset.theme = applied.theme;
    // The frame's document matches the theme's scheme; a mismatch with the page makes Chromium
    // paint an opaque box behind the frame. Set through CSSOM, which style-src 'self' allows.
    document.documentElement.style.colorScheme = applied.theme === 'dark' ? 'dark' : 'light';
    for (const name of [...this.style]) if (name.startsWith('--k-')) this.style.removeProperty(name);
    for (const [name, value] of Object.entries(applied.variables)) this.style.setProperty(name, value);
    const own = this.renderRoot.adoptedStyleSheets[0];
    if (own) this.renderRoot.adoptedStyleSheets = applied.css ? [own, ruleSheet(applied.css)] : [own];
  }

  // ---- Validation (all rules are core's) ----

  #errors(): Partial<Record<CardField, CardErrorCode>> {
    const errors: Partial<Record<CardField, CardErrorCode>> = {};
    const number = checkNumber(this.#number);
    if (number.error) errors.number = number.error;
    const expiry = parseExpiry(this.#expiry);
    const expiryError = expiry ? checkExpiry(expiry.month, expiry.year) : 'incomplete_expiry';
    if (expiryError) errors.expiry = expiryError;
    const cvcError = checkCvc(this.#cvc, number.brand);
    if (cvcError) errors.cvc = cvcError;
    return errors;
  }

  #shownError(field: CardField, code: CardErrorCode | undefined): CardErrorCode | undefined {
    if (!code || this.#touched[field]) return code;
    if (code.startsWith('incomplete')) return undefined;
    // A 13-digit prefix of a 16-digit Visa fails Luhn: judge the number only once it is full length.
    if (field === 'number' && code === 'invalid_number') {
      return isFullLength(this.#number, this.#brand) ? code : undefined;
    }
    return code;
  }

  // ---- Input handlers ----

  #onNumberInput = (event: Event): void => {
    if ((event as InputEvent).isComposing) return; // an IME is still composing: shape it on compositionend
    const input = event.target as HTMLInputElement;
    const shaped = shapeNumber(input.value);
    this.#number = shaped.digits;
    this.#brand = shaped.brand;
    writeKeepingCaret(input, shaped.display, this.#isFocused(input));
    this.#changed();
    if (!checkNumber(shaped.digits).error && input.selectionStart === input.value.length) this.#focusField('expiry');
  };

  #onExpiryInput = (event: Event): void => {
    if ((event as InputEvent).isComposing) return;
    const input = event.target as HTMLInputElement;
    this.#expiry = shapeExpiry(input.value);
    writeKeepingCaret(input, this.#expiry, this.#isFocused(input));
    this.#changed();
    if (this.#expiry.length === 5 && !this.#errors().expiry) this.#focusField('cvc');
  };

  #onCvcInput = (event: Event): void => {
    if ((event as InputEvent).isComposing) return;
    const input = event.target as HTMLInputElement;
    this.#cvc = shapeCvc(input.value, this.#brand);
    writeKeepingCaret(input, this.#cvc, this.#isFocused(input));
    this.#changed();
  };

  #onBlur = (event: FocusEvent): void => {
    const field = (event.target as HTMLInputElement).id as CardField;
    const value = field === 'number' ? this.#number : field === 'expiry' ? this.#expiry : this.#cvc;
    // Tabbing through an empty field is not a mistake; leaving a half-typed one is.
    if (value && !this.#touched[field]) {
      this.#touched[field] = true;
      this.#changed();
    }
  };

  /** Re-renders and tells the host what changed (never the values, only their state). */
  #changed(): void {
    this.requestUpdate();
    const errors = this.#errors();
    const field = FIELDS.find((f) => this.#shownError(f, errors[f]));
    const message: Outgoing = {
      type: 'change',
      complete: Object.keys(errors).length === 0,
      empty: !this.#number && !this.#expiry && !this.#cvc,
      brand: this.#brand,
    };
    this.#post(field ? { ...message, field, error: errors[field] } : message);
  }

  // ---- Host messages ----

  #onMessage = (event: MessageEvent): void => {
    const params = this.#params;
    if (!params || event.origin !== params.origin || event.source !== window.parent) return;
    const message = parseHostToFrame(event.data, params.channel);
    if (!message) return;
    switch (message.type) {
      case 'init':
        this.#clientSecret = message.clientSecret;
        this.#overrides = cleanMessages(message.messages, ENGLISH);
        this.#applyAppearance(message.appearance);
        if (resolveLocale(message.locale) !== this.#locale) this.#setLocale(resolveLocale(message.locale));
        else this.requestUpdate();
        return;
      case 'tokenize':
        void this.#tokenize(message.requestId);
        return;
      case 'reset':
        this.#reset(message.fields ?? FIELDS);
        return;
      case 'focus':
        this.#focusField(FIELDS.find((f) => this.#errors()[f]) ?? 'number');
        return;
    }
  };

  async #tokenize(requestId: string): Promise<void> {
    const t = this.#t() ?? translator(ENGLISH);
    if (this.#busy) return; // the host awaits one request at a time; a duplicate gets no second token
    if (!this.#clientSecret) {
      this.#post({ type: 'token_error', requestId, code: 'frame_not_initialized', message: t('unexpected') });
      return;
    }
    this.#touched = { number: true, expiry: true, cvc: true };
    const errors = this.#errors();
    const field = FIELDS.find((f) => errors[f]);
    if (field) {
      const code = errors[field] as CardErrorCode;
      this.#changed();
      await this.updateComplete;
      this.#focusField(field);
      this.#post({ type: 'token_error', requestId, code, message: t(code), field });
      return;
    }
    const expiry = parseExpiry(this.#expiry);
    if (!expiry) return; // unreachable: no expiry error above means it parsed
    this.#busy = true;
    this.requestUpdate();
    try {
      const response = await fetch('/client/tokens', {
        method: 'POST',
        credentials: 'omit',
        headers: { Authorization: `Bearer ${this.#clientSecret}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          card: { number: this.#number, exp_month: expiry.month, exp_year: expiry.year, cvc: this.#cvc },
        }),
      });
      const body: unknown = await response.json().catch(() => null);
      const token = readToken(body);
      if (response.ok && token) {
        // The CVC has done its job; it must not outlive the token in this page either.
        this.#cvc = '';
        this.#touched.cvc = false;
        this.#post({ type: 'tokenized', requestId, token: token.id, brand: token.brand, last4: token.last4 });
      } else {
        const error = readError(body);
        this.#post({ type: 'token_error', requestId, code: error.code, message: errorMessage(t, error) });
      }
    } catch {
      // Deliberately not logged: the request body held the card.
      this.#post({ type: 'token_error', requestId, code: 'network_error', message: t('network_error') });
    } finally {
      this.#busy = false;
      this.#changed();
    }
  }

  /** Clears the fields a failure made wrong (all, for a new attempt with another card). */
  #reset(fields: readonly CardField[]): void {
    for (const field of fields) {
      if (field === 'number') {
        this.#number = '';
        this.#brand = 'unknown';
      } else if (field === 'expiry') this.#expiry = '';
      else this.#cvc = '';
      this.#touched[field] = false;
    }
    this.#changed();
  }

  /** Enter in a field pays, as in any form; the host decides (it may be busy or not ready). */
  #onKeydown = (event: KeyboardEvent): void => {
    if (event.key !== 'Enter' || event.isComposing) return;
    event.preventDefault();
    this.#post({ type: 'submit' });
  };

  // ---- Plumbing ----

  #post(message: Outgoing): void {
    const params = this.#params;
    if (!params) return;
    window.parent.postMessage({ kassa: 1, channel: params.channel, ...message }, params.origin);
  }

  #reportHeight(): void {
    const bottom = this.getBoundingClientRect().bottom + window.scrollY;
    const margin = parseFloat(getComputedStyle(document.body).marginBottom) || 0;
    const height = Math.ceil(bottom + margin);
    if (height === this.#lastHeight || height <= 0) return;
    this.#lastHeight = height;
    this.#post({ type: 'resize', height });
  }

  #focusField(field: CardField): void {
    this.renderRoot.querySelector<HTMLInputElement>(`#${field}`)?.focus();
  }

  #isFocused(input: HTMLInputElement): boolean {
    return (this.renderRoot as ShadowRoot).activeElement === input;
  }
}

function isFullLength(digits: string, brand: CardBrand): boolean {
  // Visa allows 13, 16 and 19 digits; 16 is by far the most common, so judge it there.
  const full = brand === 'amex' ? 15 : 16;
  return digits.length >= full;
}

const BRANDS: readonly string[] = ['visa', 'mastercard', 'amex', 'unionpay', 'jcb', 'unknown'];

function readToken(body: unknown): { id: string; brand: CardBrand; last4: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { id?: unknown; card?: { brand?: unknown; last4?: unknown } };
  if (typeof b.id !== 'string' || !/^tok_[A-Za-z0-9_]{1,120}$/.test(b.id)) return null;
  const brand = b.card?.brand;
  const last4 = b.card?.last4;
  if (typeof brand !== 'string' || !BRANDS.includes(brand) || typeof last4 !== 'string' || !/^\d{4}$/.test(last4)) return null;
  return { id: b.id, brand: brand as CardBrand, last4 };
}

function readError(body: unknown): { code: string; decline_code?: string } {
  const e = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown; decline_code?: unknown } }).error : undefined;
  const code = typeof e?.code === 'string' && e.code.length <= 64 ? e.code : 'api_error';
  return typeof e?.decline_code === 'string' ? { code, decline_code: e.decline_code } : { code };
}
