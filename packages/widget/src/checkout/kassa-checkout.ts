import { html, nothing, type TemplateResult } from 'lit/html.js';
import { CONFIRMABLE, formatAmount, readClientSecret, resolveLocale, type CardBrand, type CardField, type FrameToHost, type Locale } from '@kassa/core';
import type { ClientPaymentIntent } from '@kassa/core/wire';
import { ClientErrorCode, KassaError } from '../errors.js';
import { KassaActionRequiredEvent } from '../events/action-required.js';
import { KassaChangeEvent } from '../events/change.js';
import { KassaPaymentFailedEvent } from '../events/payment-failed.js';
import { KassaPaymentSucceededEvent } from '../events/payment-succeeded.js';
import { KassaReadyEvent } from '../events/ready.js';
import {
  brandName,
  cleanMessages,
  errorMessage,
  loadCatalog,
  loadedCatalog,
  pageLocale,
  translator,
  type ErrorLike,
  type MessageOverrides,
  type Messages,
  type Translate,
} from '../i18n/index.js';
import { abortable } from '../abortable.js';
import { KassaElement } from '../kassa-element.js';
import { randomId } from '../random.js';
import { actionPage } from './actions.js';
import { frameAppearance, onDarkPage, type Appearance } from './appearance.js';
import { ClientApi, type ApiError, type ApiResult, type ConfirmBody, type Wallet } from './client-api.js';
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
  | { status: 'succeeded'; intent: ClientPaymentIntent; via?: Card | Wallet | undefined }
  | { status: 'failed'; error: KassaError; intent?: ClientPaymentIntent | undefined };

/** The card a payment used, for the shopper-facing words (never more than brand and last 4). */
interface Card {
  brand: CardBrand;
  last4: string;
}

/** What `<kassa-checkout>` pays with: the card frame (or the saved card), or a wallet. */
export type PaymentMethodType = 'card' | Wallet;
const PAYMENT_METHODS: readonly PaymentMethodType[] = ['card', 'alipay', 'paypal'];

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
 * How long a wallet's page that opens the provider's (PayPal's approval, Alipay's cashier) may
 * stay silent: a log-in, a second factor, a card to pick at PayPal. A QR code's page gets as
 * long as the code is valid (its `expires_at`, plus QR_MARGIN_MS for the page's last look and
 * the server settling the expiry), and never less than a challenge.
 */
const WALLET_TIMEOUT_MS = 30 * 60_000;
const QR_MARGIN_MS = 60_000;

