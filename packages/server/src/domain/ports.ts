/**
 * The ports the domain talks through. The domain imports these interfaces and nothing
 * concrete: providers live in adapters/, persistence in store/, the vault in vault/.
 */
import { inspect } from 'node:util';
import type { CardBrand, Currency, DeclineCode } from '@kassa/core';
import type { CARD_TOKEN_TYPES, WALLET_TYPES } from '@kassa/core/wire';
import type { AttemptOperation, PaymentMethodRecord } from './model.js';

/**
 * A secret value (card number, CVC) that cannot be logged or serialized by accident:
 * JSON, string conversion and util.inspect all print "[redacted]". Call reveal() at the
 * one place that needs the value.
 */
export class Sensitive {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

// ---- Payment provider ----

/**
 * The flows of one payment method at a provider. Each is checked before a call that needs it —
 * a flow an adapter does not declare is refused with a clear error, never tried:
 *   - `manualCapture`: a hold, captured later (capture_method=manual; checked at routing);
 *   - `partialCapture`: capturing less than the hold (the rest released);
 *   - `multipleCapture`: capturing part of the hold and leaving the rest for later captures
 *     (Stripe's `final_capture=false`), the last one releasing what is left;
 *   - `cancel`: releasing a hold;
 *   - `refund`: giving captured money back, in full or in part, several times;
 *   - `savedMethods`: charging the method again later without the shopper (a card saved for a
 *     customer: setup_future_usage, off_session);
 *   - `nextActions`: what it may ask the shopper to do (`three_d_secure`, `redirect`, `qr_code`,
 *     `await_notification`); a flow Kassa chooses (Alipay's QR code on a desktop or cashier by
 *     redirect) goes only to a provider that declares it;
 *   - `currencies`: the currencies it charges the method in; absent: every currency Kassa charges.
 */
export interface MethodCapabilities {
  manualCapture: boolean;
  partialCapture: boolean;
  multipleCapture: boolean;
  cancel: boolean;
  refund: boolean;
  savedMethods: boolean;
  nextActions: readonly ProviderAction['type'][];
  currencies?: readonly Currency[] | undefined;
}

/** What a provider can do: its flows (for every method it takes, unless `methods` says otherwise) and what it can do as a whole. */
export interface ProviderCapabilities extends MethodCapabilities {
  /**
   * Can say what happened to a call (crash recovery): by Kassa's idempotency key, or by Kassa's
   * reference and the provider's own id. Without it, recovery never guesses: the intent waits
   * as `unknown` for the client's retry (the same call under the same key) or reconciliation.
   */
  lookup: boolean;
  /** How shoppers may pay through it (`card`: a card from Kassa's vault, forwarded). Checked before a payment goes to it. */
  paymentMethods: readonly ProviderMethodType[];
  /** A method whose flows differ from the provider's (Adyen: no hold for a wallet token in some currency): its own, over the provider's. */
  methods?: { readonly [M in ProviderMethodType]?: Partial<MethodCapabilities> | undefined } | undefined;
  /** Verifies and reads its own notifications (`parseNotification`): one inbound route per provider. */
  notifications: boolean;
  /**
   * Its verified notification *is* its record of what became of an authorization, and it has no
   * API to ask instead (Adyen's AUTHORISATION). Without `lookup`, recovery still calls `lookup`
   * for an unresolved authorization when stored notifications about the payment exist, passing
   * them as `LookupRequest.evidence`; the adapter answers from them or throws (still unknown).
   */
  notificationEvidence?: boolean | undefined;
}

/** The flows of `method` at a provider, in `currency` if given; null when it does not take the method (or the currency) at all. */
export function methodCapabilities(capabilities: ProviderCapabilities, method: ProviderMethodType, currency?: Currency): MethodCapabilities | null {
  if (!capabilities.paymentMethods.includes(method)) return null;
  const { manualCapture, partialCapture, multipleCapture, cancel, refund, savedMethods, nextActions, currencies } = capabilities;
  const flows: MethodCapabilities = { manualCapture, partialCapture, multipleCapture, cancel, refund, savedMethods, nextActions, currencies, ...capabilities.methods?.[method] };
  if (currency !== undefined && flows.currencies && !flows.currencies.includes(currency)) return null;
  return flows;
}

/**
 * A provider call that failed without an answer, as the adapter classifies it — the one
 * judgment only the adapter can make, because only it knows its provider's API:
 *
 *   - `definite`: the provider did not act — the connection was refused or never sent the
 *     request, the provider refused the request itself (a 4xx that is not a decline), or a 5xx
 *     the provider documents as side-effect free. Safe to retry, or to fail over: nothing moved.
 *   - `ambiguous`: it may have acted — a timeout or reset after the request was sent, a 5xx
 *     that may follow processing, an answer that cannot be read. Never retried elsewhere; the
 *     intent goes `unknown` until the provider is asked.
 *
 * Anything else an adapter throws counts as ambiguous. `rawCode` is the provider's own code for
 * the failure, kept for the operator (never shown as Kassa's).
 */
export class ProviderFailure extends Error {
  constructor(
    readonly certainty: 'definite' | 'ambiguous',
    message: string,
    readonly rawCode?: string,
  ) {
    super(message);
    this.name = 'ProviderFailure';
  }
}

/** What recovery asks: what became of the call made under `idempotencyKey`. */
export interface LookupRequest extends ProviderCallOptions {
  idempotencyKey: string;
  operation: AttemptOperation;
  /** Kassa's reference for the payment (the intent id), as sent with the authorization. */
  reference: string;
  /** The provider's own id for the payment, once an answer named it (absent for a lost authorization). */
  providerRef?: string | undefined;
  /** The call as it was made: amount, currency and (for an authorization) whether it captured. */
  amount: number;
  currency: Currency;
  capture: boolean;
  /** When Kassa made the call (ms since the epoch): a provider keeps idempotency keys for a limited time. */
  madeAt: number;
  /**
   * For a capture: as in its CaptureRequest (whether it released the rest, what earlier captures
   * took, what it left). `capturedBefore` is given for a cancel too: a void after captures leaves
   * the payment at what they took.
   */
  final?: boolean | undefined;
  capturedBefore?: number | undefined;
  remaining?: number | undefined;
  /**
   * For a provider with `capabilities.notificationEvidence`: what its verified notifications about
   * this payment said (each one's `evidence`, as the adapter wrote it when it verified it), oldest
   * first. Given only for an authorization whose answer was lost and only when it can be about
   * this call alone (the intent made no other authorization); the adapter alone reads it.
   */
  evidence?: readonly NotificationEvidence[] | undefined;
}

/** A stored verified notification handed back to its adapter (`LookupRequest.evidence`). */
export interface NotificationEvidence {
  kind: string;
  /** The adapter's own record of what the verified notification said (ProviderNotification.evidence). */
  evidence: string;
  receivedAt: number;
}

/**
 * How the shopper pays, as the provider is asked to charge it:
 *   - `card`: a card from Kassa's vault, forwarded (the PAN leaves Kassa only here);
 *   - `provider_token`: a card the provider already holds, by its own token or payment method id
 *     (a Stripe `pm_…`/`tok_…` made by Stripe.js): only the provider that made it can charge it;
 *   - `apple_pay`, `google_pay`: the device wallet's payment token, as the shopper's device gave
 *     it (encrypted for the provider that decrypts it);
 *   - `alipay`: `qr_code` for a code the shopper scans with the Alipay app (a desktop checkout:
 *     `alipay.trade.precreate`), `redirect` for Alipay's cashier page (a phone, or a merchant
 *     redirecting the whole page: `alipay.trade.wap.pay`);
 *   - `paypal`: the shopper approves at PayPal (a redirect), then the order is captured or authorized.
 * Tokens are `Sensitive`: never logged, sealed at rest, handed to the adapter only for the call.
 */
export type ProviderPaymentMethod =
  | { type: 'card'; card: ProviderCard }
  | { type: 'provider_token'; token: Sensitive }
  | { type: 'apple_pay' | 'google_pay'; token: Sensitive }
  | { type: 'alipay'; flow: 'qr_code' | 'redirect' }
  | { type: 'paypal' };
/** The wallets are core's list (what the API takes in `payment_method_data[type]`). */
export type WalletType = (typeof WALLET_TYPES)[number];
/** What a payment is, as merchants see it (`payment_method_type`, `payment_method_types`). */
export type PaymentMethodType = 'card' | WalletType;
/** How a card payment's card arrives as a token rather than from the vault (still `card` to merchants). */
export type CardTokenType = (typeof CARD_TOKEN_TYPES)[number];
/** What a provider is asked to take: the methods, with a card's tokens told apart (each provider takes its own). */
export type ProviderMethodType = PaymentMethodType | CardTokenType;
// Every method a provider may be asked to take has its shape in the union, and the reverse (a compile-time check).
const _everyMethodShaped: [ProviderMethodType, ProviderPaymentMethod['type']] extends [ProviderPaymentMethod['type'], ProviderMethodType] ? true : never = true;
void _everyMethodShaped;

export interface ProviderCard {
  number: Sensitive;
  /** Absent for a saved card (one-click) or after a restart dropped it from memory. */
  cvc: Sensitive | undefined;
  expMonth: number;
  expYear: number;
}

/**
 * Every provider call carries a signal that aborts at Kassa's deadline for it: an adapter passes
 * it to its HTTP client so a hung connection is torn down. An answer that comes after the
 * deadline is not used — the outcome is unknown and recovery asks the provider (by key) later.
 */
export interface ProviderCallOptions {
  signal?: AbortSignal;
}

export interface AuthorizeRequest extends ProviderCallOptions {
  idempotencyKey: string;
  amount: number;
  currency: Currency;
  /** Capture at once (capture_method automatic) or only place a hold. */
  capture: boolean;
  method: ProviderPaymentMethod;
  /** Kassa's reference (the payment intent id), for the provider's records. */
  reference: string;
  /** The shopper is not there: the provider must not ask for a challenge (it declines `authentication_required`). */
  offSession: boolean;
}

/** The card of a card payment; a definite failure for any other method (the domain checks capabilities first). */
export function cardOf(request: AuthorizeRequest): ProviderCard {
  if (request.method.type !== 'card') throw new ProviderFailure('definite', `this provider does not take ${request.method.type} payments`, 'unsupported_payment_method');
  return request.method.card;
}

export type AuthorizeOutcome =
  | { status: 'authorized'; reference: string; amount: number }
  | { status: 'captured'; reference: string; amount: number }
  | {
      status: 'requires_action';
      reference: string;
      action: ProviderAction;
    }
  /**
   * The provider took the payment and answers later, by notification or when asked again
   * (`completeAction` without details): a bank's own review, an asynchronous method, a capture
   * the provider holds as PENDING. Nothing is booked; the intent waits as `processing` and is
   * never guessed for. `reference`: the provider's id to ask about.
   */
  | { status: 'pending'; reference: string }
  /**
   * `reference`: the provider's id for the refused payment, where it gives one (Adyen's
   * pspReference), so a later notification about it is known to be about this call.
   */
  | ({ status: 'declined'; reference?: string | undefined } & Refusal);

/**
 * Why a provider said no: one code of core's taxonomy (what merchants and shoppers see) and
 * the provider's own code beside it (`rawCode`, e.g. Adyen's refusal reason or Stripe's
 * decline code), kept for the operator and reconciliation.
 */
export interface Refusal {
  declineCode: DeclineCode;
  message?: string | undefined;
  rawCode?: string | undefined;
}

/**
 * What the shopper must do before the provider can answer, as data (the widget or the merchant's
 * page acts on it):
 *   - `three_d_secure`: `url` is the challenge to frame; `redirectUrl` the same as a whole page
 *     that returns to the intent's `return_url`;
 *   - `redirect`: send the shopper's browser to `url` (GET, or POST with `fields`), e.g. PayPal's
 *     approval page or Alipay's mobile cashier; the provider sends them back to the return URL it
 *     was given;
 *   - `qr_code`: show `data` as a QR code to scan (Alipay on a desktop) until `expiresAt` (ms
 *     since the epoch); the answer comes by the provider's notification or a poll.
 */
export type ProviderAction =
  | { type: 'three_d_secure'; url: string; redirectUrl?: string | undefined }
  | { type: 'redirect'; url: string; method?: 'GET' | undefined }
  /** The same as a form the shopper's browser POSTs (`fields`, e.g. Adyen's MD/PaReq, Alipay's page.pay form): Kassa's page submits it. */
  | { type: 'redirect'; url: string; method: 'POST'; fields: Record<string, string> }
  | { type: 'qr_code'; data: string; expiresAt: number }
  /**
   * The shopper approves somewhere Kassa cannot show (their banking or wallet app: a decoupled
   * authentication, an app-to-app approval) until `expiresAt` (ms since the epoch); the answer
   * comes by the provider's notification or when Kassa asks again (`completeAction`).
   */
  | { type: 'await_notification'; expiresAt: number };

/**
 * `reference` on a capture or refund: the provider's own id for that call (Adyen's modification
 * pspReference, Stripe's Refund id), stored with the attempt, so a later notification that the
 * call failed (`ModificationFailure.providerRef`) names exactly which one.
 */
export type CaptureOutcome =
  /** `warning`: the capture happened, and something after it did not (Adyen's release of the rest): logged for the operator. */
  | { status: 'captured'; amount: number; reference?: string | undefined; warning?: string | undefined }
  | ({ status: 'failed' } & Refusal);

export type CancelOutcome = { status: 'canceled' } | ({ status: 'failed' } & Refusal);

export type RefundOutcome = { status: 'succeeded'; amount: number; reference?: string | undefined } | ({ status: 'failed' } & Refusal);

export type ProviderOutcome =
  | { operation: 'authorize' | 'complete_action'; outcome: AuthorizeOutcome }
  | { operation: 'capture'; outcome: CaptureOutcome }
  | { operation: 'cancel'; outcome: CancelOutcome }
  | { operation: 'refund'; outcome: RefundOutcome };

/**
 * A call on a payment the provider already has (`reference`: the provider's id for it), with
 * everything about the call an adapter may need to send, so no adapter has to remember
 * payments in memory (gone at a restart): the amount of this call (capture, refund: what to
 * take or give back; cancel: what is held) and the payment's currency.
 */
export interface PaymentCallRequest extends ProviderCallOptions {
  idempotencyKey: string;
  reference: string;
  amount: number;
  currency: Currency;
}

/** A capture of `amount` from the payment's hold. */
export interface CaptureRequest extends PaymentCallRequest {
  /**
   * True: the last capture, releasing what it does not take. False (only to a provider that
   * declares `multipleCapture`): the rest of the hold stays for later captures.
   */
  final: boolean;
  /**
   * What earlier captures of this hold took (0 for the first), so a provider that keeps one
   * running total per payment can tell whether this capture happened (its lookup).
   */
  capturedBefore: number;
  /** What of the hold is left after this capture: what a final one releases, kept by one that is not. */
  remaining: number;
}

/** After the shopper's action (3-D Secure): the payment as it was asked for, and what the shopper's return brought. */
export interface CompleteActionRequest extends PaymentCallRequest {
  /** Capture at once, as the authorization asked. */
  capture: boolean;
  /** The provider's return payload (e.g. Adyen's `redirectResult`) when the shopper came back by redirect; absent for the framed flow. */
  details?: Record<string, string> | undefined;
}

/**
 * What a provider's notification says, once verified on its raw body. For most providers it is a
 * trigger, not the truth: Kassa stores it, acknowledges it, then asks the provider
 * (`completeAction` for a payment waiting on the shopper, `lookup` for an unknown outcome) and
 * lets the status table decide — so a replayed, forged-but-valid-looking or out-of-order
 * notification never moves an intent backwards.
 *
 * A provider that cannot be asked (Adyen) says more, each part read by its adapter alone:
 *   - `evidence`: for a notification that is the provider's record of truth about an
 *     authorization, the adapter's own record of it, stored with the notification so that one
 *     received before a crash (or while the call was still in flight) still settles the call
 *     later. The domain hands it back to `lookup` only for an authorization that is unresolved
 *     (`unknown`, or pending with its maker gone), and settles the answer as any lookup's, through
 *     the status table.
 *   - `failed`: a capture or refund the provider accepted (which Kassa booked on that acceptance)
 *     failed afterwards. Kassa does not unbook it: it records a discrepancy for reconciliation.
 */
export interface ProviderNotification {
  /** The provider's id for the notification (dedupe); absent if it has none. */
  id?: string | undefined;
  /** The payment it is about: Kassa's reference (the intent id), the provider's id, or both. */
  reference?: string | undefined;
  providerRef?: string | undefined;
  /** The provider's own event name and status, for the operator (e.g. `TRADE_SUCCESS`, `AUTHORISATION:false`). */
  kind: string;
  /** Opaque to the domain: see above and `LookupRequest.evidence`. At most 4 KB. */
  evidence?: string | undefined;
  failed?: ModificationFailure | undefined;
}

/**
 * A capture, refund or void the provider accepted and then did not carry out (Adyen's
 * CAPTURE_FAILED, REFUND_FAILED, a CANCELLATION with success false; a Stripe Refund gone
 * `failed`). `amount` is what the provider names (for a void, the payment's).
 */
export interface ModificationFailure extends Refusal {
  operation: 'capture' | 'refund' | 'cancel';
  amount: number;
  currency: Currency;
  /** The idempotency key the call was made under, where the notification carries it (Stripe's refund metadata): names the call exactly. */
  key?: string | undefined;
  /**
   * The provider's id for the call that failed (Adyen's modification pspReference, Stripe's
   * Refund id), as its capture or refund outcome gave it: names the call exactly. A refund
   * failure that names no call Kassa made (neither this nor `key`: a refund made in the
   * provider's dashboard) undoes nothing — matching by amount could undo one that happened.
   */
  providerRef?: string | undefined;
}

/** A notification whose signature or shape did not check out: answered 400, never applied. */
export class NotificationRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationRejected';
  }
}

