/**
 * Model-based property test of the money model against the real server and its databases.
 *
 * fast-check generates short sequences of commands — create, confirm (every sandbox card, by a
 * widget token, a server-side token or a Stripe test id), 3-D Secure pass or fail, capture
 * (full, partial, too much), cancel, refund (full, partial, too much), the same request sent
 * two or three times at once with one Idempotency-Key, and the clock moved on — and runs them
 * over HTTP against one Kassa server (a fresh merchant per sequence). A model predicts every
 * answer; after each step the invariants are checked against what Kassa and the sandbox issuer
 * wrote, not against Kassa's own answers:
 *
 * - every ledger transaction sums to zero per currency, and is complete under its header;
 * - per payment, the ledger's accounts are what the model says (held = capturable, receivable =
 *   captured − refunded), and the issuer's own holds and refunds imply that same ledger;
 * - captured ≤ authorized, refunded ≤ captured (charges and refunds tables, and the model);
 * - the issuer's card accounts (balance, holds) moved exactly as the model says;
 * - the balance (GET /v1/balance) is Σ of the ledger's merchant_payable, split into available
 *   and pending as the settlement rule says, both never negative;
 * - the API's view of the payment agrees with the model.
 * At the end of each sequence: every payment, charge and refund over the API, and the balance
 * transactions summed by status against the balance.
 *
 * KASSA_PROPERTY_RUNS sequences (default 1000); KASSA_PROPERTY_SEED and KASSA_PROPERTY_PATH replay a failure.
 */
import { after, before, describe, it } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { currencyExponent, shopperDeclineCode } from '@kassa/core';
import type { Currency } from '@kassa/core';
import { CURRENCIES } from '@kassa/core/currencies';
import { SANDBOX_CARDS, STRIPE_TEST_IDS, behaviorFor } from '../src/adapters/sandbox/cards.js';
import { SETTLEMENT_DELAY_MS } from '../src/domain/balance.js';
import { challengeUrl, boot } from './helpers.js';
import type { Harness, Reply } from './helpers.js';
import { expectedLedger, issuerView, ledgerView, openReadOnly } from './crash.js';

const RUNS = Number(process.env.KASSA_PROPERTY_RUNS ?? 1000);
/** To replay a failure: the seed and path fast-check printed. */
const REPLAY = process.env.KASSA_PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.KASSA_PROPERTY_SEED), path: process.env.KASSA_PROPERTY_PATH };
const HOUR = 60 * 60 * 1000;
/** Clock moves are multiples of 12 hours: far from any boundary the few real seconds of a run could cross. */
const CLOCK_STEP = 12 * HOUR;
/** A sequence moves the clock at most this far (authorizations live 7 days; none outlives its sequence). */
const MAX_ELAPSED = 4 * 24 * HOUR;
const CARD_NUMBERS = Object.keys(SANDBOX_CARDS);

// ---- the model ----

interface Account {
  balance: number;
  held: number;
}

interface ModelIntent {
  id: string;
  amount: number;
  manual: boolean;
  status: string;
  capturable: number;
  received: number;
  refunded: number;
  /** The card of its authorization (or pending challenge). */
  card: string | null;
  /** Clock offset when its funds were captured: the balance rule counts from there. */
  capturedAt: number | null;
  /** The challenge page of a pending 3-D Secure authentication. */
  challenge: string | null;
  /** Charges its authorizations made (a failed authentication makes none). */
  charges: number;
  refunds: number;
  clientSecret: string;
  /** The clock offset the client secret was minted at (it lives 15 minutes). */
  secretAt: number;
}

interface Model {
  currency: Currency;
  intents: ModelIntent[];
  /** The issuer's accounts of each card in this currency; null until the issuer opens one. */
  accounts: Map<string, Account | null>;
  /** How far this sequence moved the clock. */
  elapsed: number;
}

interface Real {
  h: Harness;
  key: string;
  clock: { offset: number };
  kassa: Database.Database;
  sandbox: Database.Database;
}

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation'];
const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'];

/**
 * The payment a command acts on. Mostly one in a state where the command does something
 * (`fits`); a stray target (one in eight) is any payment, so wrong-state answers are tested too.
 */
function pick(m: Readonly<Model>, t: Target, fits: (i: ModelIntent) => boolean): ModelIntent {
  const from = t.stray ? m.intents : m.intents.filter(fits);
  return from[t.index % from.length]!;
}

