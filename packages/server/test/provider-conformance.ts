/**
 * The provider port's contract, as one suite every adapter runs (the sandbox now; each real
 * provider's adapter against its fake later): what the payment use case relies on when it
 * retries, recovers and settles. Only what an adapter declares in its capabilities is asked of
 * it; what it declares must hold.
 *
 *   - a call repeated with its idempotency key is answered as the first time, and acts once;
 *   - `lookup` (if declared) says what was done under a key, and null for a key never seen;
 *   - manual, partial and multiple capture, cancel and refunds behave as declared, refunds never
 *     exceed what was captured, and a refusal is an answer (`failed` with a decline code), not a throw;
 *   - a decline names a code of core's one taxonomy;
 *   - a provider that declares notifications reads a genuine one (from its fake) as being about the
 *     payment, refuses it with one byte changed, and names it by the same id each time (the dedupe
 *     key); one that does not declare them has no `parseNotification`.
 *
 * A provider that decides modifications after answering them (Adyen answers a capture, cancel or
 * refund `received` and says by notification whether it happened) gives `laterVerdict`: then a
 * refused modification may be answered as accepted at once, as long as the provider's later word
 * on it is `failed` — and every accepted one must later be `succeeded`. Nothing is waived: only
 * *when* the refusal is known moves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeclineCode } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { NotificationRejected, ProviderFailure, Sensitive } from '../src/domain/ports.js';
import type { AuthorizeOutcome, AuthorizeRequest, CardTokenType, LookupRequest, PaymentProvider, ProviderCard, ProviderPaymentMethod } from '../src/domain/ports.js';
import { methodCapabilities } from '../src/domain/ports.js';

/** An answer that waits for the shopper (a wallet's approval page or QR code, a bank's challenge). */
export type ActionOutcome = Extract<AuthorizeOutcome, { status: 'requires_action' }>;

export interface ConformanceSubject {
  provider: PaymentProvider;
  /** A card the provider approves (with room for several small payments); a card provider's subject. */
  approved?: ProviderCard;
  /** A card the provider declines for insufficient funds; a card provider's subject. */
  insufficientFunds?: ProviderCard;
  /** A card the provider challenges (3-D Secure), where it declares a next action for cards; its answer must be one it declares. */
  challenged?: ProviderCard;
  /**
   * A wallet provider's subject: the method its payments use (then `approve` and `refuse` are
   * required, and the card fields are not used). A wallet payment is authorize (→ requires_action)
   * then the shopper acts, then completeAction with what the shopper's return brought.
   */
  wallet?: {
    method: Exclude<ProviderPaymentMethod, { type: 'card' }>;
    /** The shopper approves (the fake's approval page, a scan and pay); answers the return URL's query, if any. */
    approve: (outcome: ActionOutcome) => Promise<Record<string, string> | undefined>;
    /** The shopper's payment ends refused (a declined capture, a code left to expire); completeAction then declines. */
    refuse: (outcome: ActionOutcome) => Promise<Record<string, string> | undefined>;
  };
  currency: Currency;
  /** What the issuer holds and has taken on a card, where the fake can tell (money moved once?). */
  account?: (card: ProviderCard) => { balance: number; held: number } | null;
  /**
   * For a provider that decides modifications asynchronously: its final word on the latest
   * modification of the payment `reference` (from its notifications), undefined if none came.
   */
  laterVerdict?: (reference: string) => Promise<'succeeded' | 'failed' | undefined>;
  /**
   * What a retry of an authorization without the CVC (dropped at a restart) gets: the first answer
   * (`replays`, the default), or — for a provider whose idempotency compares the whole request, so
   * a different body under the same key is refused — an ambiguous ProviderFailure: never a second
   * charge, never a claim that nothing happened.
   */
  cvcLessRetry?: 'replays' | 'ambiguous';
  /**
   * Required when the provider declares notifications: a genuine notification about a payment the
   * suite just made (the request as made and the provider's id for it, as the answer named it) —
   * the raw body and headers exactly as the provider's fake sent them (or would send them).
   */
  notification?: (payment: { request: AuthorizeRequest; providerRef: string }) => Promise<{ raw: Buffer; headers: Record<string, string> }>;
  /**
   * Required for each card token type the provider declares (`provider_token`, `apple_pay`,
   * `google_pay`): a fresh token for a card it approves, as the provider's own client (Stripe.js,
   * the shopper's device) would make one.
   */
  tokens?: { [T in CardTokenType]?: () => Promise<string> };
  close(): Promise<void>;
}