export interface PaymentProvider {
  readonly name: string;
  /** The adapter's family (`sandbox`, `stripe`, `adyen`, `paypal`, `alipay`): names its inbound routes. */
  readonly type?: string | undefined;
  readonly capabilities: ProviderCapabilities;
  authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome>;
  /**
   * After the shopper finished a customer action (3-D Secure): hold or charge, or refuse. Also
   * how Kassa asks again about a payment still waiting (a wallet's shopper, an `await_notification`
   * approval, a `pending` answer): then without `details`, possibly many times, each under a key of
   * its own — the call must only read or finish the provider's payment, never start another.
   */
  completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome>;
  capture(request: CaptureRequest): Promise<CaptureOutcome>;
  cancel(request: PaymentCallRequest): Promise<CancelOutcome>;
  /** Gives `amount` of a captured authorization back to the card. */
  refund(request: PaymentCallRequest): Promise<RefundOutcome>;
  /**
   * What the provider did for this call, or null if it is certain it never saw it (then the
   * call is made again under the same key). Not sure (search lag, an outage): throw — the
   * intent stays `unknown` and is asked again later.
   */
  lookup(request: LookupRequest): Promise<ProviderOutcome | null>;
  /**
   * Verifies a notification on its raw body and headers and says what it is about (several for
   * a batch, as Adyen sends); throws NotificationRejected if it is not genuine. `ack` is the
   * body the provider expects in answer (Adyen `[accepted]`, Alipay `success`). Declared by
   * `capabilities.notifications`.
   */
  parseNotification?(raw: Buffer, headers: Readonly<Record<string, string | undefined>>): Promise<{ notifications: ProviderNotification[]; ack: string }>;
}