/** Whether a command has a payment to act on: any for a stray target, else one that fits (else fast-check skips it). */
function canPick(m: Readonly<Model>, t: Target, fits: (i: ModelIntent) => boolean): boolean {
  return t.stray ? m.intents.length > 0 : m.intents.some(fits);
}

const confirmable = (i: ModelIntent) => CONFIRMABLE.includes(i.status);
const capturable = (i: ModelIntent) => i.status === 'requires_capture';
const cancelable = (i: ModelIntent) => CANCELABLE.includes(i.status);
const refundable = (i: ModelIntent) => i.received > i.refunded;

interface Target {
  index: number;
  stray: boolean;
}

/** An amount in the sequence's currency from tenths of a major unit: 0.1 to 300 (the ¥200 card sees both outcomes). */
function amountOf(tenths: number, currency: Currency): number {
  return Math.max(1, Math.round((tenths * 10 ** currencyExponent(currency)) / 10));
}

/** The issuer's account for a card, opened (with its starting balance) the first time the issuer places a hold with it. */
function openAccount(m: Model, card: string): Account {
  let account = m.accounts.get(card) ?? null;
  if (!account) {
    const behavior = behaviorFor(card);
    const major = 'balanceMajor' in behavior ? behavior.balanceMajor : 0;
    account = { balance: major * 10 ** currencyExponent(m.currency), held: 0 };
    m.accounts.set(card, account);
  }
  return account;
}

/** The issuer's decision on an authorization with funds: held or charged if they cover it, else insufficient_funds. */
function authorizeWithFunds(m: Model, intent: ModelIntent, card: string, now: number): 'approved' | 'insufficient_funds' {
  const account = openAccount(m, card);
  if (account.balance - account.held < intent.amount) return 'insufficient_funds';
  intent.card = card;
  intent.charges += 1;
  if (intent.manual) {
    account.held += intent.amount;
    intent.status = 'requires_capture';
    intent.capturable = intent.amount;
  } else {
    account.balance -= intent.amount;
    intent.status = 'succeeded';
    intent.received = intent.amount;
    intent.capturedAt = now;
  }
  return 'approved';
}

// ---- talking to the server ----

async function send(r: Real, method: string, path: string, body: unknown, key: string): Promise<Reply> {
  return r.h.v1(method, path, body, { key: r.key, idem: key });
}

async function freshSecret(r: Real, intent: ModelIntent): Promise<string> {
  if (intent.secretAt !== r.clock.offset) {
    const got = await r.h.v1('GET', `/payment_intents/${intent.id}`, undefined, { key: r.key });
    intent.clientSecret = got.body.client_secret as string;
    intent.secretAt = r.clock.offset;
  }
  return intent.clientSecret;
}

/** A card token made in the card frame, expiring three years after the server's clock. */
async function tokenFor(r: Real, intent: ModelIntent, card: string): Promise<string> {
  const year = new Date(Date.now() + r.clock.offset).getUTCFullYear() + 3;
  const t = await r.h.tokenize(await freshSecret(r, intent), { number: card, exp_month: 12, exp_year: year, cvc: card.startsWith('37') ? '1234' : '123' });
  assert.equal(t.status, 200, `tokenize: ${JSON.stringify(t.body)}`);
  return t.body.id as string;
}

/** Stripe's test ids for a sandbox card (`pm_card_…`, `tok_…`). */
const STRIPE_IDS_OF = new Map<string, string[]>();
for (const [id, number] of Object.entries(STRIPE_TEST_IDS)) STRIPE_IDS_OF.set(number, [...(STRIPE_IDS_OF.get(number) ?? []), id]);

/** What the runs did, by command and outcome: printed at the end, so a run that exercised nothing shows. */
const seen = new Map<string, number>();
function saw(what: string): void {
  seen.set(what, (seen.get(what) ?? 0) + 1);
}

let keys = 0;
const newKey = () => `prop-${process.pid}-${++keys}`;

/**
 * Sends one request `copies` times at once with one Idempotency-Key. Every answer that is not a
 * 409 (still in flight) must be the same answer; a retry afterwards replays it. Returns it.
 */
async function once(copies: number, request: (key: string) => Promise<Reply>): Promise<Reply> {
  const key = newKey();
  const replies = await Promise.all(Array.from({ length: copies }, () => request(key)));
  const final = replies.filter((r) => r.status !== 409);
  assert.ok(final.length > 0, `every copy answered 409: ${JSON.stringify(replies.map((r) => r.body))}`);
  for (const r of replies) if (r.status === 409) assert.equal(r.body.error.code, 'idempotency_key_in_use');
  const first = final[0]!;
  for (const r of final.slice(1)) assert.deepEqual([r.status, r.body], [first.status, first.body], 'copies of one request get one answer');
  if (copies > 1) {
    const replay = await request(key);
    assert.deepEqual([replay.status, replay.body], [first.status, first.body], 'the retry replays the answer');
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  }
  return first;
}

