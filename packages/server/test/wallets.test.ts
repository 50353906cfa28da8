/**
 * Wallet payments through the server, against the strict provider fakes: a shopper pays with
 * PayPal (approval at PayPal, by redirect) and Alipay (a QR code, or Alipay's cashier), in the
 * widget's flow (Kassa's framed action page, the provider's window, the return that closes it)
 * and the merchant's (a whole-page redirect with return_url, back with Stripe's query). The
 * provider's notification completes a payment whose shopper never came back; a replayed or
 * forged one changes nothing. Every route on the way refuses bad input with a clear 4xx.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Sensitive } from '../src/domain/ports.js';
import { PayPalProvider } from '../src/adapters/paypal/provider.js';
import { PayPalFake } from './fakes/paypal-fake.js';
import { AlipayProvider } from '../src/adapters/alipay/provider.js';
import { AlipayFake } from './fakes/alipay-fake.js';
import { freePort } from './crash.js';
import { ADYEN_TEST_CARDS, AdyenFake } from './fakes/adyen-fake.js';
import { randomBytes } from 'node:crypto';
import { SHOP, boot, outboxTypes, request } from './helpers.js';
import type { Harness } from './helpers.js';

interface PayPalRig {
  h: Harness;
  fake: PayPalFake;
  close(): Promise<void>;
}

/** Test mode takes cards at the sandbox and PayPal at the fake. */
async function payPalRig(options: Parameters<typeof boot>[0] = {}): Promise<PayPalRig> {
  const fake = await PayPalFake.start();
  let url = '';
  const paypal = new PayPalProvider({
    clientId: fake.clientId,
    clientSecret: new Sensitive(fake.clientSecret),
    apiBase: fake.url,
    webhookId: fake.webhookId,
    returnUrl: (reference) => `${url}/providers/paypal/return?kassa_reference=${encodeURIComponent(reference)}`,
  });
  const h = await boot({ providers: { test: [paypal] }, actionPollIntervalMs: 0, ...options });
  url = h.url;
  return { h, fake, close: async () => (await h.close(), await fake.close()) };
}