/** What a provider is chosen by, for a new payment. */
export interface ProviderChoice {
  merchantId: string;
  livemode: boolean;
  currency: Currency;
  amount: number;
  paymentMethod: ProviderMethodType;
  /** For a card: its brand and first eight digits (routing by brand, BIN range or the BIN's country). */
  cardBrand?: CardBrand | undefined;
  bin?: string | undefined;
  /** The issuing country, where the directory's BIN table knows it (set by the directory, not the caller). */
  cardCountry?: string | undefined;
  /** Kassa's reference (the intent id): weighted routing is decided by it, so a retry goes where the first try went. */
  reference: string;
}

/**
 * The providers a server is configured with. `choose` picks the one a new payment goes to
 * (live mode never gets the sandbox issuer; null: none configured for it); `byName` finds the
 * one an intent's earlier calls went to, by the name recorded on it.
 */
export interface ProviderDirectory {
  choose(choice: ProviderChoice): PaymentProvider | null;
  /**
   * Every provider eligible for the payment, in the order to try them: the first is the choice,
   * the rest are where it fails over to after a *definite* failure (nothing happened). Each one
   * takes the payment method and currency. Empty: none configured for it. `rule`: the name of
   * the routing rule that decided (null: the mode's default order).
   */
  route(choice: ProviderChoice): { providers: PaymentProvider[]; rule: string | null };
  byName(name: string): PaymentProvider | undefined;
  /** Every configured provider (an inbound route finds the ones of its type here). */
  all(): PaymentProvider[];
  /** Whether a mode has any provider at all (none: live mode before one is configured). */
  hasAny(livemode: boolean): boolean;
  /**
   * Awaited before `route`, `choose`, `byName` or `all` are trusted: the directory may hold
   * merchants' own provider accounts, which another instance sharing the store may have added,
   * changed or deactivated since (optional: a directory of fixed providers has nothing to load).
   * No merchant: every merchant's (a provider's notification names none).
   */
  prepare?(merchantId?: string): Promise<void>;
}