/**
 * @customElement kassa-checkout
 *
 * `<kassa-checkout>`: one "Pay ¥128.00" button. A new shopper types a card once in Kassa's
 * secure card frame (a cross-origin iframe: this element never sees the number or the CVC);
 * a returning shopper pays in one click with the saved card. 3-D Secure challenges are shown
 * inside the element. With `payment-method="alipay"` or `"paypal"` there is no card frame: the
 * button ("Pay ¥128.00 with Alipay") confirms with the wallet, and Kassa's page for it (the QR
 * code to scan, or a button that opens PayPal in a popup) is shown inside the element until
 * the payment is over.
 *
 * @attr client-secret - The payment intent's client secret, minted by the merchant backend. Required.
 * @attr kassa-url - The Kassa server this element belongs to, e.g. `https://pay.example.com`. Required
 *   with the ES module build (bundlers, React, Vue); kassa.js is pinned to the server it was loaded
 *   from, and a `kassa-url` next to it must name that same origin. A client secret issued by any
 *   other server is refused (`client_secret_issuer_mismatch`) before anything is framed or fetched.
 * @attr locale - `en`, `zh-CN`, `zh-TW`, `ja`, `es`, `de` or `fr` (any BCP 47 tag: zh-HK → zh-TW,
 *   pt-BR → en). Defaults to the page's `<html lang>`, then the browser's languages.
 * @attr payment-method - `card` (default), `alipay` or `paypal`. An unknown value is ignored (the
 *   element keeps the method it had) with a console warning; an empty or removed attribute means `card`.
 *
 * @event kassa-payment-succeeded - `{ paymentIntent }`: paid (`succeeded`, or `requires_capture` with manual capture).
 * @event kassa-payment-failed - `{ error, paymentIntent? }`: declined, 3-D Secure failed, a wallet
 *   payment refused or its code expired, network error, a wallet not available
 *   (`payment_method_unactivated`), or the payment could not be loaded (expired client secret,
 *   secret of another server, no `kassa-url`). `error.message` is localized.
 * @event kassa-action-required - `{ action, paymentIntent }`: a 3-D Secure challenge, or a wallet's page
 *   (`display_qr_code`, `redirect_to_url`), is now shown.
 * @event kassa-ready - `{ paymentIntent }`: the intent is loaded and the fields (or the saved card, or
 *   the wallet's button) are showing.
 * @event kassa-change - `{ complete, empty, brand }`: the card form changed (never any digits).
 *
 * @csspart button - The pay button (new card or saved card).
 * @csspart status - The live status line: loading, processing, errors, success.
 * @csspart frame - The card-entry iframe.
 * @csspart challenge - The 3-D Secure iframe, or the wallet's (QR code, PayPal).
 * @csspart link - The "Use another card" / "Use UnionPay •••• 0005" switch.
 * @csspart save - The "Save card for next time" label.
 *
 * @cssstate loading - The intent is loading (one status state at a time, as `status`; e.g. `kassa-checkout:state(succeeded)`).
 * @cssstate ready - The shopper can pay.
 * @cssstate processing - A payment is running.
 * @cssstate challenge - A 3-D Secure challenge, or a wallet's page, is shown.
 * @cssstate succeeded - Paid.
 * @cssstate failed - The last attempt failed (the pay button is back if the intent can still be paid).
 * @cssstate complete - The card form is complete (with a saved card or a wallet: always).
 * @cssstate dark - Dark colours: `appearance.theme` is `dark`, or (no theme) the text around is light.
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
 * @cssproperty --kassa-radius - Corner radius of the button and the card fields (the iframes stay square).
 * @cssproperty --kassa-gap - Space between rows.
 * @cssproperty --kassa-focus-ring - Outline of focused controls.
 * @cssproperty --kassa-max-width - Maximum width (default 28rem).
 * @cssproperty --kassa-frame-height - Card frame height until the frame reports its own.
 * @cssproperty --kassa-challenge-height - 3-D Secure (or wallet) frame height until its page reports its own.
 */
export class KassaCheckout extends KassaElement {
  static override styles = styles;
  static observedAttributes = ['client-secret', 'kassa-url', 'locale', 'payment-method'];

  /** For `:state(…)`; created once per element (ElementInternals allows one). */
  readonly #internals = this.attachInternals();

  /**
   * The flow's time limits, read at each wait. For tests only (a test shortens them instead of
   * waiting ten minutes); pages should leave them alone.
   */
  static timing = { challengeMs: CHALLENGE_TIMEOUT_MS, walletMs: WALLET_TIMEOUT_MS, qrMarginMs: QR_MARGIN_MS, pollMs: POLL_MS, maxPollMs: MAX_POLL_MS };

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

  /** The shopper's language (attribute `locale`), any BCP 47 tag; unset means the page's language. */
  get locale(): string | null {
    return this.#localeAttr;
  }

  set locale(value: string | null | undefined) {
    this.#localeAttr = value ?? null;
    this.#localeChanged();
  }

  /**
   * What the button pays with (attribute `payment-method`): `card` (the default: the card frame,
   * or the saved card), `alipay` or `paypal` (no card frame; the wallet's page is shown inside
   * the element). An unknown value is ignored with a console warning. Changing it after a
   * failed attempt offers the new method at once.
   */
  get paymentMethod(): PaymentMethodType {
    return this.#method;
  }