function expectError(reply: Reply, status: number, code: string, label: string) {
  saw(`${label.split(' ')[0]}: ${code}`);
  assert.equal(reply.status, status, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.error.code, code, `${label}: ${JSON.stringify(reply.body)}`);
}

// ---- commands ----

type Cmd = fc.AsyncCommand<Model, Real>;

class Create implements Cmd {
  constructor(
    readonly tenths: number,
    readonly manual: boolean,
    readonly copies: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const amount = amountOf(this.tenths, m.currency);
    const reply = await once(this.copies, (key) =>
      send(r, 'POST', '/payment_intents', { amount, currency: m.currency, capture_method: this.manual ? 'manual' : 'automatic' }, key),
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual([reply.body.amount, reply.body.currency, reply.body.status], [amount, m.currency, 'requires_payment_method']);
    saw(`create${this.copies > 1 ? ' (duplicates)' : ''}`);
    m.intents.push({
      id: reply.body.id,
      amount,
      manual: this.manual,
      status: 'requires_payment_method',
      capturable: 0,
      received: 0,
      refunded: 0,
      card: null,
      capturedAt: null,
      challenge: null,
      charges: 0,
      refunds: 0,
      clientSecret: reply.body.client_secret,
      secretAt: r.clock.offset,
    });
    await verify(m, r, m.intents.at(-1), reply);
  }
  toString = () => `create(${this.tenths / 10} major, ${this.manual ? 'manual' : 'automatic'}${this.copies > 1 ? `, ×${this.copies}` : ''})`;
}

type Source = 'widget' | 'server_token' | 'stripe_id';

class Confirm implements Cmd {
  constructor(
    readonly target: Target,
    readonly card: string,
    readonly source: Source,
    readonly copies: number,
  ) {}
  check = (m: Readonly<Model>) => canPick(m, this.target, confirmable);
  async run(m: Model, r: Real): Promise<void> {
    const intent = pick(m, this.target, confirmable);
    const ids = STRIPE_IDS_OF.get(this.card) ?? [];
    const stripeId = ids[this.target.index % Math.max(ids.length, 1)];
    const source: Source = this.source === 'stripe_id' && !stripeId ? 'server_token' : this.source;
    const paymentMethod = source === 'stripe_id' ? stripeId! : await tokenFor(r, intent, this.card);
    const secret = source === 'widget' ? await freshSecret(r, intent) : null;
    const reply = await once(this.copies, (key) =>
      secret
        ? r.h.client('POST', `/payment_intents/${intent.id}/confirm`, secret, { payment_method: paymentMethod }, { idem: key })
        : send(r, 'POST', `/payment_intents/${intent.id}/confirm`, { payment_method: paymentMethod }, key),
    );
    const label = `confirm ${intent.id} (${intent.status}) with ${this.card}`;
    if (!CONFIRMABLE.includes(intent.status)) {
      expectError(reply, 400, 'payment_intent_unexpected_state', label);
    } else {
      const behavior = behaviorFor(this.card);
      const declined = (code: string) => {
        saw(`confirm: declined ${code}`);
        assert.equal(reply.status, 402, `${label}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error.decline_code, code, label);
        assert.equal(reply.body.error.payment_intent.status, 'requires_payment_method', label);
        intent.status = 'requires_payment_method';
      };
      switch (behavior.kind) {
        case 'approve':
          if (authorizeWithFunds(m, intent, this.card, r.clock.offset) === 'approved') {
            assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
            assert.equal(reply.body.status, intent.status, label);
            saw(`confirm: ${intent.status} (${source}${this.copies > 1 ? ', duplicates' : ''})`);
          } else {
            intent.charges += 1;
            declined('insufficient_funds');
          }
          break;
        case 'decline':
          intent.charges += 1;
          // The widget's answer tells a shopper no more than a plain decline for fraud or a reported card.
          declined(secret ? shopperDeclineCode(behavior.declineCode) : behavior.declineCode);
          break;
        case 'processing_error':
          intent.charges += 1;
          declined('processing_error');
          break;
        case 'three_d_secure':
          assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
          assert.equal(reply.body.status, 'requires_action', label);
          assert.equal(reply.body.next_action.type, 'three_d_secure', label);
          intent.status = 'requires_action';
          intent.card = this.card;
          intent.challenge = reply.body.next_action.three_d_secure.url;
          saw('confirm: requires_action');
          break;
        case 'pending':
          // The issuer answers later: nothing held or charged until it is asked again (not in this model).
          assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
          assert.deepEqual([reply.body.status, reply.body.next_action], ['processing', null], label);
          intent.status = 'processing';
          intent.card = this.card;
          saw('confirm: processing');
          break;
        case 'approve_in_app':
          assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
          assert.equal(reply.body.status, 'requires_action', label);
          assert.equal(reply.body.next_action.type, 'await_notification', label);
          intent.status = 'requires_action';
          intent.card = this.card;
          saw('confirm: await_notification');
          break;
        default: {
          const unreachable: never = behavior;
          throw new Error(`card behaviour ${JSON.stringify(unreachable)}`);
        }
      }
    }
    await verify(m, r, intent, reply);
  }
  toString = () => `confirm(${show(this.target)}, ${this.card}, ${this.source}${this.copies > 1 ? `, ×${this.copies}` : ''})`;
}

/** The shopper answers a pending 3-D Secure challenge on the issuer's page. */
class Authenticate implements Cmd {
  constructor(
    readonly target: number,
    readonly pass: boolean,
  ) {}
  // A 3-D Secure challenge only (an in-app approval has no page of the issuer's to answer).
  check = (m: Readonly<Model>) => m.intents.some((i) => i.status === 'requires_action' && i.challenge !== null);
  async run(m: Model, r: Real): Promise<void> {
    const waiting = m.intents.filter((i) => i.status === 'requires_action' && i.challenge !== null);
    const intent = waiting[this.target % waiting.length]!;
    const url = challengeUrl(intent.challenge!);
    const html = await (await fetch(url)).text();
    const token = /<input type="hidden" name="token" value="([^"]+)">/.exec(html)?.[1];
    assert.ok(token, 'the challenge page has its form token');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', origin: new URL(url).origin },
      body: `result=${this.pass ? 'pass' : 'fail'}&token=${encodeURIComponent(token)}`,
    });
    assert.equal(res.status, 200, await res.text());
    intent.challenge = null;
    saw(`authenticate: ${this.pass ? 'pass' : 'fail'}`);
    if (!this.pass || authorizeWithFunds(m, intent, intent.card!, r.clock.offset) === 'insufficient_funds') {
      // A failed authentication never reached the issuer: no charge. Insufficient funds did.
      if (this.pass) intent.charges += 1;
      intent.status = 'requires_payment_method';
    }
    await verify(m, r, intent);
  }
  toString = () => `authenticate(#${this.target}, ${this.pass ? 'pass' : 'fail'})`;
}

class Capture implements Cmd {
  /** `percent` of what is capturable; absent: all of it (no amount_to_capture); over 100: too much. */
  constructor(
    readonly target: Target,
    readonly percent: number | null,
    readonly copies: number,
  ) {}
  check = (m: Readonly<Model>) => canPick(m, this.target, capturable);
  async run(m: Model, r: Real): Promise<void> {
    const intent = pick(m, this.target, capturable);
    const amount = this.percent === null ? undefined : Math.max(1, Math.floor((intent.capturable * this.percent) / 100));
    const reply = await once(this.copies, (key) => send(r, 'POST', `/payment_intents/${intent.id}/capture`, amount === undefined ? {} : { amount_to_capture: amount }, key));
    const label = `capture ${amount ?? 'all'} of ${intent.id} (${intent.status}, ${intent.capturable})`;
    if (intent.status !== 'requires_capture') expectError(reply, 400, 'payment_intent_unexpected_state', label);
    else if (amount !== undefined && amount > intent.capturable) expectError(reply, 400, 'amount_too_large', label);
    else {
      const captured = amount ?? intent.capturable;
      assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
      const account = openAccount(m, intent.card!);
      account.held -= intent.capturable;
      account.balance -= captured;
      Object.assign(intent, { status: 'succeeded', received: captured, capturable: 0, capturedAt: r.clock.offset });
      saw(`capture: ${captured < intent.amount ? 'partial' : 'full'}${this.copies > 1 ? ' (duplicates)' : ''}`);
    }
    await verify(m, r, intent, reply);
  }
  toString = () => `capture(${show(this.target)}, ${this.percent === null ? 'all' : `${this.percent}%`}${this.copies > 1 ? `, ×${this.copies}` : ''})`;
}

class Cancel implements Cmd {
  constructor(
    readonly target: Target,
    readonly copies: number,
  ) {}
  check = (m: Readonly<Model>) => canPick(m, this.target, cancelable);
  async run(m: Model, r: Real): Promise<void> {
    const intent = pick(m, this.target, cancelable);
    const reply = await once(this.copies, (key) => send(r, 'POST', `/payment_intents/${intent.id}/cancel`, {}, key));
    const label = `cancel ${intent.id} (${intent.status})`;
    if (!CANCELABLE.includes(intent.status)) expectError(reply, 400, 'payment_intent_unexpected_state', label);
    else {
      assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.status, 'canceled', label);
      saw(`cancel: from ${intent.status}${this.copies > 1 ? ' (duplicates)' : ''}`);
      if (intent.status === 'requires_capture') openAccount(m, intent.card!).held -= intent.capturable;
      Object.assign(intent, { status: 'canceled', capturable: 0, challenge: null });
    }
    await verify(m, r, intent, reply);
  }
  toString = () => `cancel(${show(this.target)}${this.copies > 1 ? `, ×${this.copies}` : ''})`;
}

class Refund implements Cmd {
  /** `percent` of what is left; absent: all that is left (no amount); over 100: too much. */
  constructor(
    readonly target: Target,
    readonly percent: number | null,
    readonly copies: number,
  ) {}
  check = (m: Readonly<Model>) => canPick(m, this.target, refundable);
  async run(m: Model, r: Real): Promise<void> {
    const intent = pick(m, this.target, refundable);
    const left = intent.received - intent.refunded;
    const amount = this.percent === null ? undefined : Math.max(1, Math.floor((Math.max(left, 1) * this.percent) / 100));
    const reply = await once(this.copies, (key) => send(r, 'POST', '/refunds', { payment_intent: intent.id, ...(amount === undefined ? {} : { amount }) }, key));
    const label = `refund ${amount ?? 'all'} of ${intent.id} (${intent.status}, ${left} left)`;
    if (intent.received === 0) expectError(reply, 400, 'charge_not_refundable', label);
    else if (left === 0) expectError(reply, 400, 'charge_already_refunded', label);
    else if (amount !== undefined && amount > left) expectError(reply, 400, 'amount_too_large', label);
    else {
      const refunded = amount ?? left;
      assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
      assert.deepEqual([reply.body.status, reply.body.amount, reply.body.currency], ['succeeded', refunded, m.currency], label);
      openAccount(m, intent.card!).balance += refunded;
      intent.refunded += refunded;
      intent.refunds += 1;
      saw(`refund: ${intent.refunded === intent.received ? 'to the end' : 'partial'}${this.copies > 1 ? ' (duplicates)' : ''}`);
    }
    await verify(m, r, intent, reply);
  }
  toString = () => `refund(${show(this.target)}, ${this.percent === null ? 'rest' : `${this.percent}%`}${this.copies > 1 ? `, ×${this.copies}` : ''})`;
}

/** The clock moves on (12-hour steps): captured funds become available after the settlement delay. */
class Wait implements Cmd {
  constructor(readonly steps: number) {}
  check = (m: Readonly<Model>) => m.elapsed + this.steps * CLOCK_STEP <= MAX_ELAPSED;
  async run(m: Model, r: Real): Promise<void> {
    r.clock.offset += this.steps * CLOCK_STEP;
    m.elapsed += this.steps * CLOCK_STEP;
    saw('wait');
    await verify(m, r, undefined);
  }
  toString = () => `wait(${this.steps * 12} h)`;
}

// Integers shrink towards 0, so these shrink to the plain case: one copy, a fitting target.
/** Mostly 1; one time in five, two or three copies of the request at once. */
const copies = fc.integer({ min: -6, max: 3 }).map((n) => Math.max(n, 1));
/** A stray target one time in eight. */
const target = fc.record({ index: fc.nat({ max: 7 }), stray: fc.integer({ min: -6, max: 1 }).map((n) => n === 1) });
const show = (t: Target) => `#${t.index}${t.stray ? ' any' : ''}`;
const percent = fc.option(fc.integer({ min: 1, max: 120 }), { freq: 3 });
const create = fc.record({ tenths: fc.integer({ min: 1, max: 3000 }), manual: fc.boolean(), copies }).map((c) => new Create(c.tenths, c.manual, c.copies));
/** Every sandbox card; the ones that approve a little more often, so payments get far enough to capture and refund. */
const APPROVING = CARD_NUMBERS.filter((n) => behaviorFor(n).kind === 'approve');
const card = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...CARD_NUMBERS) }, { weight: 1, arbitrary: fc.constantFrom(...APPROVING) });
const confirm = fc
  .record({ target, card, source: fc.constantFrom<Source>('widget', 'server_token', 'stripe_id'), copies })
  .map((c) => new Confirm(c.target, c.card, c.source, c.copies));
const capture = fc.record({ target, percent, copies }).map((c) => new Capture(c.target, c.percent, c.copies));
const refund = fc.record({ target, percent, copies }).map((c) => new Refund(c.target, c.percent, c.copies));
const authenticate = fc.record({ target: fc.nat({ max: 7 }), pass: fc.boolean() }).map((c) => new Authenticate(c.target, c.pass));
/**
 * fc.commands picks among these evenly: listing one twice makes it twice as likely. A command
 * with nothing to act on is skipped (its check), so the rare states' commands cost nothing.
 */
const COMMANDS = [
  create,
  confirm,
  confirm,
  confirm,
  authenticate,
  authenticate,
  capture,
  capture,
  fc.record({ target, copies }).map((c) => new Cancel(c.target, c.copies)),
  refund,
  refund,
  fc.integer({ min: 1, max: 4 }).map((steps) => new Wait(steps)),
];

// ---- the invariants ----

let statements: ReturnType<typeof prepareChecks> | undefined;

function prepareChecks(kassa: Database.Database, sandbox: Database.Database) {
  return {
    unbalanced: kassa.prepare(
      `SELECT txn_id, currency, SUM(amount) AS total FROM ledger_entries WHERE payment_intent_id IN (SELECT value FROM json_each(?))
       GROUP BY txn_id, currency HAVING total <> 0`,
    ),
    incomplete: kassa.prepare(
      `SELECT t.id FROM ledger_transactions t WHERE t.payment_intent_id IN (SELECT value FROM json_each(@ids))
         AND t.entry_count <> (SELECT COUNT(*) FROM ledger_entries e WHERE e.txn_id = t.id)
       UNION ALL
       SELECT e.txn_id FROM ledger_entries e WHERE e.payment_intent_id IN (SELECT value FROM json_each(@ids))
         AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = e.txn_id)`,
    ),
    payable: kassa.prepare(
      `SELECT currency, -SUM(amount) AS owed FROM ledger_entries WHERE payment_intent_id IN (SELECT value FROM json_each(?))
       AND account = 'merchant_payable' GROUP BY currency`,
    ),
    charges: kassa.prepare(
      `SELECT c.id, c.amount, c.amount_captured, c.status,
         (SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE r.charge_id = c.id AND r.status = 'succeeded') AS refunded
       FROM charges c WHERE c.payment_intent_id = ?`,
    ),
    refunds: kassa.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM refunds WHERE payment_intent_id = ? AND status = 'succeeded'"),
    balanceTxns: kassa.prepare(
      `SELECT type, source, amount, currency FROM balance_transactions WHERE payment_intent_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    ),
    issuerHolds: sandbox.prepare("SELECT COUNT(*) AS n FROM holds WHERE reference = ? AND status = 'held'"),
  };
}

/** What the balance must be: each payment's net (captured − refunded) is available once its capture is a settlement delay old. */
function expectedBalance(m: Readonly<Model>, offset: number): { available: number; pending: number; any: boolean } {
  let available = 0;
  let pending = 0;
  let any = false;
  for (const i of m.intents) {
    if (i.capturedAt === null) continue;
    any = true;
    if (offset - i.capturedAt >= SETTLEMENT_DELAY_MS) available += i.received - i.refunded;
    else pending += i.received - i.refunded;
  }
  return { available, pending, any };
}

/**
 * The invariants, after a step that acted on `touched` and got `reply`. The API's view of the
 * payment is the one in the reply (an intent, or the intent an error carries), else retrieved.
 */
async function verify(m: Readonly<Model>, r: Real, touched: ModelIntent | undefined, reply?: Reply): Promise<void> {
  const s = (statements ??= prepareChecks(r.kassa, r.sandbox));
  const ids = JSON.stringify(m.intents.map((i) => i.id));
  assert.deepEqual(s.unbalanced.all(ids), [], 'every ledger transaction sums to zero per currency');
  assert.deepEqual(s.incomplete.all({ ids }), [], 'every ledger transaction is complete under its header');

  for (const i of m.intents) {
    assert.ok(i.received <= i.amount && i.refunded <= i.received, `model: captured ≤ authorized, refunded ≤ captured (${i.id})`);
    const expected = expectedLedger([
      ...(i.capturable > 0 ? [{ status: 'held', amount: i.capturable, captured: 0, refunded: 0 }] : []),
      ...(i.received > 0 ? [{ status: 'captured', amount: i.received, captured: i.received, refunded: i.refunded }] : []),
    ]);
    const ledger = ledgerView(r.kassa, i.id);
    assert.deepEqual(ledger, expected, `ledger of ${i.id}`);
    // The issuer's own records of this payment imply the same ledger.
    assert.deepEqual(expectedLedger(issuerView(r.sandbox, i.id)), ledger, `issuer and ledger agree on ${i.id}`);
    const charges = s.charges.all(i.id) as Array<{ amount: number; amount_captured: number; status: string; refunded: number }>;
    assert.equal(charges.length, i.charges, `charges of ${i.id}`);
    for (const c of charges) {
      assert.ok(c.amount_captured <= c.amount, `captured ≤ authorized on ${i.id}`);
      assert.ok(c.refunded <= c.amount_captured, `refunded ≤ captured on ${i.id}`);
    }
    const refunds = s.refunds.get(i.id) as { n: number; total: number };
    assert.deepEqual([refunds.n, refunds.total], [i.refunds, i.refunded], `refunds of ${i.id}`);
  }

  // The cards this sequence paid with (verifyAll checks every card's account at the end).
  for (const card of new Set(m.intents.map((i) => i.card))) {
    if (card !== null) assert.deepEqual(r.h.kassa.sandboxAccount(card, m.currency), m.accounts.get(card), `issuer account of ${card} in ${m.currency}`);
  }

  const owed = s.payable.all(ids) as Array<{ currency: string; owed: number }>;
  const balance = await r.h.v1('GET', '/balance', undefined, { key: r.key });
  assert.equal(balance.status, 200);
  const want = expectedBalance(m, r.clock.offset);
  const sides = { available: balance.body.available, pending: balance.body.pending };
  if (!want.any) assert.deepEqual(sides, { available: [], pending: [] }, 'no balance before a capture');
  else {
    const one = (amount: number) => [{ amount, currency: m.currency, source_types: { card: amount } }];
    assert.deepEqual(sides, { available: one(want.available), pending: one(want.pending) }, 'balance: available and pending as the settlement rule says');
    assert.deepEqual(owed, [{ currency: m.currency, owed: want.available + want.pending }], 'balance = Σ ledger');
    assert.ok(want.available >= 0 && want.pending >= 0);
  }

  if (touched) {
    const answered = reply?.body?.object === 'payment_intent' ? reply.body : reply?.body?.error?.payment_intent;
    const view = answered ?? (await r.h.v1('GET', `/payment_intents/${touched.id}`, undefined, { key: r.key })).body;
    assert.equal(view.id, touched.id);
    assert.equal(view.status, touched.status, `the API's view of ${touched.id}`);
    // The widget's view has no amounts; the merchant's has them.
    if ('amount_received' in view) {
      assert.deepEqual([view.amount_capturable, view.amount_received], [touched.capturable, touched.received], `the API's view of ${touched.id}`);
    }
  }
}

/** At the end of a sequence: every payment, charge and refund through the API, and the balance transactions against the balance. */
async function verifyAll(m: Model, r: Real): Promise<void> {
  const s = (statements ??= prepareChecks(r.kassa, r.sandbox));
  for (const [card, account] of m.accounts) {
    assert.deepEqual(r.h.kassa.sandboxAccount(card, m.currency), account, `issuer account of ${card} in ${m.currency}`);
  }
  // Every payment and refund of the merchant in one page each (a sequence makes far fewer than 100).
  const intents = await r.h.v1('GET', '/payment_intents?limit=100&expand[0]=latest_charge', undefined, { key: r.key });
  const refundList = await r.h.v1('GET', '/refunds?limit=100', undefined, { key: r.key });
  assert.equal(intents.body.data.length, m.intents.length);
  for (const i of m.intents) {
    const view = intents.body.data.find((v: { id: string }) => v.id === i.id);
    assert.deepEqual([view.status, view.amount_capturable, view.amount_received], [i.status, i.capturable, i.received], i.id);
    const charge = view.latest_charge;
    if (i.received > 0) {
      assert.deepEqual([charge.amount_captured, charge.amount_refunded, charge.captured], [i.received, i.refunded + (i.amount - i.received), true], `charge of ${i.id}`);
      assert.match(charge.balance_transaction, /^txn_/);
    }
    const refunds = refundList.body.data.filter((f: { payment_intent: string; status: string }) => f.payment_intent === i.id && f.status === 'succeeded');
    assert.equal(refunds.reduce((sum: number, f: { amount: number }) => sum + f.amount, 0), i.refunded, `refunds of ${i.id}`);
  }
  const listed: Array<{ id: string; amount: number; status: string; currency: string; type: string; source: string }> = [];
  let page = await r.h.v1('GET', '/balance_transactions?limit=100', undefined, { key: r.key });
  for (;;) {
    listed.push(...page.body.data);
    if (!page.body.has_more) break;
    page = await r.h.v1('GET', `/balance_transactions?limit=100&starting_after=${listed.at(-1)!.id}`, undefined, { key: r.key });
  }
  const balance = (await r.h.v1('GET', '/balance', undefined, { key: r.key })).body;
  const sum = (status: string) => listed.filter((t) => t.status === status).reduce((total, t) => total + t.amount, 0);
  if (listed.length > 0) {
    assert.deepEqual(
      [balance.available[0].amount, balance.pending[0].amount],
      [sum('available'), sum('pending')],
      'the balance is the sum of its balance transactions, by status',
    );
  }
  const written = s.balanceTxns.all(JSON.stringify(m.intents.map((i) => i.id))) as Array<{ type: string; amount: number }>;
  assert.equal(listed.length, written.length);
  assert.equal(written.filter((t) => t.type === 'charge').length, m.intents.filter((i) => i.received > 0).length, 'one charge transaction per capture');
  assert.equal(written.filter((t) => t.type === 'refund').length, m.intents.reduce((n, i) => n + i.refunds, 0), 'one refund transaction per refund');
}

/** Holds do not outlive their sequence (the next ones must not see them expire). */
async function releaseHolds(m: Model, r: Real): Promise<void> {
  for (const i of m.intents) {
    if (i.status === 'requires_capture' || i.status === 'requires_action') {
      const reply = await r.h.v1('POST', `/payment_intents/${i.id}/cancel`, {}, { key: r.key });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    }
  }
}

describe('property: the money model over random command sequences against the real server', () => {
  const clock = { offset: 0 };
  let h: Harness;
  let kassa: Database.Database;
  let sandbox: Database.Database;

  let dir: string;

  before(async () => {
    // Memory-backed when the machine has it: this test is about the money rules, and fsync of
    // every commit would make it ten times slower (durability has its own crash tests).
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kassa-property-'));
    h = await boot({ now: () => Date.now() + clock.offset, webhookPollMs: 0 }, dir);
    kassa = h.db();
    sandbox = openReadOnly(h.dataDir, 'sandbox.sqlite');
  });
  after(async () => {
    sandbox.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // About 40 ms of CPU a sequence here; the suite's 120 s default would not leave room for more runs.
  it(`holds the invariants after every step of ${RUNS} sequences`, { timeout: Math.max(120_000, RUNS * 300) }, async () => {
    const started = Date.now();
    let sequences = 0;
    await fc.assert(
      // Every sequence starts with a payment made and confirmed (a short sequence still gets
      // somewhere), then up to 6 commands.
      fc.asyncProperty(fc.constantFrom(...CURRENCIES), fc.tuple(create, confirm), fc.commands(COMMANDS, { maxCommands: 6, size: 'max' }), async (currency, first, cmds) => {
        const merchant = await h.kassa.createMerchant();
        const model: Model = { currency, intents: [], accounts: new Map(), elapsed: 0 };
        // The issuer's accounts as they are now: earlier sequences used the same cards.
        for (const card of CARD_NUMBERS) model.accounts.set(card, h.kassa.sandboxAccount(card, currency));
        const real: Real = { h, key: merchant.secretKey, clock, kassa, sandbox };
        for (const command of first) await command.run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        sequences += 1;
        await verifyAll(model, real);
        await releaseHolds(model, real);
      }),
      { numRuns: RUNS, includeErrorInReport: true, ...REPLAY },
    );
    const seconds = (Date.now() - started) / 1000;
    const commands = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(`money property: ${sequences} sequences (with shrinking, if any), ${commands} commands in ${seconds.toFixed(1)} s`);
    for (const [what, n] of [...seen].sort()) console.log(`  ${String(n).padStart(6)}  ${what}`);
    assert.ok(sequences >= RUNS);
  });
});
