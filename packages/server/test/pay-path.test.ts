/**
 * The whole pay path, once per sandbox card: create (merchant) → tokenize (card frame) →
 * confirm (widget), and what it leaves behind: status, money at the issuer, ledger, outbox.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, FUTURE_YEAR, accountBalance, boot, outboxTypes, unbalancedTransactions } from './helpers.js';
import type { Harness } from './helpers.js';

describe('pay path per sandbox card', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  const approving = [
    ['Visa', CARDS.visa],
    ['UnionPay', CARDS.unionpay],
    ['Mastercard (limited)', CARDS.mastercardLimited],
    ['Amex', CARDS.amex],
    ['JCB', CARDS.jcb],
    ['any other valid number', '4012888888881881'],
  ] as const;

  for (const [name, number] of approving) {
    it(`when the ${name} card pays ¥128.00, then the intent succeeds and is charged exactly once`, async () => {
      const before = h.kassa.sandboxAccount(number, 'cny');
      const { intent, confirm } = await h.pay(number);
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
      assert.equal(confirm.body.status, 'succeeded');
      assert.equal(confirm.body.last_payment_error, null);

      const merchantView = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(merchantView.body.status, 'succeeded');
      assert.equal(merchantView.body.amount_received, 12800);
      assert.equal(merchantView.body.amount_capturable, 0);
      assert.match(merchantView.body.payment_method, /^tok_/);

      const account = h.kassa.sandboxAccount(number, 'cny');
      assert.ok(account);
      const start = before?.balance ?? account.balance + 12800;
      assert.equal(account.balance, start - 12800, 'debited once');
      assert.equal(account.held, 0);

      const db = h.db();
      assert.deepEqual(unbalancedTransactions(db), []);
      assert.equal(accountBalance(db, intent.id, 'acquirer_receivable'), 12800);
      assert.equal(accountBalance(db, intent.id, 'merchant_payable'), -12800);
      assert.deepEqual(outboxTypes(db, intent.id), ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    });
  }

  const declining = [
    ['insufficient funds', CARDS.insufficientFunds, 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['generic decline', CARDS.genericDecline, 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['expired', CARDS.expired, 'expired_card', 'expired_card', 'Your card has expired.'],
    ['wrong CVC', CARDS.incorrectCvc, 'incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."],
    ['processing error', CARDS.processingError, 'processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'],
  ] as const;

  for (const [name, number, code, declineCode, message] of declining) {
    it(`when the ${name} card pays, then 402 ${code}/${declineCode}, the intent returns to requires_payment_method and nothing is held or charged`, async () => {
      const { intent, confirm } = await h.pay(number);
      assert.equal(confirm.status, 402);
      assert.equal(confirm.body.error.type, 'card_error');
      assert.equal(confirm.body.error.code, code);
      assert.equal(confirm.body.error.decline_code, declineCode);
      assert.equal(confirm.body.error.message, message);
      assert.equal(confirm.body.error.payment_intent.id, intent.id);
      assert.equal(confirm.body.error.payment_intent.status, 'requires_payment_method');
      assert.equal(confirm.body.error.payment_intent.last_payment_error.code, code);

      const merchantView = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(merchantView.body.status, 'requires_payment_method');
      assert.equal(merchantView.body.amount_received, 0);
      assert.equal(merchantView.body.last_payment_error.decline_code, declineCode);

      const account = h.kassa.sandboxAccount(number, 'cny');
      if (account) assert.deepEqual(account, { balance: 0, held: 0 });
      const db = h.db();
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM ledger_entries WHERE payment_intent_id = ?').get(intent.id) as { n: number }).n, 0);
      assert.deepEqual(outboxTypes(db, intent.id), ['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);
    });
  }

  it('a card declined as fraudulent, lost or stolen: the merchant learns why, the shopper only that it was declined', async () => {
    for (const [number, reason] of [
      ['4100000000000019', 'fraudulent'],
      ['4000000000009987', 'lost_card'],
      ['4000000000009979', 'stolen_card'],
    ] as const) {
      const { intent, confirm } = await h.pay(number);
      assert.equal(confirm.status, 402, number);
      assert.deepEqual([confirm.body.error.code, confirm.body.error.decline_code, confirm.body.error.message], ['card_declined', 'generic_decline', 'Your card was declined.'], number);
      assert.equal(confirm.body.error.payment_intent.last_payment_error.decline_code, 'generic_decline', `${number}: the widget's view of the intent too`);
      const client = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
      assert.equal(client.body.last_payment_error.decline_code, 'generic_decline');
      const merchant = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(merchant.body.last_payment_error.decline_code, reason, `${number}: the merchant's view says why`);
      const charge = await h.v1('GET', `/charges/${merchant.body.latest_charge}`);
      assert.equal(charge.body.outcome.reason, reason);
      const viaTestId = await h.v1('POST', '/payment_intents', { amount: 1000, currency: 'usd', payment_method: `pm_card_chargeDeclined${{ fraudulent: 'Fraudulent', lost_card: 'LostCard', stolen_card: 'StolenCard' }[reason]}`, confirm: true });
      assert.deepEqual([viaTestId.status, viaTestId.body.error.decline_code], [402, reason], "Stripe's test id, on the merchant's API");
    }
  });

  it('when a declined intent is retried with a good card, then it succeeds', async () => {
    const { intent, confirm } = await h.pay(CARDS.genericDecline);
    assert.equal(confirm.status, 402);
    const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
    const retry = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.status, 'succeeded');
    assert.equal(retry.body.last_payment_error, null);
  });

  it('when the 3-D Secure card pays, then the intent requires action with a challenge on this server', async () => {
    const { intent, confirm } = await h.pay(CARDS.threeDS);
    assert.equal(confirm.status, 200);
    assert.equal(confirm.body.status, 'requires_action');
    assert.equal(confirm.body.next_action.type, 'three_d_secure');
    assert.match(confirm.body.next_action.three_d_secure.url, new RegExp(`^${h.url}/sandbox/3ds/tds_[A-Za-z0-9]+$`));
    assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.requires_action']);
    // Nothing is held until the shopper passes the challenge.
    assert.equal(h.kassa.sandboxAccount(CARDS.threeDS, 'cny'), null);
  });

  it('charges in the currency of the intent, in its minor units (JPY has none, KWD three)', async () => {
    for (const [currency, amount, balance] of [
      ['jpy', 500, 1_000_000],
      ['kwd', 1500, 1_000_000_000],
      ['usd', 999, 100_000_000],
    ] as const) {
      const { confirm } = await h.pay(CARDS.jcb, { amount, currency });
      assert.equal(confirm.status, 200);
      assert.equal(confirm.body.currency, currency);
      assert.equal(confirm.body.amount, amount);
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.jcb, currency), { balance: balance - amount, held: 0 });
    }
  });

  it('a merchant can create and confirm server-side with form encoding, as the stripe SDK sends it', async () => {
    const pi = await h.v1('POST', '/payment_intents', { amount: '2500', currency: 'usd', metadata: { order: 'A-17' }, description: 'Tea' }, { form: true });
    assert.equal(pi.status, 200, JSON.stringify(pi.body));
    assert.equal(pi.body.amount, 2500);
    assert.deepEqual(pi.body.metadata, { order: 'A-17' });
    const token = await h.tokenize(pi.body.client_secret, { number: CARDS.unionpay });
    const confirmed = await h.v1('POST', `/payment_intents/${pi.body.id}/confirm`, { payment_method: token.body.id }, { form: true });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.status, 'succeeded');
    assert.equal(confirmed.body.amount_received, 2500);
    assert.ok(confirmed.body.client_secret);
  });

  it('create with confirm=true and an attached token pays in one call; a decline there is a 402', async () => {
    const intent = await h.createIntent();
    const okToken = await h.tokenize(intent.client_secret, { number: CARDS.visa });
    const paid = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny', payment_method: okToken.body.id, confirm: true });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.status, 'succeeded');

    const badToken = await h.tokenize(intent.client_secret, { number: CARDS.genericDecline });
    const declined = await h.v1('POST', '/payment_intents', { amount: 700, currency: 'cny', payment_method: badToken.body.id, confirm: 'true' }, { form: true });
    assert.equal(declined.status, 402);
    assert.equal(declined.body.error.payment_intent.status, 'requires_payment_method');
    assert.ok(declined.body.error.payment_intent.client_secret, 'merchant view in merchant errors');
  });

  it('attaching a token at create leaves the intent requires_confirmation; confirm then needs no payment_method', async () => {
    const seed = await h.createIntent();
    const token = await h.tokenize(seed.client_secret, { number: CARDS.visa, exp_year: FUTURE_YEAR });
    const created = await h.createIntent({ payment_method: token.body.id });
    assert.equal(created.status, 'requires_confirmation');
    const confirmed = await h.v1('POST', `/payment_intents/${created.id}/confirm`, {});
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.status, 'succeeded');
  });

  it('the client view shows only what the widget needs', async () => {
    const intent = await h.createIntent({ metadata: { internal: 'x' }, customer: await h.customer(), description: 'secret-ish' });
    const view = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
    assert.equal(view.status, 200);
    assert.deepEqual(Object.keys(view.body).sort(), [
      'amount',
      'can_save_card',
      'currency',
      'id',
      'last_payment_error',
      'next_action',
      'object',
      'saved_payment_method',
      'status',
    ]);
    assert.equal(view.body.can_save_card, true);
  });
});
