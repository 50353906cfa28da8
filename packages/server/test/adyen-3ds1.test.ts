/**
 * Adyen's 3-D Secure 1 redirect: a form (PaReq, MD, TermUrl) the shopper's browser must POST to
 * the issuer's ACS. The adapter passes it on as a POST redirect; the API names Kassa's form page,
 * never the fields; that page posts them to the ACS exactly (the fake ACS refuses anything else);
 * the ACS posts the shopper back to Kassa's return route with MD and PaRes, which Kassa submits
 * to /payments/details. Through the real server against the strict Adyen fake; the browser's
 * part (submitting forms) is done by fetch, as a browser would send it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Sensitive } from '../src/domain/ports.js';
import { FUTURE_YEAR, SHOP, boot } from './helpers.js';
import { freePort } from './crash.js';
import { ADYEN_TEST_CARDS, AdyenFake } from './fakes/adyen-fake.js';

const API_KEY = 'AQE_3ds1';
const MERCHANT = 'KassaECOM';

/** The form of a page: where it posts and its hidden fields (what a browser would submit). */
function formOf(html: string): { action: string; fields: URLSearchParams } {
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  assert.ok(action, 'the page has a form');
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.append(unescape(m[1]!), unescape(m[2]!));
  return { action: unescape(action), fields };
}

describe("Adyen's 3-D Secure 1 (a form POSTed to the issuer)", () => {
  it("in the widget's flow: Kassa's page posts the issuer's form, the issuer posts the shopper back, and the payment is charged once", async () => {
    const hmacKey = randomBytes(32).toString('hex');
    const fake = await AdyenFake.start({ apiKey: API_KEY, merchantAccount: MERCHANT, hmacKey });
    const card = ADYEN_TEST_CARDS.threeDSecure1;
    fake.setBalance(card, 1_000_000);
    const port = await freePort();
    const h = await boot({
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      providerSpecs: { test: { type: 'adyen', apiKey: new Sensitive(API_KEY), merchantAccount: MERCHANT, checkoutBase: fake.checkoutBase, hmacKey: new Sensitive(hmacKey) } },
    });
    try {
      const intent = await h.createIntent({ amount: 3300, currency: 'eur' });
      const token = await h.tokenize(intent.client_secret, { number: card, cvc: '737', exp_month: 3, exp_year: FUTURE_YEAR });
      const confirmed = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, 'requires_action');
      const [payment] = fake.paymentsFor(intent.id);
      const psp = payment!.psp;
      const action = confirmed.body.next_action;
      assert.deepEqual(action, {
        type: 'redirect_to_url',
        redirect_to_url: { url: `${h.url}/actions/${psp}/redirect`, return_url: null, hosted_instructions_url: `/actions/${psp}` },
      });
      assert.doesNotMatch(JSON.stringify((await h.v1('GET', `/payment_intents/${intent.id}`)).body), /PaReq|TermUrl/, 'the issuer’s form is not in the API');

      // The widget frames Kassa's page; its button opens the form page in a window.
      const framed = await (await fetch(`${h.url}/actions/${psp}?channel=chan_12345678&origin=${encodeURIComponent(SHOP)}`)).text();
      assert.ok(framed.includes(`href="${action.redirect_to_url.url}"`), "Kassa's page opens the form page");
      const formPage = await fetch(action.redirect_to_url.url);
      assert.match(formPage.headers.get('content-security-policy') ?? '', new RegExp(`form-action ${new URL(fake.checkoutBase).origin}`));
      const form = formOf(await formPage.text());

      // A form changed on the way is refused by the issuer; the one Kassa's page submits is taken.
      const tampered = new URLSearchParams(form.fields);
      tampered.set('MD', 'someone-else');
      const refused = await fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: tampered });
      assert.equal(refused.status, 400);
      assert.throws(() => fake.completeChallenge(psp, true), /never posted the challenge form/);
      const posted = await fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.fields });
      assert.equal(posted.status, 200, 'the issuer took the form as it issued it');

      // Authenticated at the issuer, which posts the shopper back to TermUrl (Kassa's return route).
      const paRes = fake.completeChallenge(psp, true);
      const termUrl = form.fields.get('TermUrl')!;
      assert.ok(termUrl.startsWith(`${h.url}/providers/adyen/return?kassa_reference=`), termUrl);
      const back = await fetch(termUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ MD: form.fields.get('MD')!, PaRes: paRes }) });
      assert.equal(back.status, 200, 'the window says it can be closed');

      const paid = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.deepEqual([paid.body.status, paid.body.amount_received], ['succeeded', 3300]);
      assert.equal(1_000_000 - (fake.account(card)?.balance ?? 0), 3300, 'charged once');
      const details = fake.requests.filter((r) => r.path.endsWith('/payments/details'));
      assert.equal(details.length, 1);
      assert.deepEqual(details[0]!.body, { details: { MD: form.fields.get('MD'), PaRes: paRes } }, 'exactly what the issuer sent back');
    } finally {
      await h.close();
      await fake.close();
    }
  });
});
