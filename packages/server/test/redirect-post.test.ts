/**
 * A provider page reached by POST (Adyen's 3-D Secure 1 form with MD/PaReq, Alipay's page.pay
 * form): the API names Kassa's own page (`/actions/:ref/redirect`) as the redirect, never the
 * provider's fields; that page is a form Kassa's script submits to the provider, allowed by its
 * CSP to post there and nowhere else. The provider here is the sandbox issuer answering the
 * authorization with such a redirect (its settling is the ordinary completion, tested elsewhere).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX_CARDS } from '../src/adapters/sandbox/cards.js';
import { boot, overriding } from './helpers.js';
import type { Harness } from './helpers.js';

const PROVIDER_PAGE = 'https://acs.example-bank.test/3ds1/pareq';
const FIELDS = { MD: 'md-"1"<x>', PaReq: 'eNpVUttygjAQ==', TermUrl: 'https://kassa.test/providers/adyen/return' };

async function withPostRedirect(): Promise<Harness> {
  return boot({
    wrapProvider: (inner) =>
      overriding(inner, {
        authorize: async (r) => ({ status: 'requires_action', reference: `post_${r.reference}`, action: { type: 'redirect', url: PROVIDER_PAGE, method: 'POST', fields: FIELDS } }),
      }),
  });
}

describe('a redirect by POST', () => {
  it("the API names Kassa's form page, never the provider's fields; the page posts them to the provider, and only there", async () => {
    const h = await withPostRedirect();
    try {
      const { intent, confirm } = await h.pay('4242424242424242', { amount: 1500 });
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
      const action = confirm.body.next_action;
      assert.equal(action.type, 'redirect_to_url');
      const page = `/actions/post_${intent.id}/redirect`;
      assert.equal(action.redirect_to_url.url, `${h.url}${page}`, "an absolute URL on Kassa's origin");
      assert.equal(action.redirect_to_url.hosted_instructions_url, `/actions/post_${intent.id}`);
      assert.equal(JSON.stringify(confirm.body).includes('PaReq'), false, 'no provider field in the answer');
      const merchantView = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(JSON.stringify(merchantView.body).includes('eNpVUttygjAQ'), false, "nor in the merchant's view");
      assert.deepEqual(Object.keys(merchantView.body.next_action), ['type', 'redirect_to_url']);

      const res = await fetch(`${h.url}${page}?locale=zh-CN`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, new RegExp(`<form method="post" action="${PROVIDER_PAGE.replace(/[.]/g, '\\.')}" data-autosubmit>`));
      assert.match(html, /<input type="hidden" name="MD" value="md-&quot;1&quot;&lt;x&gt;">/, 'values escaped');
      assert.match(html, /<input type="hidden" name="PaReq" value="eNpVUttygjAQ==">/);
      assert.match(html, /<button type="submit">/, 'a button for a browser without script');
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /form-action https:\/\/acs\.example-bank\.test(;|$)/, csp);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const script = await (await fetch(`${h.url}/actions/assets/action.js`)).text();
      assert.match(script, /form\[data-autosubmit\]/, "Kassa's script submits it");
    } finally {
      await h.close();
    }
  });

  it('a server-side confirm with return_url gets the same page as its redirect; an action with no form has no form page', async () => {
    const h = await withPostRedirect();
    try {
      const intent = await h.createIntent({ amount: 1600 });
      const confirmed = await h.v1('POST', `/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa', return_url: 'https://shop.example/back' });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.deepEqual(confirmed.body.next_action.redirect_to_url, { url: `${h.url}/actions/post_${intent.id}/redirect`, return_url: 'https://shop.example/back' });
    } finally {
      await h.close();
    }
    const plain = await boot();
    try {
      const approveInApp = Object.keys(SANDBOX_CARDS).find((n) => SANDBOX_CARDS[n]?.kind === 'approve_in_app')!;
      const { confirm } = await plain.pay(approveInApp);
      const page = confirm.body.next_action.await_notification.hosted_instructions_url as string;
      const res = await fetch(`${plain.url}${page}/redirect`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
      const bad = await fetch(`${plain.url}${page}/redirect`, { method: 'POST' });
      assert.equal(bad.status, 405);
    } finally {
      await plain.close();
    }
  });
});