const CARD_TOKEN_TYPES: readonly CardTokenType[] = ['provider_token', 'apple_pay', 'google_pay'];

/**
 * `raw` with one byte of `inside` (its first occurrence) changed to another of its kind (a digit
 * for a digit, a letter for a letter), so the body still parses: only the signature can tell.
 */
export function oneByteChanged(raw: Buffer, inside: string): Buffer {
  const at = raw.indexOf(inside);
  assert.ok(at >= 0, `the notification carries ${inside}`);
  const copy = Buffer.from(raw);
  for (let i = at + inside.length - 1; i >= at; i--) {
    const c = copy[i]!;
    const digit = c >= 0x30 && c <= 0x39;
    const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
    if (!digit && !letter) continue;
    copy[i] = digit ? 0x30 + ((c - 0x30 + 1) % 10) : (c & 0x20) + 0x41 + (((c | 0x20) - 0x61 + 1) % 26);
    return copy;
  }
  return assert.fail(`no letter or digit in ${inside}`);
}

const TAXONOMY = new Set<string>(Object.values(DeclineCode));

function cardOf(s: ConformanceSubject, which: 'approved' | 'insufficientFunds'): ProviderCard {
  const card = s[which];
  assert.ok(card, `a card provider's subject gives the ${which} card`);
  return card;
}

/** The same card payment without its CVC (dropped at a restart). */
/**
 * A capture or refund answer without the provider's id for the call, which adapters give where
 * the provider has one (Adyen's modification pspReference, Stripe's Refund id): checked to be a
 * non-empty string, then left out so the rest can be compared as a whole.
 */
export function withoutReference<T extends { status: string; reference?: string | undefined }>(outcome: T): Omit<T, 'reference'> {
  const { reference, ...rest } = outcome;
  if (reference !== undefined) assert.ok(typeof reference === 'string' && reference.length > 0, 'the provider id, where given, is a non-empty string');
  return rest;
}

export function withoutCvcOf(r: AuthorizeRequest): AuthorizeRequest {
  assert.equal(r.method.type, 'card');
  return r.method.type === 'card' ? { ...r, method: { type: 'card', card: { ...r.method.card, cvc: undefined } } } : r;
}