  set paymentMethod(value: PaymentMethodType | '' | null | undefined) {
    // Empty is unset, as Vue writes an unset string property.
    const method = value || 'card';
    if (!PAYMENT_METHODS.includes(method)) {
      console.warn(`kassa: payment-method "${method}" ignored (card, alipay or paypal)`);
      return;
    }
    if (method === this.#method) return;
    this.#method = method;
    // The card frame goes (a wallet has none) or comes back new: empty either way.
    this.#complete = false;
    this.#methodChanged();
  }

  /**
   * The card fields' look: `{ theme: 'light' | 'dark' | 'flat', variables, rules }` (see
   * Appearance). Sent to the card frame, which applies only what its whitelist allows. Without a
   * theme, the fields follow the page (light text around the element: `dark`).
   */
  get appearance(): Appearance | undefined {
    return this.#appearance;
  }

  set appearance(value: Appearance | undefined) {
    this.#appearance = value;
    this.#sendInit();
  }

  /**
   * Your own words for any string, per locale: `{ 'zh-CN': { pay: '立即支付 {amount}' } }`. Keys
   * are those of the English table (docs/API.md); `{…}` parts are filled in.
   */
  get messages(): MessageOverrides | undefined {
    return this.#messages;
  }

  set messages(value: MessageOverrides | undefined) {
    this.#messages = value;
    this.requestUpdate();
    this.#sendInit();
  }

  /** The shopper-facing state: loading, ready, processing, challenge, succeeded or failed. */
  get status(): CheckoutStatus {
    return this.#state.status;
  }

  #clientSecret = '';
  #kassaUrl = '';
  #localeAttr: string | null = null;
  #method: PaymentMethodType = 'card';
  #appearance: Appearance | undefined;
  #messages: MessageOverrides | undefined;
  /** The card frame has said `ready` since it was (re)created. */
  #frameReady = false;
  /** `kassa-ready` is fired once per load. */
  #announcedReady = false;
  /** The frame's last word on the form; `pay()` only says "Processing" for a complete one. */
  #complete = false;
  /** The strings last shown, kept while another locale loads. */
  #shown: { locale: Locale; table: Messages } | undefined;
  /** What the current attempt pays with: the card (from the frame's token, or the saved card), or the wallet. */
  #via: Card | Wallet | undefined;
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
    this.#localeChanged();
    window.addEventListener('message', this.#onMessage);
    // First connection, or reattached after a disconnect aborted the run: (re)load the intent.
    if (!this.#run || this.#run.signal.aborted) this.#load();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.#onMessage);
    this.#run?.abort();
  }

  /** Each observed attribute sets the property of its camelCased name (`kassa-url` → `kassaUrl`). */
  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    (this as unknown as Record<string, string | null>)[name.replace(/-./g, (m) => m[1]!.toUpperCase())] = value;
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

  /**
   * Reads the intent again, e.g. after your backend changed its amount: the button shows the new
   * total and the next payment pays it, without reloading the card frame or losing what the
   * shopper typed. Does nothing while a payment is running (its outcome decides).
   */
  async refresh(): Promise<void> {
    await this.#loaded;
    const state = this.#state;
    const api = this.#api;
    const signal = this.#run?.signal;
    if (!api || !signal || this.#attempt || !('intent' in state) || !state.intent) return;
    if (state.status !== 'ready' && state.status !== 'failed') return;
    const result = await api.getIntent(state.intent.id, signal);
    // Anything that happened meanwhile (a payment started, a new secret) wins over this answer.
    if (signal.aborted || this.#state !== state || this.#attempt || result.error) return;
    const intent = result.intent;
    // The same amount: the same payment, keep its idempotency key. Another amount is another
    // payment: #show mints a fresh key, so no earlier try can be replayed for it.
    if (state.status === 'ready' && CONFIRMABLE.includes(intent.status) && intent.amount === state.intent.amount && intent.currency === state.intent.currency) {
      this.#set({ ...state, intent });
    } else this.#show(result);
  }

  protected override render(): TemplateResult {
    const state = this.#state;
    const t = this.#t();
    const challenge = state.status === 'challenge';
    const busy = challenge || state.status === 'processing';
    const intent = 'intent' in state ? state.intent : undefined;
    const wallet = this.#wallet();
    const form =
      state.status === 'loading'
        ? this.#frameSrc !== '' && this.#method === 'card'
        : busy || state.status === 'ready' || (state.status === 'failed' && intent !== undefined && CONFIRMABLE.includes(intent.status));
    // Nothing is said until the shopper's language is here (no English flash); localized from
    // codes at render time, so a locale switch re-translates everything.
    const text = !t
      ? ''
      : state.status === 'failed'
        ? this.#message(t, state.error)
        : state.status === 'ready'
          ? (state.notice?.message ?? '')
          : state.status === 'succeeded' && state.via && intent
            ? t('succeededWith', { amount: this.#amount(intent), card: this.#viaText(t, state.via) })
            : challenge && wallet
              ? t('walletAction', { wallet: this.#viaText(t, wallet) })
              : t(state.status);
    const tone = state.status === 'succeeded' ? 'success' : text && (state.status === 'failed' || state.status === 'ready') ? 'error' : '';
    // One fixed layout for every status, so the card iframe is never re-created (and never
    // loses what the shopper typed) while the status changes around it.
    return html`<div lang=${this.#shown?.locale ?? this.#locale}>
      ${form && t ? this.#renderForm(intent, t, busy, challenge) : nothing}
      ${challenge && t
        ? html`<iframe
            part="challenge"
            class="challenge"
            src=${state.url}
            title=${wallet ? t('walletTitle', { wallet: this.#viaText(t, wallet) }) : t('challengeTitle')}
            @load=${this.#onChallengeLoad}
          ></iframe>`
        : nothing}
      <p part="status" class=${tone} role="status" aria-live="polite" tabindex="-1">${text}</p>
    </div>`;
  }

  // ---- Flow: load ----

  #load(): void {
    const signal = this.#begin();
    this.#bridge = undefined;
    this.#api = undefined;
    this.#frameSrc = '';
    this.#frameReady = false;
    this.#announcedReady = false;
    this.#complete = false;
    this.#via = undefined;
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
    // The shopper's strings load meanwhile; nothing is said (nor any error event sent) before.
    const strings = loadCatalog(this.#locale);
    const secret = this.#clientSecret;
    // Frameworks often set the property just after creating the element: wait for it quietly.
    if (!secret) return;
    const claims = readClientSecret(secret);
    // Failures while loading do not move focus: the shopper did nothing yet, and may be elsewhere.
    const fail = async (error: ApiError, intent?: ClientPaymentIntent) => {
      await strings;
      if (!signal.aborted) this.#fail(error, intent, true);
    };
    if (!claims) return fail({ type: 'invalid_request_error', code: ClientErrorCode.ClientSecretInvalid });
    // Before any frame or request: a forged secret must not choose where the card form comes from.
    const pin = pinnedOrigin(this.#kassaUrl, claims.iss);
    if (pin.error) return fail(pin.error);
    const server = pin.origin;
    if (claims.exp * 1000 <= Date.now()) return fail({ type: 'authentication_error', code: ClientErrorCode.ClientSecretExpired });
    this.#api = new ClientApi(server, secret);
    this.#bridge = new FrameBridge(server, this.#bridgeHost);
    // The card frame needs nothing from the intent: it starts loading now, in parallel with the
    // intent (rendered hidden until both are here), not after it.
    this.#frameSrc = this.#bridge.framedUrl('/frame/card', this.#locale)!;
    this.requestUpdate();
    const [result] = await Promise.all([this.#api.getIntent(claims.sub, signal), strings]);
    if (signal.aborted) return;
    if (result.error) return fail(result.error, result.intent);
    this.#show(result);
  }

  /** An intent read outside a payment attempt (loaded, refreshed): payable, paid, or for the router. */
  #show(result: ApiResult & { intent: ClientPaymentIntent }): void {
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
    // An incomplete form goes to the frame only to have the field pointed out: no "Processing…".
    if (this.#oneClick(intent) || this.#complete) this.#set({ status: 'processing', intent });
    const method = await this.#paymentMethod(intent, signal);
    if ('error' in method) return this.#route({ error: method.error, intent }, signal, intent, 0);
    // The form was valid after all (the frame's last change may not have arrived yet).
    if (this.#state.status === 'ready' && !signal.aborted) this.#set({ status: 'processing', intent });
    const result = await this.#api!.confirm(intent.id, method.body, idempotencyKey, signal);
    return this.#route(result, signal, intent, 0);
  }

  /** What the confirm pays with: the wallet, the saved card's id, or a fresh single-use token from the card frame. */
  async #paymentMethod(intent: ClientPaymentIntent, signal: AbortSignal): Promise<{ body: ConfirmBody } | { error: ApiError }> {
    const method = this.#method;
    const saved = intent.saved_payment_method;
    if (method !== 'card') {
      this.#via = method;
      // Stripe's shape: a wallet made for this payment. Never saved, so never setup_future_usage.
      return { body: { payment_method_data: { type: method } } };
    }
    if (saved && this.#useSavedCard) {
      this.#via = saved;
      return { body: { payment_method: saved.id } };
    }
    const result = await this.#bridge!.tokenize(signal);
    if ('error' in result) return result;
    this.#via = result.tokenized;
    const body: ConfirmBody = { payment_method: result.tokenized.token };
    if (this.#saveCard && intent.can_save_card) body.setup_future_usage = 'on_session';
    return { body };
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
    const page = actionPage(intent.next_action, (url) => bridge.framedUrl(url, this.#locale), KassaCheckout.timing);
    if (!page) return { error: { type: 'api_error', code: ClientErrorCode.UnsupportedAction }, intent };
    this.#set({ status: 'challenge', intent, url: page.url });
    this.dispatchEvent(new KassaActionRequiredEvent({ action: intent.next_action!, paymentIntent: intent }));
    void this.#focusAfterUpdate(() => this.#challengeFrame());
    const answered = await bridge.challengeComplete(intent.id, signal, page.ms);
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
    this.#announceReady();
    return ready;
  }

  /** `kassa-ready`, once per load: the intent is here and the shopper sees fields (or the saved card). */
  #announceReady(): void {
    const state = this.#state;
    if (this.#announcedReady || state.status !== 'ready') return;
    if (!this.#oneClick(state.intent) && !this.#frameReady) return;
    this.#announcedReady = true;
    void this.updateComplete.then(() => this.dispatchEvent(new KassaReadyEvent({ paymentIntent: state.intent })));
  }

  #succeed(intent: ClientPaymentIntent): PayResult {
    this.#set({ status: 'succeeded', intent, via: this.#via });
    this.dispatchEvent(new KassaPaymentSucceededEvent({ paymentIntent: intent }));
    // The pay button is gone; keep keyboard and screen-reader users on the confirmation.
    void this.#focusAfterUpdate(() => this.#statusRegion());
    return { paymentIntent: intent };
  }

  /** `onLoad`: the shopper did nothing yet (and may be elsewhere on the page), so focus stays where it is. */
  #fail(apiError: ApiError, intent?: ClientPaymentIntent, onLoad?: boolean): PayResult {
    const error = this.#error(apiError);
    this.#set({ status: 'failed', error, intent });
    // The token is spent, and the frame forgot the CVC with it. Clear what else the failure says
    // is wrong, keep the rest: an incorrect CVC costs the shopper only the CVC.
    const fields = fieldsToClear(error);
    if (fields.length) this.#bridge?.send({ type: 'reset', fields });
    this.dispatchEvent(new KassaPaymentFailedEvent(intent ? { error, paymentIntent: intent } : { error }));
    // Back to where the shopper can try again (the announcement comes from the live region).
    if (!onLoad) void this.#focusAfterUpdate(() => this.#focusTarget());
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
    const t = this.#t() ?? translator({});
    const message = apiError.type === 'validation_error' && apiError.message ? apiError.message : this.#message(t, apiError);
    return new KassaError({ ...apiError, message }, apiError.cause === undefined ? undefined : { cause: apiError.cause });
  }

  // ---- Rendering ----

  /**
   * The card iframe is kept (hidden) while the intent loads and while the saved card is offered,
   * so it loads early and "Use another card" shows it at once, with nothing lost. A wallet has
   * none: just its button.
   */
  #renderForm(intent: ClientPaymentIntent | undefined, t: Translate, busy: boolean, hidden: boolean): TemplateResult {
    const method = this.#method;
    // A wallet has no card frame, no saved card and nothing to save.
    const cards = method === 'card';
    const saved = cards ? intent?.saved_payment_method : null;
    const useSaved = saved && this.#useSavedCard;
    const amount = intent ? this.#amount(intent) : '';
    const card = saved ? this.#viaText(t, saved) : '';
    const waiting = !intent || useSaved;
    return html`<div ?hidden=${hidden}>
      ${cards
        ? html`<iframe part="frame" class=${waiting ? 'card-frame wait' : 'card-frame'} src=${this.#frameSrc} title=${t('cardFrameTitle')}></iframe>`
        : nothing}
      ${cards && intent?.can_save_card && !useSaved
        ? html`<label part="save"
            ><input type="checkbox" .checked=${this.#saveCard} ?disabled=${busy} @change=${this.#onSaveCardChange} />
            ${t('saveCard')}</label
          >`
        : nothing}
      ${intent
        ? html`<button
            part="button"
            class="pay"
            aria-disabled=${busy}
            @click=${this.#onPayClick}
          >
            ${!cards
              ? t('payWithWallet', { amount, wallet: this.#viaText(t, method) })
              : useSaved
                ? t('payWithCard', { amount, card })
                : t('pay', { amount })}
          </button>`
        : nothing}
      ${saved
        ? html`<button
            part="link"
            class="link"
            ?disabled=${busy}
            @click=${this.#onToggleSavedCard}
          >
            ${useSaved ? t('useAnotherCard') : t('useSavedCard', { card })}
          </button>`
        : nothing}
    </div>`;
  }

  #amount(intent: ClientPaymentIntent): string {
    return formatAmount(intent.amount, intent.currency, this.#locale);
  }

  /**
   * "UnionPay ending 0005", read the same by eye and by screen reader; "Amex", so one line fits a
   * phone; a wallet by its name ("Alipay", "支付宝").
   */
  #viaText(t: Translate, via: Card | Wallet): string {
    return typeof via === 'string'
      ? t(`wallet_${via}`)
      : t('cardEnding', { brand: via.brand === 'amex' ? 'Amex' : brandName(t, via.brand), last4: via.last4 });
  }

  /** Nothing to type: a wallet, or the saved card. */
  #oneClick(intent: ClientPaymentIntent): boolean {
    return this.#method !== 'card' || (Boolean(intent.saved_payment_method) && this.#useSavedCard);
  }

  /**
   * The shopper's sentence for an error. A wallet payment has no card and no bank to speak of: its
   * declines (refused or canceled at the provider, a QR code that expired: the server settles each
   * as a decline) and a page that never answered get the wallet's own words.
   */
  #message(t: Translate, error: ErrorLike): string {
    const wallet = this.#wallet();
    const own = wallet && (error.type === 'card_error' ? 'wallet_declined' : error.code === ClientErrorCode.ChallengeTimeout && 'wallet_timeout');
    return own ? t(own, { wallet: t(`wallet_${wallet}`) }) : errorMessage(t, error);
  }

  /** The wallet of the current attempt (before any, the element's), for the shopper-facing words. */
  #wallet(): Wallet | undefined {
    const via = this.#via ?? this.#method;
    return typeof via === 'string' && via !== 'card' ? via : undefined;
  }

  // ---- Handlers and plumbing ----

  #onPayClick = (): void => {
    void this.pay();
  };

  #onToggleSavedCard = (): void => {
    this.#useSavedCard = !this.#useSavedCard;
    this.#methodChanged();
    void this.#focusAfterUpdate(() => (this.#useSavedCard ? this.#payButton() : this.#focusCardFrame()));
  };

  /** A different payment method is a different attempt: drop any earlier error and key. */
  #methodChanged(): void {
    const state = this.#state;
    if (state.status === 'failed' && state.intent && CONFIRMABLE.includes(state.intent.status)) this.#enterReady(state.intent);
    else this.requestUpdate();
    this.#syncStates();
    // A wallet has no frame to wait for: a load that was waiting for one is ready now.
    this.#announceReady();
  }

  #onChallengeLoad = (event: Event): void => {
    // Only once its page is there: focus given to a frame still loading is lost, and Tab then
    // leaves the frame instead of reaching the bank's buttons. The page focuses its first control.
    (event.target as HTMLIFrameElement).focus();
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
    onFrameReady: () => {
      this.#frameReady = true;
      this.#announceReady();
    },
    onFrameChange: (message: Extract<FrameToHost, { type: 'change' }>) => {
      this.#complete = message.complete;
      this.#syncStates();
      this.dispatchEvent(new KassaChangeEvent({ complete: message.complete, empty: message.empty, brand: message.brand }));
      // Once the shopper fixes the form, the earlier "incomplete" notice is out of date.
      const state = this.#state;
      if (state.status === 'ready' && state.notice) this.#set({ ...state, notice: undefined });
    },
    onSubmit: () => void this.pay(),
  };

  #initData(): { clientSecret: string; locale: Locale; appearance: Appearance; messages: Record<string, string> } {
    // The overrides as strings the frame takes (it checks them again, and drops the init whole if one is not).
    const messages = cleanMessages(this.#messages?.[this.#locale]) as Record<string, string>;
    return { clientSecret: this.#clientSecret, locale: this.#locale, appearance: frameAppearance(this, this.#appearance), messages };
  }

  #sendInit(): void {
    this.#bridge?.send({ type: 'init', ...this.#initData() });
  }

  get #locale(): Locale {
    return resolveLocale(this.#localeAttr, pageLocale());
  }

  /**
   * The translator for the current locale; while a newly chosen locale loads, the previous one's
   * (nothing goes blank); null only before any strings are here.
   */
  #t(): Translate | null {
    const locale = this.#locale;
    const table = loadedCatalog(locale);
    if (table) this.#shown = { locale, table };
    return this.#shown ? translator(this.#shown.table, cleanMessages(this.#messages?.[this.#shown.locale])) : null;
  }

  #localeChanged(): void {
    const locale = this.#locale;
    void loadCatalog(locale).then(() => this.requestUpdate());
    this.requestUpdate();
    // The frame learns the new language without reloading (and losing what was typed).
    this.#sendInit();
  }

  /** `:state(<status>)` for the page's CSS, and `:state(complete)`. */
  #syncStates(): void {
    const states = this.#internals.states;
    const status = this.#state.status;
    for (const s of Object.values(CheckoutStatus)) if (s !== status) states.delete(s);
    states.add(status);
    const intent = 'intent' in this.#state ? this.#state.intent : undefined;
    if (this.#complete || (intent && this.#oneClick(intent))) states.add('complete');
    else states.delete('complete');
    const dark = this.#appearance?.theme ? this.#appearance.theme === 'dark' : this.isConnected && onDarkPage(this);
    if (dark) states.add('dark');
    else states.delete('dark');
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
    this.#syncStates();
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

/**
 * What else a failure makes wrong in the form (the frame already forgot the CVC with the token):
 * an expired card needs a new date; a wrong number, a new card; a decline or an error keeps the
 * card, which the shopper may still want to pay with.
 */
function fieldsToClear(error: KassaError): CardField[] {
  const code = error.decline_code ?? error.code;
  if (code === 'incorrect_number' || code === 'invalid_number') return ['number', 'expiry', 'cvc'];
  if (code === 'expired_card') return ['expiry', 'cvc'];
  return [];
}

function isPaid(intent: ClientPaymentIntent): boolean {
  return intent.status === 'succeeded' || intent.status === 'requires_capture';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return abortable<void>(signal, ms, undefined, () => () => {});
}
