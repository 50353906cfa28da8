import { html, nothing, type TemplateResult } from 'lit/html.js';
import { CONFIRMABLE, formatAmount, readClientSecret, type FrameToHost } from '@kassa/core';
import type { ClientPaymentIntent } from '@kassa/core/wire';
import { ClientErrorCode, KassaError } from '../errors.js';
import { KassaActionRequiredEvent } from '../events/action-required.js';
import { KassaPaymentFailedEvent } from '../events/payment-failed.js';
import { KassaPaymentSucceededEvent } from '../events/payment-succeeded.js';
import { cardLabel, errorMessage, messages, pageLocale, resolveLocale, type Locale, type Messages } from '../i18n.js';
import { abortable } from '../abortable.js';
import { KassaElement } from '../kassa-element.js';
import { randomId } from '../random.js';
import { actionUrl } from './actions.js';
import { ClientApi, type ApiError, type ApiResult, type ConfirmBody } from './client-api.js';
import { FrameBridge, type BridgeHost } from './frame-bridge.js';
import { pinnedOrigin } from './kassa-origin.js';
import { styles } from './kassa-checkout.styles.js';

/** The element's UI states. Payment intent statuses (core) are the server's; these are the shopper's. */
export const CheckoutStatus = {
  Loading: 'loading',
  Ready: 'ready',
  Processing: 'processing',
  Challenge: 'challenge',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;

export type CheckoutStatus = (typeof CheckoutStatus)[keyof typeof CheckoutStatus];

/** What `pay()` resolves with. It never rejects for a card outcome. */
export type PayResult =
  | { paymentIntent: ClientPaymentIntent; error?: undefined }
  | { error: KassaError; paymentIntent?: undefined };

type ReadyState = {
  status: 'ready';
  intent: ClientPaymentIntent;
  /** Minted on entering ready, before the click, so a retried request can never pay twice. */
  idempotencyKey: string;
  /** A card-form problem found on the last submit (not a payment failure). */
  notice?: KassaError | undefined;
};

type CheckoutState =
  | { status: 'loading' }
  | ReadyState
  | { status: 'processing'; intent: ClientPaymentIntent }
  | { status: 'challenge'; intent: ClientPaymentIntent; url: string }
  | { status: 'succeeded'; intent: ClientPaymentIntent }
  | { status: 'failed'; error: KassaError; intent?: ClientPaymentIntent | undefined };

/** Bounds the follow-ups (3-D Secure, polls, state refreshes) one attempt may chain. */
const MAX_HOPS = 6;
/** The first wait before asking again about an intent the provider is still deciding on; each next one doubles… */
const POLL_MS = 1500;
/** …up to this. With MAX_HOPS, an undecided intent gets about half a minute before the widget says so. */
const MAX_POLL_MS = 8000;
/**
 * How long a 3-D Secure challenge may stay open without a word from its page. Generous (a code by
 * SMS, a banking app on another phone), but a page that never answers must not leave the shopper
 * looking at "Processing" forever.
 */
const CHALLENGE_TIMEOUT_MS = 10 * 60_000;

/**
 * `<kassa-checkout>`: one "Pay ¥128.00" button. A new shopper types a card once in Kassa's
 * secure card frame (a cross-origin iframe: this element never sees the number or the CVC);
 * a returning shopper pays in one click with the saved card. 3-D Secure challenges are shown
 * inside the element.
 *
 * @attr client-secret - The payment intent's client secret, minted by the merchant backend. Required.
 * @attr kassa-url - The Kassa server this element belongs to, e.g. `https://pay.example.com`. Required
 *   with the ES module build (bundlers, React, Vue); kassa.js is pinned to the server it was loaded
 *   from, and a `kassa-url` next to it must name that same origin. A client secret issued by any
 *   other server is refused (`client_secret_issuer_mismatch`) before anything is framed or fetched.
 * @attr locale - `en` or `zh-CN`. Defaults to the page's `<html lang>`, then the browser's language.
 *
 * @event kassa-payment-succeeded - `{ paymentIntent }`: paid (`succeeded`, or `requires_capture` with manual capture).
 * @event kassa-payment-failed - `{ error, paymentIntent? }`: declined, 3-D Secure failed, network error,
 *   or the payment could not be loaded (expired client secret, secret of another server, no
 *   `kassa-url`). `error.message` is localized.
 * @event kassa-action-required - `{ action, paymentIntent }`: a 3-D Secure challenge is now shown.
 *
 * @csspart button - The pay button (new card or saved card).
 * @csspart status - The live status line: loading, processing, errors, success.
 * @csspart frame - The card-entry iframe.
 * @csspart challenge - The 3-D Secure iframe.
 * @csspart link - The "Use another card" / "Use UnionPay •••• 0005" switch.
 * @csspart save - The "Save card for next time" label.
 * @csspart amount - The total shown above a saved-card button.
 *
 * @cssproperty --kassa-font-family - Font stack.
 * @cssproperty --kassa-font-size - Base size (default 1rem).
 * @cssproperty --kassa-color-text - Text colour.
 * @cssproperty --kassa-color-primary - Pay button background and link colour.
 * @cssproperty --kassa-color-on-primary - Pay button text.
 * @cssproperty --kassa-color-link - Link colour (defaults to primary).
 * @cssproperty --kassa-color-danger - Error text.
 * @cssproperty --kassa-color-success - Success text.
 * @cssproperty --kassa-color-border - 3-D Secure frame border.
 * @cssproperty --kassa-radius - Corner radius of button and frames.
 * @cssproperty --kassa-gap - Space between rows.
 * @cssproperty --kassa-focus-ring - Outline of focused controls.
 * @cssproperty --kassa-max-width - Maximum width (default 28rem).
 * @cssproperty --kassa-frame-height - Card frame height until the frame reports its own.
 * @cssproperty --kassa-challenge-height - 3-D Secure frame height.
 */
export class KassaCheckout extends KassaElement {
  static override styles = styles;
  static observedAttributes = ['client-secret', 'kassa-url', 'locale'];

  /**
   * The flow's time limits, read at each wait. For tests only (a test shortens them instead of
   * waiting ten minutes); pages should leave them alone.
   */
  static timing = { challengeMs: CHALLENGE_TIMEOUT_MS, pollMs: POLL_MS, maxPollMs: MAX_POLL_MS };

  /** The payment intent's client secret (attribute `client-secret`). Setting it (re)loads the intent. */
  get clientSecret(): string {
    return this.#clientSecret;
  }

  set clientSecret(value: string | null | undefined) {
    if ((value ?? '') === this.#clientSecret) return;
    this.#clientSecret = value ?? '';
    if (this.isConnected) this.#load();
  }

  /**
   * The Kassa server's URL (attribute `kassa-url`); only its origin counts. The client secret's
   * issuer must be this origin. Setting it reloads the intent.
   */
  get kassaUrl(): string {
    return this.#kassaUrl;
  }

  set kassaUrl(value: string | null | undefined) {
    if ((value ?? '') === this.#kassaUrl) return;
    this.#kassaUrl = value ?? '';
    if (this.isConnected) this.#load();
  }

  /** `en` or `zh-CN` (attribute `locale`); unset means the page's language. */
  get locale(): string | null {
    return this.#localeAttr;
  }

  set locale(value: string | null | undefined) {
    this.#localeAttr = value ?? null;
    this.requestUpdate();
    // The frame learns the new language without reloading (and losing what was typed).
    this.#bridge?.send({ type: 'init', ...this.#initData() });
  }

  /** The shopper-facing state: loading, ready, processing, challenge, succeeded or failed. */
  get status(): CheckoutStatus {
    return this.#state.status;
  }

  #clientSecret = '';
  #kassaUrl = '';
  #localeAttr: string | null = null;
  #state: CheckoutState = { status: 'loading' };
  /** One controller per run (a load or a pay attempt); starting a run aborts the previous one. */
  #run: AbortController | undefined;
  #loaded: Promise<void> = Promise.resolve();
  #attempt: Promise<PayResult> | undefined;
  #api: ClientApi | undefined;
  #bridge: FrameBridge | undefined;
  #frameSrc = '';
  #useSavedCard = true;
  #saveCard = false;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.#onMessage);
    // First connection, or reattached after a disconnect aborted the run: (re)load the intent.
    if (!this.#run || this.#run.signal.aborted) this.#load();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
    this.#run?.abort();
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    if (name === 'locale') this.locale = value;
    else if (name === 'kassa-url') this.kassaUrl = value;
    else this.clientSecret = value;
  }

  /**
   * Pays with the card in the frame (or the saved card). Called by the pay button; merchants may
   * call it from their own button. Calling it again while a payment runs returns the same promise.
   */
  async pay(): Promise<PayResult> {
    await this.#loaded;
    if (this.#attempt) return this.#attempt;
    const state = this.#state;
    if (state.status === 'ready') return this.#start(state);
    if (state.status === 'succeeded') return { paymentIntent: state.intent };
    // failed → ready → processing: a new idempotency key, and (in #paymentMethod) a new token.
    if (state.status === 'failed' && state.intent && CONFIRMABLE.includes(state.intent.status)) {
      return this.#start(this.#enterReady(state.intent));
    }
    // Failed for good (expired session, canceled intent), or no client secret yet.
    return { error: state.status === 'failed' ? state.error : this.#error({ type: 'invalid_request_error', code: ClientErrorCode.ClientSecretInvalid }) };
  }

  protected override render(): TemplateResult {
    const state = this.#state;
    const m = messages(this.#locale);
    const challenge = state.status === 'challenge';
    const busy = challenge || state.status === 'processing';
    const form =
      busy ||
      state.status === 'ready' ||
      (state.status === 'failed' && state.intent !== undefined && CONFIRMABLE.includes(state.intent.status));
    const text =
      state.status === 'failed'
        ? // Localized from the code at render time, so a locale switch re-translates it.
          errorMessage(m, state.error)
        : state.status === 'ready'
          ? (state.notice?.message ?? '')
          : m.status[state.status];
    const tone = state.status === 'succeeded' ? 'success' : text && (state.status === 'failed' || state.status === 'ready') ? 'error' : '';
    // One fixed layout for every status, so the card iframe is never re-created (and never
    // loses what the shopper typed) while the status changes around it.
    return html`<div lang=${this.#locale}>
      ${form && 'intent' in state && state.intent ? this.#renderForm(state.intent, m, busy, challenge) : nothing}
      ${challenge ? html`<iframe part="challenge" class="challenge" src=${state.url} title=${m.challengeTitle}></iframe>` : nothing}
      <p part="status" class=${tone} role="status" aria-live="polite" tabindex="-1">${text}</p>
    </div>`;
  }

  // ---- Flow: load ----

  #load(): void {
    const signal = this.#begin();
    this.#bridge = undefined;
    this.#api = undefined;
    this.#useSavedCard = true;
    this.#set({ status: 'loading' });
    this.#loaded = this.#fetchIntent(signal);
  }

  async #fetchIntent(signal: AbortSignal): Promise<void> {
    // Report nothing in the same task that set the secret: code that sets `clientSecret` and
    // then adds its listeners (as @lit/react and hand-written code often do) must still hear
    // about a malformed or expired secret.
    await Promise.resolve();
    if (signal.aborted) return;
    const secret = this.#clientSecret;
    // Frameworks often set the property just after creating the element: wait for it quietly.
    if (!secret) return;
    const claims = readClientSecret(secret);
    // Failures while loading do not move focus: the shopper did nothing yet, and may be elsewhere.
    const quiet = { moveFocus: false };
    if (!claims) {
      this.#fail({ type: 'invalid_request_error', code: ClientErrorCode.ClientSecretInvalid }, undefined, quiet);
      return;
    }
    // Before any frame or request: a forged secret must not choose where the card form comes from.
    const pin = pinnedOrigin(this.#kassaUrl, claims.iss);
    if (pin.error) {
      this.#fail(pin.error, undefined, quiet);
      return;
    }
    const server = pin.origin;
    if (claims.exp * 1000 <= Date.now()) {
      this.#fail({ type: 'authentication_error', code: ClientErrorCode.ClientSecretExpired }, undefined, quiet);
      return;
    }
    this.#api = new ClientApi(server, secret);
    this.#bridge = new FrameBridge(server, this.#bridgeHost);
    this.#frameSrc = this.#bridge.frameUrl(location.origin, this.#locale);
    const result = await this.#api.getIntent(claims.sub, signal);
    if (signal.aborted) return;
    if (result.error) {
      this.#fail(result.error, result.intent, quiet);
      return;
    }
    const intent = result.intent;
    if (CONFIRMABLE.includes(intent.status)) this.#enterReady(intent);
    // Paid earlier (e.g. the page was reloaded): show it, but announce nothing new.
    else if (isPaid(intent)) this.#set({ status: 'succeeded', intent });
    // Mid-challenge, still processing, or canceled: the router knows what each means.
    else this.#track(this.#route(result, this.#begin(), intent, 0));
  }

  // ---- Flow: pay (tokenize → confirm → route) ----

  #start(ready: ReadyState): Promise<PayResult> {
    return this.#track(this.#submit(ready, this.#begin()));
  }

  async #submit({ intent, idempotencyKey }: ReadyState, signal: AbortSignal): Promise<PayResult> {
    this.#set({ status: 'processing', intent });
    const method = await this.#paymentMethod(intent, signal);
    if ('error' in method) return this.#route({ error: method.error, intent }, signal, intent, 0);
    const body: ConfirmBody = { payment_method: method.id };
    if (method.fromFrame && this.#saveCard && intent.can_save_card) body.setup_future_usage = 'on_session';
    const result = await this.#api!.confirm(intent.id, body, idempotencyKey, signal);
    return this.#route(result, signal, intent, 0);
  }

  /** The saved card's id, or a fresh single-use token from the card frame. */
  async #paymentMethod(
    intent: ClientPaymentIntent,
    signal: AbortSignal,
  ): Promise<{ id: string; fromFrame: boolean } | { error: ApiError }> {
    const saved = intent.saved_payment_method;
    if (saved && this.#useSavedCard) return { id: saved.id, fromFrame: false };
    const result = await this.#bridge!.tokenize(signal);
    return 'error' in result ? result : { id: result.tokenized.token, fromFrame: true };
  }

  /**
   * The one place an answer becomes a UI state. Confirm responses, 3-D Secure follow-ups and
   * polls all come back through here.
   */
  async #route(result: ApiResult, signal: AbortSignal, current: ClientPaymentIntent, hops: number): Promise<PayResult> {
    // A newer run (new client secret, disconnect) owns the UI now: drop this result.
    if (signal.aborted) return { error: this.#error({ type: 'api_error', code: ClientErrorCode.Unexpected }) };
    if (result.error) {
      const error = result.error;
      if (error.type === 'validation_error') return this.#invalid(error, current);
      if (error.code === 'payment_intent_unexpected_state' && hops === 0) {
        // E.g. a first try that went through although its answer was lost: ask where the intent is.
        return this.#route(await this.#api!.getIntent(current.id, signal), signal, current, hops + 1);
      }
      return this.#fail(error, result.intent ?? current);
    }
    const intent = result.intent;
    switch (intent.status) {
      case 'succeeded':
      case 'requires_capture':
        return this.#succeed(intent);
      case 'requires_action':
        if (hops >= MAX_HOPS) return this.#fail({ type: 'api_error', code: ClientErrorCode.Unexpected }, intent);
        return this.#route(await this.#challenge(intent, signal), signal, intent, hops + 1);
      case 'processing':
      case 'unknown': {
        // The provider has not decided yet (`unknown`: its answer was lost on the way). Once out of
        // hops, say exactly that rather than guess: the payment may still succeed, and the failed
        // state offers no retry (this intent cannot be confirmed again, so nothing is charged twice).
        if (hops >= MAX_HOPS) return this.#fail({ type: 'api_error', code: ClientErrorCode.PaymentUnconfirmed }, intent);
        // After a challenge the bank's page has done its part: show "Processing" while we wait.
        if (this.#state.status === 'challenge') this.#set({ status: 'processing', intent });
        // Taken before the wait: a new client secret clears #api while this run sleeps.
        const api = this.#api!;
        const { pollMs, maxPollMs } = KassaCheckout.timing;
        await sleep(Math.min(pollMs * 2 ** hops, maxPollMs), signal);
        return this.#route(await api.getIntent(intent.id, signal), signal, intent, hops + 1);
      }
      case 'requires_payment_method':
      case 'requires_confirmation':
        // Back to square one: the server says why (a failed 3-D Secure, a decline).
        return this.#fail(
          intent.last_payment_error ?? { type: 'invalid_request_error', code: 'payment_intent_unexpected_state' },
          intent,
        );
      case 'canceled':
      case 'failed':
        return this.#fail({ type: 'invalid_request_error', code: 'payment_intent_unexpected_state' }, intent);
    }
  }

  /**
   * Shows the action's page, waits for it to report back (within the time limit), then asks the
   * server for the outcome.
   */
  async #challenge(intent: ClientPaymentIntent, signal: AbortSignal): Promise<ApiResult> {
    const bridge = this.#bridge!;
    // This run's API, taken now: a new client secret clears #api while the shopper is in the challenge.
    const api = this.#api!;
    const url = actionUrl(intent.next_action, { server: bridge.origin, channel: bridge.channel, origin: location.origin });
    if (!url || !intent.next_action) {
      return { error: { type: 'api_error', code: ClientErrorCode.UnsupportedAction }, intent };
    }
    this.#set({ status: 'challenge', intent, url });
    this.dispatchEvent(new KassaActionRequiredEvent({ action: intent.next_action, paymentIntent: intent }));
    void this.#focusAfterUpdate(() => this.#challengeFrame());
    const answered = await bridge.challengeComplete(intent.id, signal, KassaCheckout.timing.challengeMs);
    const result = await api.getIntent(intent.id, signal);
    if (answered || signal.aborted) return result;
    // No word from the page in time (it hung, or its message was lost): the server knows where the
    // intent is. Paid, or still settling, goes through the router as usual. Still waiting for the
    // bank, or payable again, ends this attempt; #fail keeps it retryable only in the second case.
    const status = result.intent?.status;
    if (!status || status === 'requires_action' || CONFIRMABLE.includes(status)) {
      return { error: { type: 'api_error', code: ClientErrorCode.ChallengeTimeout }, intent: result.intent ?? intent };
    }
    return result;
  }

  // ---- Outcomes ----

  #enterReady(intent: ClientPaymentIntent, notice?: KassaError): ReadyState {
    const ready: ReadyState = { status: 'ready', intent, idempotencyKey: randomId('kassa', 16), notice };
    this.#set(ready);
    return ready;
  }

  #succeed(intent: ClientPaymentIntent): PayResult {
    this.#set({ status: 'succeeded', intent });
    this.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent }));
    // The pay button is gone; keep keyboard and screen-reader users on the confirmation.
    void this.#focusAfterUpdate(() => this.#statusRegion());
    return { paymentIntent: intent };
  }

  #fail(apiError: ApiError, intent?: ClientPaymentIntent, { moveFocus = true } = {}): PayResult {
    const error = this.#error(apiError);
    this.#set({ status: 'failed', error, intent });
    // Nothing stale is reused: the token is spent, so the frame starts empty for the next try.
    this.#bridge?.send({ type: 'reset' });
    this.dispatchEvent(new KassaPaymentFailedEvent(intent ? { error, paymentIntent: intent } : { error }));
    // Back to where the shopper can try again (the announcement comes from the live region).
    if (moveFocus) void this.#focusAfterUpdate(() => this.#focusTarget());
    return { error };
  }

  /** The card form is incomplete or wrong: stay ready (nothing was charged or sent), point at the field. */
  #invalid(apiError: ApiError, intent: ClientPaymentIntent): PayResult {
    const error = this.#error(apiError);
    this.#enterReady(intent, error);
    void this.#focusAfterUpdate(() => this.#focusCardFrame());
    return { error };
  }

  #error(apiError: ApiError): KassaError {
    // The frame already said which field is wrong, in the shopper's language; keep its words.
    const message =
      apiError.type === 'validation_error' && apiError.message ? apiError.message : errorMessage(messages(this.#locale), apiError);
    return new KassaError({ ...apiError, message }, apiError.cause === undefined ? undefined : { cause: apiError.cause });
  }

  // ---- Rendering ----

  #renderForm(intent: ClientPaymentIntent, m: Messages, busy: boolean, hidden: boolean): TemplateResult {
    const saved = intent.saved_payment_method;
    const label = saved ? cardLabel(m, saved.brand, saved.last4) : '';
    const useSaved = saved && this.#useSavedCard;
    const amount = formatAmount(intent.amount, intent.currency, this.#locale);
    return html`<div ?hidden=${hidden}>
      ${useSaved
        ? html`<p part="amount">${m.total(amount)}</p>`
        : html`<iframe part="frame" class="card-frame" src=${this.#frameSrc} title=${m.cardFrameTitle}></iframe>
            ${intent.can_save_card
              ? html`<label part="save"
                  ><input type="checkbox" .checked=${this.#saveCard} ?disabled=${busy} @change=${this.#onSaveCardChange} />
                  ${m.saveCard}</label
                >`
              : nothing}`}
      <button part="button" class="pay" aria-disabled=${busy} @click=${this.#onPayClick}>
        ${useSaved ? m.payWith(label) : m.pay(amount)}
      </button>
      ${saved
        ? html`<button part="link" class="link" ?disabled=${busy} @click=${this.#onToggleSavedCard}>
            ${useSaved ? m.useAnotherCard : m.useSavedCard(label)}
          </button>`
        : nothing}
    </div>`;
  }

  // ---- Handlers and plumbing ----

  #onPayClick = (): void => {
    void this.pay();
  };

  #onToggleSavedCard = (): void => {
    this.#useSavedCard = !this.#useSavedCard;
    const state = this.#state;
    // A different payment method is a different attempt: drop any earlier error and key.
    if (state.status === 'failed' && state.intent && CONFIRMABLE.includes(state.intent.status)) this.#enterReady(state.intent);
    else this.requestUpdate();
    void this.#focusAfterUpdate(() => (this.#useSavedCard ? this.#payButton() : this.#focusCardFrame()));
  };

  #onSaveCardChange = (event: Event): void => {
    this.#saveCard = (event.target as HTMLInputElement).checked;
  };

  #onMessage = (event: MessageEvent): void => {
    this.#bridge?.handleMessage(event);
  };

  #bridgeHost: BridgeHost = {
    cardFrame: () => this.#cardFrame(),
    challengeFrame: () => this.#challengeFrame(),
    initData: () => this.#initData(),
    onFrameResize: (height) => {
      const frame = this.#cardFrame();
      // Set through CSSOM (not a style attribute), which a page's CSP does not block.
      if (frame) frame.style.height = `${Math.ceil(height)}px`;
    },
    onFrameChange: (_message: Extract<FrameToHost, { type: 'change' }>) => {
      // Once the shopper fixes the form, the earlier "incomplete" notice is out of date.
      const state = this.#state;
      if (state.status === 'ready' && state.notice) this.#set({ ...state, notice: undefined });
    },
  };

  #initData(): { clientSecret: string; locale: Locale } {
    return { clientSecret: this.#clientSecret, locale: this.#locale };
  }

  get #locale(): Locale {
    return this.#localeAttr ? resolveLocale(this.#localeAttr, pageLocale()) : pageLocale();
  }

  #begin(): AbortSignal {
    this.#run?.abort();
    this.#run = new AbortController();
    return this.#run.signal;
  }

  #track(attempt: Promise<PayResult>): Promise<PayResult> {
    this.#attempt = attempt;
    const clear = () => {
      if (this.#attempt === attempt) this.#attempt = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  #set(state: CheckoutState): void {
    this.#state = state;
    this.requestUpdate();
  }

  async #focusAfterUpdate(target: () => HTMLElement | null): Promise<void> {
    await this.updateComplete;
    target()?.focus();
  }

  #focusTarget(): HTMLElement | null {
    return this.#focusCardFrame() ?? this.#payButton() ?? this.#statusRegion();
  }

  /** Focuses the card iframe and asks the frame to put the caret in the field that needs it. */
  #focusCardFrame(): HTMLIFrameElement | null {
    const frame = this.#cardFrame();
    if (frame) this.#bridge?.send({ type: 'focus' });
    return frame;
  }

  #cardFrame = () => this.renderRoot.querySelector<HTMLIFrameElement>('.card-frame');
  #challengeFrame = () => this.renderRoot.querySelector<HTMLIFrameElement>('.challenge');
  #payButton = () => this.renderRoot.querySelector<HTMLButtonElement>('.pay');
  #statusRegion = () => this.renderRoot.querySelector<HTMLElement>('[role=status]');
}

function isPaid(intent: ClientPaymentIntent): boolean {
  return intent.status === 'succeeded' || intent.status === 'requires_capture';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return abortable<void>(signal, ms, undefined, () => () => {});
}