export function providerConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  describe(`provider port conformance: ${name}`, () => {
    const request = (s: ConformanceSubject, o: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
      idempotencyKey: randomUUID(),
      amount: 1200,
      currency: s.currency,
      capture: true,
      method: s.wallet?.method ?? { type: 'card', card: cardOf(s, 'approved') },
      reference: `pi_conformance_${randomUUID().slice(0, 8)}`,
      offSession: false,
      ...o,
    });
    /**
     * A payment to its end, as the use case makes it: authorize; for a wallet, the shopper approves
     * (or refuses) and completeAction (under its own key) settles it.
     */
    async function pay(s: ConformanceSubject, r: AuthorizeRequest, shopper: 'approve' | 'refuse' = 'approve'): Promise<AuthorizeOutcome & { completeKey?: string }> {
      const first = await s.provider.authorize(r);
      if (!s.wallet) return first;
      assert.equal(first.status, 'requires_action', `a ${s.wallet.method.type} payment waits for the shopper`);
      if (first.status !== 'requires_action') return first;
      declared(s, r, first);
      assert.deepEqual(await s.provider.authorize(r), first, 'an authorization repeated with its key: the same action');
      const details = await s.wallet[shopper](first);
      const completeKey = `${r.idempotencyKey}:complete`;
      const done = await s.provider.completeAction({ idempotencyKey: completeKey, reference: first.reference, amount: r.amount, currency: r.currency, capture: r.capture, details });
      return { ...done, completeKey };
    }
    /** An action the adapter answers is one it declares for the method and currency (the domain checks before a call, not after). */
    const declared = (s: ConformanceSubject, r: AuthorizeRequest, o: ActionOutcome): void => {
      const flows = methodCapabilities(s.provider.capabilities, r.method.type, r.currency);
      assert.ok(flows, `${r.method.type} in ${r.currency} is declared`);
      assert.ok(flows.nextActions.includes(o.action.type), `answered a ${o.action.type} it does not declare for ${r.method.type} (declares: ${flows.nextActions.join(', ') || 'none'})`);
    };
    const without = <T extends { completeKey?: string }>(o: T): Omit<T, 'completeKey'> => {
      const { completeKey: _, ...rest } = o;
      return rest;
    };
    const reference = (o: AuthorizeOutcome): string => {
      assert.ok(o.status === 'authorized' || o.status === 'captured', `expected an authorization, got ${JSON.stringify(o)}`);
      return o.reference;
    };
    /** A modification that must not happen: refused now, or accepted now and failed by the provider later. */
    async function refused(s: ConformanceSubject, outcome: { status: string; declineCode?: string }, ref: string, what: string): Promise<void> {
      if (outcome.status === 'failed') {
        assert.ok(outcome.declineCode && TAXONOMY.has(outcome.declineCode), outcome.declineCode);
        return;
      }
      assert.ok(s.laterVerdict, `${what}: refused (a provider answering at once must say failed)`);
      assert.equal(await s.laterVerdict(ref), 'failed', `${what}: the provider's later word is a refusal`);
    }
    /** A modification answered as done is done, if the provider says so later. */
    async function succeeded(s: ConformanceSubject, ref: string, what: string): Promise<void> {
      if (s.laterVerdict) assert.equal(await s.laterVerdict(ref), 'succeeded', `${what}: the provider's later word`);
    }
    async function within(fn: (s: ConformanceSubject) => Promise<void>): Promise<void> {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    }

    it('a challenged card waits for the shopper with a next action the adapter declares for cards; one that declares none never answers one', () =>
      within(async (s) => {
        if (s.wallet) return; // a wallet's action is checked on every payment (pay)
        const flows = methodCapabilities(s.provider.capabilities, 'card', s.currency);
        if (!flows || flows.nextActions.length === 0) {
          assert.equal(s.challenged, undefined, 'a subject with a challenged card declares a next action for cards');
          const o = await s.provider.authorize(request(s));
          assert.notEqual(o.status, 'requires_action');
          return;
        }
        assert.ok(s.challenged, 'a card provider that declares next actions gives its challenged card');
        const r = request(s, { method: { type: 'card', card: s.challenged } });
        const o = await s.provider.authorize(r);
        assert.equal(o.status, 'requires_action', JSON.stringify(o));
        if (o.status === 'requires_action') declared(s, r, o);
      }));

    it('an authorization repeated with its key is answered as the first, and charges once', () =>
      within(async (s) => {
        if (s.wallet) {
          const r = request(s);
          const done = await pay(s, r);
          assert.equal(done.status, 'captured', JSON.stringify(done));
          const first = await s.provider.authorize(r);
          assert.equal(first.status, 'requires_action');
          const again = await s.provider.completeAction({
            idempotencyKey: done.completeKey ?? '',
            reference: first.status === 'requires_action' ? first.reference : '',
            amount: r.amount,
            currency: r.currency,
            capture: true,
          });
          assert.deepEqual(again, without(done), 'the completion repeated with its key: the same answer, nothing taken twice');
          return;
        }
        const approved = cardOf(s, 'approved');
        await s.provider.authorize(request(s, { amount: 100 })); // the issuer knows the card from now on
        const before = s.account?.(approved) ?? null;
        const r = request(s);
        const first = await s.provider.authorize(r);
        assert.equal(first.status, 'captured');
        assert.deepEqual(await s.provider.authorize(r), first);
        const withoutCvc = withoutCvcOf(r);
        if (s.cvcLessRetry === 'ambiguous') {
          await assert.rejects(
            s.provider.authorize(withoutCvc),
            (e: unknown) => e instanceof ProviderFailure && e.certainty === 'ambiguous',
            'a retry without the CVC (lost at a restart) is not a new payment, and not a definite failure',
          );
        } else {
          assert.deepEqual(await s.provider.authorize(withoutCvc), first, 'a retry without the CVC (lost at a restart) too');
        }
        if (s.account) {
          assert.ok(before, 'the fake reports the account of a card it has charged');
          assert.equal(before.balance - (s.account(approved)?.balance ?? NaN), 1200, 'taken once');
        }
      }));

    it('lookup: what was done under a key, null for a key never used — and a provider that declares no lookup never claims "never saw it"', async () => {
      await within(async (s) => {
        const never = request(s);
        const made = { currency: s.currency, madeAt: Date.now() };
        if (!s.provider.capabilities.lookup) {
          // Recovery does not ask it; if asked anyway, it must not answer null (which would let the call be made twice).
          const held = await s.provider.authorize(never);
          const asked = s.provider.lookup({ idempotencyKey: never.idempotencyKey, operation: 'authorize', reference: never.reference, amount: never.amount, capture: true, ...made });
          await assert.rejects(asked, ProviderFailure, `an authorization it made (${held.status}) is not reported as never seen`);
          return;
        }
        assert.equal(
          await s.provider.lookup({ idempotencyKey: never.idempotencyKey, operation: 'authorize', reference: never.reference, amount: never.amount, capture: true, ...made }),
          null,
        );
        if (s.wallet) {
          const r = request(s);
          const first = await s.provider.authorize(r);
          const asked = { idempotencyKey: r.idempotencyKey, operation: 'authorize', reference: r.reference, amount: r.amount, capture: true, ...made } as const;
          const found = await s.provider.lookup(asked);
          assert.equal(found?.operation, 'authorize', 'a wallet payment waiting for the shopper is found');
          assert.deepEqual(
            found?.operation === 'authorize' && found.outcome.status === 'requires_action' ? [found.outcome.status, found.outcome.reference] : found,
            ['requires_action', first.status === 'requires_action' ? first.reference : '?'],
          );
          const done = await pay(s, r);
          const completed = await s.provider.lookup({ ...asked, idempotencyKey: done.completeKey ?? '', operation: 'complete_action', providerRef: first.status === 'requires_action' ? first.reference : undefined });
          assert.deepEqual(completed, { operation: 'complete_action', outcome: without(done) }, 'the completion, by its key');
          return;
        }
        const r = request(s, { capture: false });
        const held = await s.provider.authorize(r);
        const asked = { idempotencyKey: r.idempotencyKey, operation: 'authorize', reference: r.reference, amount: r.amount, capture: false, ...made } as const;
        assert.deepEqual(await s.provider.lookup(asked), { operation: 'authorize', outcome: held }, 'by key and reference alone: the answer was lost');
        const key = randomUUID();
        const captured = await s.provider.capture({ final: true, capturedBefore: 0, remaining: r.amount - 1200, idempotencyKey: key, reference: reference(held), amount: 1200, currency: s.currency });
        assert.deepEqual(
          await s.provider.lookup({ idempotencyKey: key, operation: 'capture', reference: r.reference, providerRef: reference(held), amount: 1200, capture: true, ...made }),
          { operation: 'capture', outcome: captured },
        );
      });
    });

    it('manual capture holds, then takes the hold (or part of it, if declared) once', async () => {
      await within(async (s) => {
        if (!s.provider.capabilities.manualCapture) {
          // Undeclared: refused loudly (the use case never asks; an adapter asked anyway must not charge).
          await assert.rejects(s.provider.authorize(request(s, { capture: false })), ProviderFailure, 'a hold without manual capture');
          await assert.rejects(
            s.provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: 'none', amount: 100, currency: s.currency }),
            ProviderFailure,
            'a capture without manual capture',
          );
          return;
        }
        const held = await pay(s, request(s, { capture: false, amount: 3000 }));
        assert.deepEqual([held.status, held.status === 'authorized' && held.amount], ['authorized', 3000]);
        if (s.account && s.approved) assert.ok((s.account(s.approved)?.held ?? 0) >= 3000, 'a hold is placed');
        const amount = s.provider.capabilities.partialCapture ? 1800 : 3000;
        const capture = { final: true, capturedBefore: 0, remaining: 3000 - amount, idempotencyKey: randomUUID(), reference: reference(held), amount, currency: s.currency };
        const first = await s.provider.capture(capture);
        assert.deepEqual(withoutReference(first), { status: 'captured', amount });
        await succeeded(s, reference(held), 'the capture');
        assert.deepEqual(await s.provider.capture(capture), first, 'repeated with its key: the same answer');
        const again = await s.provider.capture({ ...capture, idempotencyKey: randomUUID() });
        await refused(s, again, reference(held), 'a second capture under another key');
      });
    });

    it('multiple capture, where declared: parts of one hold, each once and found by lookup, the last releasing the rest', async () => {
      await within(async (s) => {
        const flows = s.wallet ? methodCapabilities(s.provider.capabilities, s.wallet.method.type) : s.provider.capabilities;
        // Undeclared, the use case refuses final_capture=false before any call (capture-cancel tests): nothing to ask the adapter.
        if (!flows?.manualCapture || !flows.multipleCapture) return;
        assert.ok(flows.partialCapture, 'a provider that captures a hold several times captures part of it');
        const start = s.account && s.approved ? s.account(s.approved) : null;
        const held = await pay(s, request(s, { capture: false, amount: 3000 }));
        const ref = reference(held);
        const made = { reference: ref, currency: s.currency, madeAt: Date.now() };
        const first = { final: false, capturedBefore: 0, remaining: 2000, idempotencyKey: randomUUID(), reference: ref, amount: 1000, currency: s.currency };
        const taken = await s.provider.capture(first);
        assert.deepEqual(withoutReference(taken), { status: 'captured', amount: 1000 });
        assert.deepEqual(await s.provider.capture(first), taken, 'repeated with its key: the same answer');
        const second = { final: true, capturedBefore: 1000, remaining: 500, idempotencyKey: randomUUID(), reference: ref, amount: 1500, currency: s.currency };
        if (s.provider.capabilities.lookup) {
          const ask = (c: typeof first, o: { capturedBefore: number }) =>
            s.provider.lookup({ idempotencyKey: c.idempotencyKey, operation: 'capture', providerRef: ref, amount: c.amount, capture: false, final: c.final, remaining: c.remaining, ...made, ...o });
          assert.deepEqual(await ask(first, { capturedBefore: 0 }), { operation: 'capture', outcome: taken }, 'the first capture, found');
          assert.equal(await ask(second, { capturedBefore: 1000 }), null, 'the second, not made yet');
        }
        const last = await s.provider.capture(second);
        assert.deepEqual(withoutReference(last), { status: 'captured', amount: 1500 });
        await succeeded(s, ref, 'the last capture');
        const late = await s.provider.capture({ ...second, idempotencyKey: randomUUID(), capturedBefore: 2500, remaining: 0, amount: 100 });
        await refused(s, late, ref, 'a capture after the last');
        if (start && s.approved) {
          // Taken: the two captures; held: nothing more (the last released the 500 left).
          assert.deepEqual(s.account?.(s.approved), { balance: start.balance - 2500, held: start.held });
        }
      });
    });

    it('cancel releases a hold (or a wallet payment still waiting for the shopper), once', async () => {
      await within(async (s) => {
        if (!s.provider.capabilities.cancel) {
          await assert.rejects(
            s.provider.cancel({ idempotencyKey: randomUUID(), reference: 'none', amount: 100, currency: s.currency }),
            ProviderFailure,
            'a cancel it does not declare',
          );
          return;
        }
        if (s.wallet) {
          const r = request(s, { amount: 2500 });
          const waiting = await s.provider.authorize(r);
          assert.equal(waiting.status, 'requires_action');
          const ref = waiting.status === 'requires_action' ? waiting.reference : '';
          const cancel = { idempotencyKey: randomUUID(), reference: ref, amount: 2500, currency: s.currency };
          assert.deepEqual(await s.provider.cancel(cancel), { status: 'canceled' });
          assert.deepEqual(await s.provider.cancel(cancel), { status: 'canceled' }, 'repeated with its key');
          const after = await s.provider.completeAction({ idempotencyKey: randomUUID(), reference: ref, amount: 2500, currency: s.currency, capture: true });
          assert.equal(after.status, 'declined', 'a canceled payment cannot be completed');
          return;
        }
        if (!s.provider.capabilities.manualCapture) return;
        const approved = cardOf(s, 'approved');
        const before = s.account?.(approved)?.held ?? 0;
        const held = await s.provider.authorize(request(s, { capture: false, amount: 2500 }));
        const cancel = { idempotencyKey: randomUUID(), reference: reference(held), amount: 2500, currency: s.currency };
        assert.deepEqual(await s.provider.cancel(cancel), { status: 'canceled' });
        await succeeded(s, reference(held), 'the cancel');
        assert.deepEqual(await s.provider.cancel(cancel), { status: 'canceled' });
        if (s.account) assert.equal(s.account(approved)?.held, before, 'the hold is gone');
        const late = await s.provider.capture({ final: true, capturedBefore: 0, remaining: 0, idempotencyKey: randomUUID(), reference: reference(held), amount: 2500, currency: s.currency });
        await refused(s, late, reference(held), 'a capture of a released hold');
      });
    });

    it('refunds: in parts, each once, never more than was captured; a refusal is an answer', async () => {
      await within(async (s) => {
        if (!s.provider.capabilities.refund) {
          await assert.rejects(
            s.provider.refund({ idempotencyKey: randomUUID(), reference: 'none', amount: 100, currency: s.currency }),
            ProviderFailure,
            'a refund it does not declare',
          );
          return;
        }
        const paid = await pay(s, request(s, { amount: 2000 }));
        const ref = reference(paid);
        const part = { idempotencyKey: randomUUID(), reference: ref, amount: 1500, currency: s.currency };
        const refunded = await s.provider.refund(part);
        assert.deepEqual(withoutReference(refunded), { status: 'succeeded', amount: 1500 });
        await succeeded(s, ref, 'the first refund');
        assert.deepEqual(await s.provider.refund(part), refunded, 'repeated: the same refund (the same provider id, where given)');
        const over = await s.provider.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 600, currency: s.currency });
        await refused(s, over, ref, 'a refund of more than is left (only 500)');
        const rest = await s.provider.refund({ idempotencyKey: randomUUID(), reference: ref, amount: 500, currency: s.currency });
        assert.deepEqual(withoutReference(rest), { status: 'succeeded', amount: 500 });
        if (rest.status === 'succeeded' && refunded.status === 'succeeded' && rest.reference !== undefined) assert.notEqual(rest.reference, refunded.reference, 'another refund: another provider id');
        await succeeded(s, ref, 'the refund of what is left');
      });
    });

    it("a decline is an answer with a code of core's taxonomy, and moves no money", () =>
      within(async (s) => {
        if (s.wallet) {
          const declined = await pay(s, request(s), 'refuse');
          assert.equal(declined.status, 'declined', JSON.stringify(declined));
          if (declined.status === 'declined') assert.ok(TAXONOMY.has(declined.declineCode), declined.declineCode);
          return;
        }
        const insufficientFunds = cardOf(s, 'insufficientFunds');
        const r = request(s, { method: { type: 'card', card: insufficientFunds } });
        const declined = await s.provider.authorize(r);
        assert.equal(declined.status, 'declined');
        if (declined.status === 'declined') {
          assert.equal(declined.declineCode, 'insufficient_funds');
          assert.ok(TAXONOMY.has(declined.declineCode));
        }
        assert.deepEqual(await s.provider.authorize(r), declined);
        if (s.account) assert.equal(s.account(insufficientFunds)?.held ?? 0, 0);
      }));

    it("notifications, if declared: a genuine one is about the payment, one byte changed is refused, and it is named by the same id each time", () =>
      within(async (s) => {
        const parse = s.provider.parseNotification?.bind(s.provider);
        if (!s.provider.capabilities.notifications) {
          assert.equal(parse, undefined, 'no parseNotification without the capability: an inbound route refuses, never guesses');
          return;
        }
        assert.ok(parse, 'notifications declared: parseNotification');
        assert.ok(s.notification, "notifications declared: the subject gives a genuine one from the provider's fake");
        const r = request(s);
        const paid = await pay(s, r);
        const providerRef = reference(paid);
        const { raw, headers } = await s.notification({ request: r, providerRef });

        const first = await parse(raw, headers);
        assert.ok(first.notifications.length > 0, 'a notification about a payment is not dropped');
        for (const n of first.notifications) {
          assert.ok(n.reference !== undefined || n.providerRef !== undefined, `${n.kind}: names a payment`);
          if (n.reference !== undefined) assert.equal(n.reference, r.reference, `${n.kind}: Kassa's reference`);
          else assert.equal(n.providerRef, providerRef, `${n.kind}: the provider's id of the payment`);
        }
        assert.ok(
          first.notifications.some((n) => n.reference === r.reference || n.providerRef === providerRef),
          'about this payment',
        );
        assert.equal(typeof first.ack, 'string');

        // The payment's id is what a forger would change (to aim it at another payment): the signature must cover it.
        const inside = raw.includes(providerRef) ? providerRef : r.reference;
        await assert.rejects(parse(oneByteChanged(raw, inside), headers), NotificationRejected, `one byte of ${inside} changed`);

        const again = await parse(raw, headers);
        assert.deepEqual(again, first, 'the same body read twice: the same notifications');
        for (const n of again.notifications) assert.ok(typeof n.id === 'string' && n.id !== '', `${n.kind}: an id to store a replay once by`);
      }));

    cardTokenCases(make, request);

    it('a payment method it does not declare fails loudly, definitely (nothing was sent)', () =>
      within(async (s) => {
        const card: ProviderCard = { number: new Sensitive('4242424242424242'), cvc: new Sensitive('123'), expMonth: 12, expYear: 2040 };
        const token = new Sensitive('tok_not_declared');
        const others: ProviderPaymentMethod[] = [
          { type: 'card', card },
          { type: 'paypal' },
          { type: 'alipay', flow: 'qr_code' },
          { type: 'provider_token', token },
          { type: 'apple_pay', token },
          { type: 'google_pay', token },
        ];
        const undeclared = others.filter((m) => !s.provider.capabilities.paymentMethods.includes(m.type));
        assert.ok(undeclared.length > 0 && s.provider.capabilities.paymentMethods.length > 0);
        for (const method of undeclared) {
          await assert.rejects(
            s.provider.authorize(request(s, { method })),
            (e: unknown) => e instanceof ProviderFailure && e.certainty === 'definite',
            method.type,
          );
        }
      }));
  });
}