const orderOf = (intent: { next_action: { redirect_to_url: { url: string } } }): string => new URL(intent.next_action.redirect_to_url.url).searchParams.get('token') ?? '';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('PayPal through the server', () => {
  it("the widget's flow: requires_action with Kassa's action page; approval at PayPal; the return completes it and says the window may close; paid once", async () => {
    const r = await payPalRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 2599, currency: 'usd' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, 'requires_action');
      const action = confirmed.body.next_action;
      assert.equal(action.type, 'redirect_to_url');
      assert.equal(action.redirect_to_url.return_url, null);
      assert.match(action.redirect_to_url.url, new RegExp(`^${fake.url}/checkoutnow\\?token=`));
      const order = orderOf(confirmed.body);
      assert.equal(action.redirect_to_url.hosted_instructions_url, `/actions/${order}`);

      // Kassa's page, framed by the shop: framable by exactly that origin, links to PayPal's page.
      const page = await get(`${h.url}/actions/${order}?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}&locale=zh-CN`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', new RegExp(`frame-ancestors ${SHOP.replace(/[.]/g, '\\.')}`));
      assert.ok(page.text.includes(`href="${action.redirect_to_url.url.replace(/&/g, '&amp;')}"`), 'the button opens PayPal');
      assert.match(page.text, /使用PayPal支付/);
      const waiting = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
      assert.equal(waiting.body.status, 'requires_action');
      assert.deepEqual((await (await fetch(`${h.url}/actions/${order}/status`)).json()), { status: 'requires_action', over: false, shown: 'waiting' }, 'not approved yet: still waiting');

      // The shopper approves at PayPal, which sends the window back to Kassa.
      const approval = await get(action.redirect_to_url.url);
      assert.equal(approval.status, 200);
      const approved = await fetch(`${fake.url}/checkoutnow/approve`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${order}`, redirect: 'manual' });
      const back = approved.headers.get('location') ?? '';
      assert.ok(back.startsWith(`${h.url}/providers/paypal/return?kassa_reference=${intent.id}`), back);
      const returned = await get(back);
      assert.equal(returned.status, 200, returned.text);
      assert.match(returned.text, /Payment received/);
      assert.match(returned.text, /close this window/);

      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(paid.body.status, 'succeeded');
      assert.equal(paid.body.amount_received, 2599);
      assert.equal(paid.body.payment_method_type, 'paypal');
      assert.equal(paid.body.payment_method, null);
      const charge = await h.v1('GET', `/charges/${paid.body.latest_charge}`);
      assert.deepEqual(charge.body.payment_method_details, { type: 'paypal', paypal: {} });
      assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 2599, refunded: 0 });
      assert.deepEqual((await (await fetch(`${h.url}/actions/${order}/status`)).json()), { status: 'succeeded', over: true, shown: 'paid' });

      // The window reloaded, the return sent again: nothing more is taken.
      assert.equal((await get(back)).status, 200);
      assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 2599, refunded: 0 });
      const types = outboxTypes(h.db(), intent.id);
      assert.equal(types.filter((t) => t === 'payment_intent.requires_action').length, 1, `one requires_action event, however often the page asked: ${types.join(', ')}`);
      assert.equal(types.filter((t) => t === 'payment_intent.succeeded').length, 1);

      // And a refund goes back through PayPal.
      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 599 });
      assert.equal(refund.body.status, 'succeeded', JSON.stringify(refund.body));
      assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 2599, refunded: 599 });
    } finally {
      await r.close();
    }
  });

  it("the merchant's flow: confirm with return_url answers PayPal's page itself; back at the shop with Stripe's query", async () => {
    const r = await payPalRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 1000, currency: 'eur' });
      const confirmed = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'paypal' }, return_url: `${SHOP}/done?order=7` });
      assert.equal(confirmed.body.status, 'requires_action', JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.next_action.redirect_to_url.return_url, `${SHOP}/done?order=7`);
      assert.equal(confirmed.body.next_action.redirect_to_url.hosted_instructions_url, undefined, 'a whole-page redirect: no page to frame');
      const order = orderOf(confirmed.body);
      const query = fake.approve(order);
      const back = await get(`${h.url}/providers/paypal/return?kassa_reference=${intent.id}&token=${query.token}&PayerID=${query.PayerID}`);
      assert.equal(back.status, 303);
      const location = new URL(back.headers.get('location') ?? '');
      assert.equal(location.origin + location.pathname, `${SHOP}/done`);
      assert.equal(location.searchParams.get('order'), '7', "the shop's own query is kept");
      assert.equal(location.searchParams.get('payment_intent'), intent.id);
      assert.equal(location.searchParams.get('redirect_status'), 'succeeded');
      assert.ok(location.searchParams.get('payment_intent_client_secret'));
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
    } finally {
      await r.close();
    }
  });

  it("PayPal's notification completes a payment whose shopper approved and never came back; a replay is stored once; a forged one is refused", async () => {
    const r = await payPalRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 4200, currency: 'usd' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      const order = orderOf(confirmed.body);
      fake.approve(order); // …and the shopper closed the window before PayPal sent it back
      const event = fake.orderEvent(order);
      assert.equal(await fake.notify(`${h.url}/providers/paypal/webhooks`, event), 200);
      let status = '';
      for (let i = 0; i < 50 && status !== 'succeeded'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await h.v1('GET', `/payment_intents/${intent.id}`)).body.status;
      }
      assert.equal(status, 'succeeded', 'applied after the acknowledgement');
      assert.equal(await fake.notify(`${h.url}/providers/paypal/webhooks`, event), 200, 'a replay is acknowledged');
      const stored = h.db().prepare('SELECT provider, kind, payment_intent, applied_at IS NOT NULL AS applied, outcome FROM provider_notifications').all();
      assert.deepEqual(stored, [{ provider: 'paypal', kind: 'CHECKOUT.ORDER.APPROVED', payment_intent: intent.id, applied: 1, outcome: 'completed:succeeded' }], 'stored once');
      assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 4200, refunded: 0 });

      // A body that is not what PayPal signed: 400, nothing stored.
      const signed = fake.signedEvent(fake.orderEvent(order, 'CHECKOUT.ORDER.COMPLETED'));
      const forged = await request(`${h.url}/providers/paypal/webhooks`, 'POST', undefined, null, { headers: signed.headers, raw: signed.body.replace('COMPLETED', 'VOIDED') });
      assert.equal(forged.status, 400, JSON.stringify(forged.body));
      assert.equal(forged.body.error.code, 'notification_invalid');
      const unsigned = await request(`${h.url}/providers/paypal/webhooks`, 'POST', undefined, null, { headers: { 'content-type': 'application/json' }, raw: signed.body });
      assert.equal(unsigned.status, 400);
      assert.equal((h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications').get() as { n: number }).n, 1);
    } finally {
      await r.close();
    }
  });

  it('a notification acknowledged but not applied when the process died is applied at the next start, once', async () => {
    const fake = await PayPalFake.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'kassa-notify-crash-'));
    let url = '';
    const paypal = () =>
      new PayPalProvider({
        clientId: fake.clientId,
        clientSecret: new Sensitive(fake.clientSecret),
        apiBase: fake.url,
        webhookId: fake.webhookId,
        returnUrl: (reference) => `${url}/providers/paypal/return?kassa_reference=${encodeURIComponent(reference)}`,
      });
    try {
      let h = await boot({ providers: { test: [paypal()] } }, dataDir);
      url = h.url;
      const intent = await h.createIntent({ amount: 3300, currency: 'usd' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      const order = orderOf(confirmed.body);
      fake.approve(order);
      // Stored and acknowledged, then the process died before applying it (what the row says).
      const db = new Database(join(dataDir, 'kassa.sqlite'));
      db.prepare(
        "INSERT INTO provider_notifications (id, provider, provider_event_id, kind, payment_intent, provider_ref, raw, received_at) VALUES ('pnt_crash', 'paypal', 'WH-crash', 'CHECKOUT.ORDER.APPROVED', ?, ?, '{}', ?)",
      ).run(intent.id, order, Date.now());
      db.close();
      await h.close();
      h = await boot({ providers: { test: [paypal()] } }, dataDir);
      url = h.url;
      try {
        assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded', 'applied at start');
        assert.deepEqual(h.db().prepare("SELECT outcome FROM provider_notifications WHERE id = 'pnt_crash'").get(), { outcome: 'completed:succeeded' });
        assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 3300, refunded: 0 });
      } finally {
        await h.close();
      }
      // And not again at the start after.
      const again = await boot({ providers: { test: [paypal()] } }, dataDir);
      await again.close();
      assert.deepEqual(fake.moneyOf(order), { held: 0, captured: 3300, refunded: 0 }, 'captured once');
    } finally {
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('bad input on the way: unknown provider, missing reference, unknown action, a framing origin not allowed, wrong methods, a wallet with card options', async () => {
    const r = await payPalRig();
    try {
      const { h } = r;
      const intent = await h.createIntent({ amount: 1000, currency: 'usd' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'paypal' } });
      const order = orderOf(confirmed.body);
      const json = async (url: string, init: RequestInit = {}) => {
        const res = await fetch(url, init);
        return { status: res.status, body: (await res.json()) as { error: { code: string; param?: string } } };
      };
      assert.deepEqual([(await json(`${h.url}/providers/worldpay/return?kassa_reference=${intent.id}`)).status], [404]);
      const missing = await json(`${h.url}/providers/paypal/return?token=${order}`);
      assert.deepEqual([missing.status, missing.body.error.code, missing.body.error.param], [400, 'parameter_invalid', 'kassa_reference']);
      assert.equal((await json(`${h.url}/providers/paypal/return?kassa_reference=pi_nope`)).status, 404);
      const many = new URLSearchParams({ kassa_reference: intent.id });
      for (let i = 0; i < 41; i++) many.set(`p${i}`, 'x');
      assert.equal((await json(`${h.url}/providers/paypal/return?${many}`)).status, 400, 'at most 40 parameters');
      assert.equal((await json(`${h.url}/actions/NOPE`)).status, 404);
      const evil = await json(`${h.url}/actions/${order}?channel=chan_12345678&origin=${encodeURIComponent('https://evil.example')}`);
      assert.deepEqual([evil.status, evil.body.error.code], [400, 'origin_not_allowed']);
      const half = await json(`${h.url}/actions/${order}?channel=chan_12345678`);
      assert.deepEqual([half.status, half.body.error.param], [400, 'origin']);
      const extra = await json(`${h.url}/actions/${order}?zz=1`);
      assert.deepEqual([extra.status, extra.body.error.param], [400, 'zz']);
      assert.equal((await json(`${h.url}/actions/${order}/qr.svg`)).status, 404, 'a PayPal action has no QR code');
      assert.equal((await fetch(`${h.url}/actions/${order}/status`, { method: 'POST' })).status, 405);
      assert.equal((await fetch(`${h.url}/providers/paypal/webhooks`)).status, 405);
      assert.equal((await json(`${h.url}/providers/nope/webhooks`, { method: 'POST', body: '{}' })).status, 404);

      const other = await h.createIntent({ amount: 1000, currency: 'usd', customer: await h.customer() });
      const both = await h.client('POST', `/payment_intents/${other.id}/confirm`, other.client_secret, { payment_method: 'pm_card_visa', payment_method_data: { type: 'paypal' } });
      assert.deepEqual([both.status, both.body.error.param], [400, 'payment_method_data']);
      const saving = await h.client('POST', `/payment_intents/${other.id}/confirm`, other.client_secret, { payment_method_data: { type: 'paypal' }, setup_future_usage: 'on_session' });
      assert.deepEqual([saving.status, saving.body.error.param], [400, 'setup_future_usage']);
      const offSession = await h.v1('POST', `/payment_intents/${other.id}/confirm`, { payment_method_data: { type: 'paypal' }, off_session: true });
      assert.deepEqual([offSession.status, offSession.body.error.param], [400, 'off_session']);
      // A card here is a provider's token only (card-tokens.test.ts): without one, the token is what is missing.
      const rawCard = await h.v1('POST', `/payment_intents/${other.id}/confirm`, { payment_method_data: { type: 'card' } });
      assert.deepEqual([rawCard.status, rawCard.body.error.param], [400, 'payment_method_data[card]']);
      const cardData = await h.v1('POST', `/payment_intents/${other.id}/confirm`, { payment_method_data: { type: 'paypal', card: { number: '4242424242424242' } } });
      assert.equal(cardData.status, 400);
      assert.match(cardData.body.error.message, /secure frame/);
      assert.ok(!JSON.stringify(cardData.body).includes('4242424242424242'), 'the number is not echoed');
      const cards = await h.client('POST', `/payment_intents/${other.id}/confirm`, other.client_secret, { payment_method: 'pm_card_visa' });
      assert.deepEqual([cards.status, cards.body.error.code, cards.body.error.param], [400, 'payment_method_unactivated', 'payment_method'], 'no card provider in this test mode');
      assert.equal((await h.v1('GET', `/payment_intents/${other.id}`)).body.status, 'requires_payment_method', 'nothing written by any of them');
    } finally {
      await r.close();
    }
  });
});

interface AlipayRig {
  h: Harness;
  fake: AlipayFake;
  close(): Promise<void>;
}

/** Test mode takes Alipay at the fake (its notifications reach this server's inbound route). */
async function alipayRig(): Promise<AlipayRig> {
  const fake = await AlipayFake.start();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const alipay = new AlipayProvider({
    appId: fake.appId,
    privateKey: new Sensitive(fake.appPrivateKey!),
    alipayPublicKey: fake.alipayPublicKey,
    gateway: fake.gateway,
    returnUrl: (reference) => `${url}/providers/alipay/return?kassa_reference=${encodeURIComponent(reference)}`,
    notifyUrl: `${url}/providers/alipay/webhooks`,
    now: () => fake.now(),
  });
  const h = await boot({ port, publicUrl: url, providers: { test: [alipay] }, actionPollIntervalMs: 0 });
  return { h, fake, close: async () => (await h.close(), await fake.close()) };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  assert.fail(`never: ${what}`);
}

describe('Alipay through the server', () => {
  it("a QR code in the widget's flow: Kassa draws it, the shopper scans and pays, Alipay's signed notification completes the payment", async () => {
    const r = await alipayRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 12800, currency: 'cny' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'alipay' } });
      assert.equal(confirmed.body.status, 'requires_action', JSON.stringify(confirmed.body));
      const qr = confirmed.body.next_action.display_qr_code;
      assert.equal(confirmed.body.next_action.type, 'display_qr_code');
      assert.ok(qr.expires_at * 1000 > Date.now(), 'valid for a while');
      assert.match(qr.hosted_instructions_url, /^\/actions\//);
      assert.equal(qr.image_url_svg, `${qr.hosted_instructions_url}/qr.svg`);

      const svg = await get(`${h.url}${qr.image_url_svg}`);
      assert.equal(svg.status, 200);
      assert.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
      assert.match(svg.text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const page = await get(`${h.url}${qr.hosted_instructions_url}?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}&locale=zh-CN`);
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(`src="${qr.image_url_svg}"`), 'the page shows the code');
      assert.match(page.text, /请使用支付宝扫描二维码/);
      assert.match(page.text, /¥128\.00/);

      // The shopper's phone: scan and pay in the Alipay app; Alipay notifies Kassa.
      const paid = await fetch(`${qr.data}/pay`, { method: 'POST' });
      assert.equal(paid.status, 200);
      await until(async () => (await h.v1('GET', `/payment_intents/${intent.id}`)).body.status === 'succeeded', 'the notification completes it');
      const [sent] = fake.notifications;
      assert.deepEqual([sent?.status, sent?.answer], [200, 'success'], "Kassa answered Alipay's notification as Alipay expects");
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.amount_received, 12800);
      assert.equal(view.body.payment_method_type, 'alipay');
      const charge = await h.v1('GET', `/charges/${view.body.latest_charge}`);
      assert.deepEqual(charge.body.payment_method_details, { type: 'alipay', alipay: {} });
      assert.deepEqual(await (await fetch(`${h.url}${qr.hosted_instructions_url}/status`)).json(), { status: 'succeeded', over: true, shown: 'paid' });
      const stored = h.db().prepare('SELECT kind, outcome FROM provider_notifications').all();
      assert.deepEqual(stored, [{ kind: 'TRADE_SUCCESS', outcome: 'completed:succeeded' }]);

      // Refunded in part, through Alipay.
      const refund = await h.v1('POST', '/refunds', { payment_intent: intent.id, amount: 2800 });
      assert.equal(refund.body.status, 'succeeded', JSON.stringify(refund.body));
    } finally {
      await r.close();
    }
  });

  it("the code expires unpaid: the page's poll closes it at Alipay and the payment can be tried again; nothing charged", async () => {
    const r = await alipayRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 500, currency: 'cny' });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'alipay' } });
      const qr = confirmed.body.next_action.display_qr_code;
      assert.deepEqual(await (await fetch(`${h.url}${qr.hosted_instructions_url}/status`)).json(), { status: 'requires_action', over: false, shown: 'waiting' });
      fake.advance(16 * 60_000 + 30_000 + 60_000);
      const after = (await (await fetch(`${h.url}${qr.hosted_instructions_url}/status`)).json()) as { shown: string };
      assert.equal(after.shown, 'not_paid');
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.status, 'requires_payment_method', 'free for another try');
      assert.ok(view.body.last_payment_error, 'the shopper is told why');
      const [trade] = fake.trades();
      assert.notEqual(trade?.status, 'TRADE_SUCCESS');
      // A second try makes a new code.
      const again = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'alipay' } });
      assert.equal(again.body.status, 'requires_action');
      assert.notEqual(again.body.next_action.display_qr_code.data, qr.data);
    } finally {
      await r.close();
    }
  });

  it("the merchant's flow: with return_url, Alipay's cashier page; paid there, the shopper comes back through Kassa to the shop", async () => {
    const r = await alipayRig();
    try {
      const { h, fake } = r;
      const intent = await h.createIntent({ amount: 3000, currency: 'cny' });
      const confirmed = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method_data: { type: 'alipay' }, return_url: `${SHOP}/thanks` });
      assert.equal(confirmed.body.next_action.type, 'redirect_to_url', JSON.stringify(confirmed.body));
      const cashier = confirmed.body.next_action.redirect_to_url.url as string;
      assert.ok(cashier.startsWith(fake.gateway), cashier);
      const { location } = await fake.payCashier(cashier);
      assert.ok(location.startsWith(`${h.url}/providers/alipay/return?kassa_reference=`), location);
      const back = await get(location);
      assert.equal(back.status, 303, back.text);
      const shop = new URL(back.headers.get('location') ?? '');
      assert.equal(shop.origin + shop.pathname, `${SHOP}/thanks`);
      assert.equal(shop.searchParams.get('redirect_status'), 'succeeded');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
      // Alipay's notification races the shopper's return: whichever comes first completes it, the other changes nothing.
      await until(async () => (h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications WHERE applied_at IS NOT NULL').get() as { n: number }).n === 1, 'the notification is applied');
      const [n] = h.db().prepare('SELECT outcome FROM provider_notifications').all() as Array<{ outcome: string }>;
      assert.ok(['completed:succeeded', 'unchanged:succeeded', 'in_progress'].includes(n?.outcome ?? ''), n?.outcome);
      assert.equal(outboxTypes(h.db(), intent.id).filter((t) => t === 'charge.succeeded').length, 1, 'one charge');
    } finally {
      await r.close();
    }
  });

  it('a manual-capture intent cannot pay with Alipay (it captures at once): a clear 400 before any call', async () => {
    const r = await alipayRig();
    try {
      const intent = await r.h.createIntent({ amount: 500, currency: 'cny', capture_method: 'manual' });
      const refused = await r.h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method_data: { type: 'alipay' } });
      assert.deepEqual([refused.status, refused.body.error.param], [400, 'capture_method'], JSON.stringify(refused.body));
      assert.equal(r.fake.requests.length, 0, 'nothing sent to Alipay');
    } finally {
      await r.close();
    }
  });

  it("a notification not signed by Alipay is refused (400) and stored nowhere", async () => {
    const r = await alipayRig();
    try {
      const { h } = r;
      const forged = new URLSearchParams({ notify_id: 'n1', out_trade_no: 'x', trade_status: 'TRADE_SUCCESS', sign_type: 'RSA2', sign: 'bm90IGEgc2lnbmF0dXJl' });
      const res = await fetch(`${h.url}/providers/alipay/webhooks`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: forged.toString() });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'notification_invalid');
      assert.equal((h.db().prepare('SELECT COUNT(*) AS n FROM provider_notifications').get() as { n: number }).n, 0);
    } finally {
      await r.close();
    }
  });
});

describe("Adyen's notifications on the inbound route", () => {
  it("verified with the HMAC key and answered [accepted], stored once per event; a forged one is 400; without a key, refused", async () => {
    const hmacKey = randomBytes(32).toString('hex');
    const fake = await AdyenFake.start({ apiKey: 'AQE_inbound', merchantAccount: 'KassaECOM', hmacKey });
    const h = await boot({
      publicUrl: 'https://pay.shop.test',
      providerSpecs: { test: { type: 'adyen', apiKey: new Sensitive('AQE_inbound'), merchantAccount: 'KassaECOM', checkoutBase: fake.checkoutBase, hmacKey: new Sensitive(hmacKey) } },
    });
    try {
      const intent = await h.createIntent({ amount: 1500, currency: 'eur', capture_method: 'manual' });
      const token = await h.tokenize(intent.client_secret, { number: ADYEN_TEST_CARDS.visa, cvc: '737', exp_month: 3, exp_year: 2030 });
      const held = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(held.body.status, 'requires_capture', JSON.stringify(held.body));
      assert.equal((await h.v1('POST', `/payment_intents/${intent.id}/capture`, {})).body.status, 'succeeded');
      const items = fake.notifications.filter((n) => n.merchantReference === intent.id || n.eventCode === 'CAPTURE');
      assert.ok(items.length > 0, 'the fake sent its notifications');
      const body = JSON.stringify({ live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })) });
      const post = (raw: string) => fetch(`${h.url}/providers/adyen/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      const first = await post(body);
      assert.deepEqual([first.status, await first.text()], [200, '[accepted]']);
      const again = await post(body);
      assert.deepEqual([again.status, await again.text()], [200, '[accepted]'], 'a replay is acknowledged');
      const stored = h.db().prepare("SELECT COUNT(*) AS n FROM provider_notifications WHERE provider = 'adyen'").get() as { n: number };
      assert.equal(stored.n, items.length, 'each event stored once');
      const forged = await post(body.replace('"value":1500', '"value":15'));
      assert.equal(forged.status, 400);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded', 'nothing moved backwards');
    } finally {
      await h.close();
      await fake.close();
    }
  });
});
