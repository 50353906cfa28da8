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
import { KassaElement } from '../kassa-element.js';
import { errorMessage, frameMessages, resolveLocale, type FrameMessages, type Locale } from '../i18n.js';
import { isOriginParam, shapeCvc, shapeExpiry, shapeNumber, writeKeepingCaret } from './card-input.js';
import { styles } from './kassa-card-frame.styles.js';

interface FrameParams {
  channel: string;
  /** The merchant page's origin: the only window we talk to, and the exact postMessage target. */
  origin: string;
}

type Outgoing = FrameToHost extends infer M ? (M extends FrameToHost ? Omit<M, 'kassa' | 'channel'> : never) : never;

const FIELDS: readonly CardField[] = ['number', 'expiry', 'cvc'];

/**
 * `<kassa-card-frame>`: the card-entry form inside Kassa's card iframe (`/frame/card`, on the
 * Kassa origin). It is the only place a card number and CVC exist in the browser. It reads
 * `channel`, `origin` and `locale` from its page's query string, talks only to its parent
 * window at exactly `origin`, and answers `tokenize` with a token, brand and last 4 — never
 * the number itself. It never logs card data.
 *
 * Not themable from the merchant page: styles do not cross the origin boundary, by design.
 */
export class KassaCardFrame extends KassaElement {
  static override styles = styles;

  #params: FrameParams | null = null;
  #clientSecret: string | null = null;
  #locale: Locale = 'en';
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
    this.#locale = resolveLocale(query.get('locale'));
    // Only ever inside a frame, with a well-formed channel and origin; otherwise stay mute.
    this.#params = window.parent !== window && isValidChannel(channel) && isOriginParam(origin) ? { channel, origin } : null;
    if (!this.#params) return;
    document.documentElement.lang = this.#locale;
    window.addEventListener('message', this.#onMessage);
    this.#resizeObserver = new ResizeObserver(() => this.#reportHeight());
    this.#resizeObserver.observe(this);
    // Listening already, so the host's `init` cannot be missed.
    void this.updateComplete.then(() => this.#post({ type: 'ready' }));
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
    this.#resizeObserver?.disconnect();
  }

  protected override render(): TemplateResult {
    const m = frameMessages(this.#locale);
    if (!this.#params) return html`<p class="config-error" role="alert">${m.outcome.unexpected}</p>`;
    const errors = this.#errors();
    const shown = (field: CardField) => this.#shownError(field, errors[field]);
    return html`<div class="fields" lang=${this.#locale}>
      <div class="field number">
        <div class="label-row">
          <label for="number">${m.field.number}</label>
          <span id="number-brand" class="brand">${this.#number ? m.brand[this.#brand] : nothing}</span>
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
          />
        </div>
        ${this.#renderError('number', shown('number'), m)}
      </div>
      <div class="field expiry">
        <label for="expiry">${m.field.expiry}</label>
        <input
          id="expiry"
          name="exp-date"
          autocomplete="cc-exp"
          inputmode="numeric"
          spellcheck="false"
          placeholder=${m.field.expiryPlaceholder}
          maxlength="7"
          .value=${this.#expiry}
          aria-invalid=${shown('expiry') ? 'true' : 'false'}
          aria-describedby="expiry-error"
          ?readonly=${this.#busy}
          @input=${this.#onExpiryInput}
          @compositionend=${this.#onExpiryInput}
          @blur=${this.#onBlur}
        />
        ${this.#renderError('expiry', shown('expiry'), m)}
      </div>
      <div class="field cvc">
        <label for="cvc">${m.field.cvc}</label>
        <input
          id="cvc"
          name="cvc"
          autocomplete="cc-csc"
          inputmode="numeric"
          spellcheck="false"
          placeholder=${m.field.cvcPlaceholder}
          .value=${this.#cvc}
          aria-invalid=${shown('cvc') ? 'true' : 'false'}
          aria-describedby="cvc-error"
          ?readonly=${this.#busy}
          @input=${this.#onCvcInput}
          @compositionend=${this.#onCvcInput}
          @blur=${this.#onBlur}
        />
        ${this.#renderError('cvc', shown('cvc'), m)}
      </div>
    </div>`;
  }

  #renderError(field: CardField, code: CardErrorCode | undefined, m: FrameMessages): TemplateResult {
    return html`<p id="${field}-error" class="error" aria-live="polite">${code ? m.fieldError[code] : nothing}</p>`;
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
        this.#locale = resolveLocale(message.locale);
        document.documentElement.lang = this.#locale;
        this.requestUpdate();
        return;
      case 'tokenize':
        void this.#tokenize(message.requestId);
        return;
      case 'reset':
        this.#reset();
        return;
      case 'focus':
        this.#focusField(FIELDS.find((f) => this.#errors()[f]) ?? 'number');
        return;
    }
  };

  async #tokenize(requestId: string): Promise<void> {
    const m = frameMessages(this.#locale);
    if (this.#busy) return; // the host awaits one request at a time; a duplicate gets no second token
    if (!this.#clientSecret) {
      this.#post({ type: 'token_error', requestId, code: 'frame_not_initialized', message: m.outcome.unexpected });
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
      this.#post({ type: 'token_error', requestId, code, message: m.fieldError[code], field });
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
        this.#post({ type: 'token_error', requestId, code: error.code, message: errorMessage(m, error) });
      }
    } catch {
      // Deliberately not logged: the request body held the card.
      this.#post({ type: 'token_error', requestId, code: 'network_error', message: m.outcome.network_error });
    } finally {
      this.#busy = false;
      this.#changed();
    }
  }

  #reset(): void {
    this.#number = '';
    this.#brand = 'unknown';
    this.#expiry = '';
    this.#cvc = '';
    this.#touched = { number: false, expiry: false, cvc: false };
    this.#changed();
  }

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