/** The card-token cases, for a provider that declares token types (its subject gives a token maker for each). */
function cardTokenCases(make: () => Promise<ConformanceSubject>, request: (s: ConformanceSubject, o?: Partial<AuthorizeRequest>) => AuthorizeRequest): void {
  it('declares its flows for methods it takes only, and a token maker for each card token type it takes', async () => {
    const s = await make();
    try {
      const caps = s.provider.capabilities;
      for (const method of Object.keys(caps.methods ?? {})) assert.ok((caps.paymentMethods as readonly string[]).includes(method), `flows declared for ${method}, a method it does not take`);
      for (const type of CARD_TOKEN_TYPES) {
        if (caps.paymentMethods.includes(type)) assert.ok(s.tokens?.[type], `${type} is declared: the subject makes tokens for it`);
        assert.equal(methodCapabilities(caps, type) === null, !caps.paymentMethods.includes(type), type);
      }
    } finally {
      await s.close();
    }
  });
  for (const type of CARD_TOKEN_TYPES) {
    it(`${type} (where declared): a fresh token pays once; its key replays the answer; the token spent is refused definitely`, async () => {
      const s = await make();
      try {
        const mint = s.tokens?.[type];
        if (!s.provider.capabilities.paymentMethods.includes(type) || !mint) return;
        const method = { type, token: new Sensitive(await mint()) } as ProviderPaymentMethod;
        const r = request(s, { method, capture: true });
        const first = await s.provider.authorize(r);
        assert.equal(first.status, 'captured', JSON.stringify(first));
        assert.deepEqual(await s.provider.authorize(r), first, 'the same key: the same answer, acting once');
        await assert.rejects(
          s.provider.authorize({ ...r, idempotencyKey: randomUUID() }),
          (e: unknown) => e instanceof ProviderFailure && e.certainty === 'definite',
          'a token is good for one payment: a second under a new key is refused, nothing charged',
        );
        const flows = methodCapabilities(s.provider.capabilities, type, s.currency);
        assert.ok(flows, `${type} in ${s.currency}`);
        assert.equal(flows.savedMethods, false, 'a token is not a card Kassa can charge again later');
      } finally {
        await s.close();
      }
    });
  }
}

/** How recovery would ask a provider about an authorization (`r`, as it was made): the adapter tests' lookup. */
export const lookupOf = (r: AuthorizeRequest, o: Partial<LookupRequest> = {}): LookupRequest => ({
  idempotencyKey: r.idempotencyKey,
  operation: 'authorize',
  reference: r.reference,
  amount: r.amount,
  currency: r.currency,
  capture: r.capture,
  madeAt: Date.now(),
  ...o,
});