// ---- Card vault ----

export interface CardSummaryRecord {
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface OpenedCard extends CardSummaryRecord {
  vaultCardId: string;
  number: Sensitive;
  fingerprint: string;
}

export interface CardVault {
  /** Encrypts and stores a validated card; the CVC is kept in memory for this token only. */
  tokenize(
    merchantId: string,
    card: { digits: string; brand: CardBrand; expMonth: number; expYear: number; cvc: string },
  ): Promise<{ id: string; created: number; expiresAt: number }>;
  /** Encrypts and stores a card as a payment method of no customer (Stripe's test payment methods). */
  createPaymentMethod(
    merchantId: string,
    card: { digits: string; brand: CardBrand; expMonth: number; expYear: number },
    livemode: boolean,
  ): Promise<PaymentMethodRecord>;
  /** Decrypts the card behind a vault id (a token's or a saved payment method's). */
  open(vaultCardId: string, merchantId: string): Promise<OpenedCard>;
  /** Hands out the CVC held for a token and forgets it: a CVC is used at most once. */
  takeCvc(tokenId: string): Sensitive | undefined;
  /**
   * Seals a card's token (a provider's, a device wallet's) for one intent — what the intent keeps,
   * so a call made again after a crash sends the same token under the same key — and opens it.
   * Bound to the intent and merchant: a sealed token copied elsewhere does not open.
   */
  sealMethodToken(merchantId: string, intentId: string, token: string): string;
  openMethodToken(merchantId: string, intentId: string, sealed: string): Sensitive;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

// ---- Who is working on what ----

/**
 * Work tokens: every request and every recovery run takes one (`<instance id>.<n>`) and
 * writes it as the owner of the idempotency key or attempt it works on. Another request may
 * take over that work only once the owner is not working any more: for this instance, when
 * the token was ended (the request finished or gave up); for another instance, when its
 * lease ran out or it was found dead at start. A lease, not a timestamp on the lock: a slow
 * request of a live instance is never taken over.
 */
export interface Liveness {
  /** This process's instance id. */
  readonly instanceId: string;
  /** A new token for one unit of work, counted as running until `end`. */
  begin(): string;
  end(token: string): void;
  /** Whether the holder of `token` may still be working (the token is running here, or its instance holds a current lease). */
  isWorking(token: string): Promise<boolean>;
}

// ---- Fault injection ----

/** The steps around which a process may die: each commit and each provider call, before and after. */
export type FaultStep =
  | 'create'
  | 'object'
  | 'attempt'
  | 'claim'
  | 'outcome'
  | 'response'
  | `provider.${'authorize' | 'complete_action' | 'capture' | 'cancel' | 'refund'}`;
export type FaultPoint = `${'before' | 'after'}:${FaultStep}`;

/**
 * Crash hooks for the fault-injection tests: a test process arms a point and the server
 * process kills itself there (SIGKILL), exactly as a power cut would stop it. No-ops in
 * production.
 */
export interface FaultPoints {
  reach(point: FaultPoint): void;
}

export const NO_FAULTS: FaultPoints = { reach: () => undefined };
