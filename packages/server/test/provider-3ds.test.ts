/**
 * A provider's own 3-D Secure challenge in the widget's flow. Stripe's challenge page lives on
 * Stripe's origin, so it cannot report to the widget from a frame the way the sandbox's does:
 * the widget's confirm gets Kassa's page instead (`redirect_to_url` with
 * `hosted_instructions_url`), which opens the bank's page in a window of its own and follows the
 * payment; the shopper comes back to Kassa's return route, which completes it. Against the
 * strict Stripe fake; the sandbox's own challenge stays framed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive } from '../src/domain/ports.js';
import { SHOP, boot } from './helpers.js';
import { StripeFake } from './fakes/stripe-fake.js';
import { freePort } from './crash.js';

const THREE_DS = '4000002500003155';

describe("a provider's own 3-D Secure challenge, in the widget's flow", () => {
  it("is Kassa's page opening the bank's in a window: passed there, the shopper's return completes the payment, once", async () => {
    const fake = await StripeFake.start();
    // The return URL Stripe is given is the server's public URL, so it must be known before the start.
    const port = await freePort();
    const h = await boot({
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      providerSpecs: { test: { type: 'stripe', secretKey: new Sensitive(fake.secretKey), apiBase: fake.url } },
    });
    try {
      const intent = await h.createIntent({ amount: 4100, currency: 'usd' });
      const token = await h.tokenize(intent.client_secret, { number: THREE_DS });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, 'requires_action');
      const action = confirmed.body.next_action;
      assert.equal(action.type, 'redirect_to_url', 'not a frame the widget would refuse');
      const bank = action.redirect_to_url.url as string;
      assert.equal(new URL(bank).origin, new URL(fake.url).origin, "the bank's page is Stripe's");
      assert.equal(action.redirect_to_url.return_url, null);
      const page = action.redirect_to_url.hosted_instructions_url as string;

      const html = await (await fetch(`${h.url}${page}?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}&locale=zh-CN`)).text();
      assert.ok(html.includes(`href="${bank.replace(/&/g, '&amp;')}"`), "Kassa's page opens the bank's");
      assert.match(html, /您的银行/, 'named as the shopper’s bank, in Chinese');

      // In the window: the shopper passes the challenge, and Stripe sends them back to Kassa.
      fake.challenge(fake.intents().find((i) => i.metadata.kassa_reference === intent.id)!.id, true);
      const back = await fetch(`${h.url}/providers/stripe/return?kassa_reference=${intent.id}`);
      assert.equal(back.status, 200, 'the window says it can be closed');
      const status = await (await fetch(`${h.url}${page}/status`)).json();
      assert.deepEqual(status, { status: 'succeeded', over: true, shown: 'paid' });
      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([paid.body.status, paid.body.amount_received], ['succeeded', 4100]);
      const charged = fake.intents().filter((i) => i.metadata.kassa_reference === intent.id && i.status === 'succeeded');
      assert.equal(charged.length, 1, 'charged once at Stripe');
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it("the sandbox's challenge, on Kassa's own origin, stays the framed three_d_secure action", async () => {
    const h = await boot();
    try {
      const { confirm } = await h.pay('4000000000003220');
      assert.equal(confirm.body.next_action.type, 'three_d_secure');
      assert.equal(new URL(confirm.body.next_action.three_d_secure.url).origin, new URL(h.url).origin);
    } finally {
      await h.close();
    }
  });
});
