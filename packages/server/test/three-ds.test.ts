/**
 * 3-D Secure on the sandbox: the challenge page is framed by the shop, the shopper's choice
 * is a form POST, and the result page tells the shop with one postMessage to its origin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, SHOP, boot, challengeUrl, outboxTypes, overriding } from './helpers.js';
import type { Harness } from './helpers.js';
import type { PaymentProvider } from '../src/index.js';

/** The per-challenge token the challenge page's form carries (a hidden input). */
async function pageToken(url: string): Promise<string> {
  const html = await (await fetch(url)).text();
  const m = /<input type="hidden" name="token" value="([^"]+)">/.exec(html);
  if (!m) throw new Error(`no form token in the challenge page: ${html.slice(0, 300)}`);
  return m[1]!;
}

/** Posts the page's form as a browser would from the page itself (same-origin). */
async function choose(url: string, result: string, token: string | null, contentType = 'application/x-www-form-urlencoded', headers: Record<string, string> = {}) {
  const body = token === null ? `result=${result}` : `result=${result}&token=${encodeURIComponent(token)}`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, 'sec-fetch-site': 'same-origin', origin: new URL(url).origin, ...headers }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Headers every answer of a framed Kassa page carries, errors included. */
function assertPageHeaders(res: { headers: Headers }, frameAncestors: string, label: string) {
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, label);
  assert.ok(csp.split(';').includes(`frame-ancestors ${frameAncestors}`), `${label}: ${csp}`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', label);
  assert.equal(res.headers.get('cache-control'), 'no-store', label);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', label);
  assert.ok(res.headers.get('cross-origin-resource-policy'), label);
}

describe('3-D Secure challenge', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  async function challenged(params: Record<string, unknown> = {}) {
    const { intent, confirm } = await h.pay(CARDS.threeDS, params);
    assert.equal(confirm.body.status, 'requires_action');
    const url = challengeUrl(confirm.body.next_action.three_d_secure.url);
    return { intent, url, token: await pageToken(url) };
  }

  it('serves a challenge page framable only by the shop, with the two choices and no inline script', async () => {
    const { url } = await challenged();
    const res = await fetch(url);
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`frame-ancestors ${SHOP}(;|$)`));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.match(html, /<button[^>]*value="pass"[^>]*>Complete authentication/);
    assert.match(html, /<button[^>]*value="fail"[^>]*>Fail authentication/);
    assert.match(html, /完成验证/);
    assert.match(html, /¥128\.00|CN¥128\.00/);
    assert.doesNotMatch(html, /<script>(?!<\/script>)/, 'no inline script');
    assert.doesNotMatch(html, /style="/);
  });

  it('when the shopper completes authentication, then the payment is charged and the result page posts challenge_complete to the shop', async () => {
    const { intent, url, token } = await challenged();
    const before = h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.balance ?? 100_000_000;
    const res = await choose(url, 'pass', token);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', new RegExp(`frame-ancestors ${SHOP}`));
    assert.match(res.text, /Authentication complete/);
    assert.match(res.text, /data-channel="chan_12345678"/);
    assert.match(res.text, new RegExp(`data-origin="${SHOP}"`));
    assert.match(res.text, new RegExp(`data-payment-intent="${intent.id}"`));
    assert.match(res.text, /<script src="\/sandbox\/assets\/challenge-complete\.js"><\/script>/);

    const view = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
    assert.equal(view.body.status, 'succeeded');
    assert.equal(view.body.next_action, null);
    assert.equal(h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.balance, before - 12800);
    assert.deepEqual(outboxTypes(h.db(), intent.id), ['payment_intent.created', 'payment_intent.requires_action', 'charge.succeeded', 'payment_intent.succeeded']);

    // A second POST (double click, reload) changes nothing and charges nothing.
    const again = await choose(url, 'pass', token);
    assert.equal(again.status, 200);
    assert.equal(h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.balance, before - 12800);
    const late = await choose(url, 'fail', token);
    assert.equal(late.status, 200);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
  });

  it('the result script posts exactly the protocol message to exactly the framing origin', async () => {
    const res = await fetch(`${h.url}/sandbox/assets/challenge-complete.js`);
    const js = await res.text();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.match(js, /window\.parent\.postMessage\(\{ kassa: 1, channel: d\.channel, type: 'challenge_complete', paymentIntent: d\.paymentIntent \}, d\.origin\)/);
  });

  it('with manual capture, a passed challenge leaves the funds on hold', async () => {
    const { intent, url, token } = await challenged({ capture_method: 'manual', amount: 4000 });
    await choose(url, 'pass', token);
    const view = await h.v1('GET', `/payment_intents/${intent.id}`);
    assert.equal(view.body.status, 'requires_capture');
    assert.equal(view.body.amount_capturable, 4000);
    assert.ok((h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.held ?? 0) >= 4000);
    const captured = await h.v1('POST', `/payment_intents/${intent.id}/capture`, {});
    assert.equal(captured.body.status, 'succeeded');
  });

  it('when the shopper fails authentication, then the intent needs another payment method and nothing is charged', async () => {
    const { intent, url, token: formToken } = await challenged();
    const before = h.kassa.sandboxAccount(CARDS.threeDS, 'cny') ?? { balance: 100_000_000, held: 0 };
    const res = await choose(url, 'fail', formToken);
    assert.equal(res.status, 200);
    assert.match(res.text, /Authentication failed/);
    assert.match(res.text, new RegExp(`data-payment-intent="${intent.id}"`));
    const view = await h.client('GET', `/payment_intents/${intent.id}`, intent.client_secret);
    assert.equal(view.body.status, 'requires_payment_method');
    assert.equal(view.body.last_payment_error.code, 'payment_intent_authentication_failure');
    assert.equal(view.body.last_payment_error.type, 'card_error');
    assert.deepEqual(h.kassa.sandboxAccount(CARDS.threeDS, 'cny') ?? before, before);
    assert.deepEqual(outboxTypes(h.db(), intent.id).slice(-1), ['payment_intent.payment_failed']);

    // The shopper may then pay with another card.
    const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
    const retry = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
    assert.equal(retry.body.status, 'succeeded');
  });

  it('when the page is asked for by an origin the merchant does not allow, then 400 and no page', async () => {
    const { confirm } = await h.pay(CARDS.threeDS);
    const evil = challengeUrl(confirm.body.next_action.three_d_secure.url, 'https://evil.example');
    const get = await fetch(evil);
    assert.equal(get.status, 400);
    assert.equal(((await get.json()) as any).error.code, 'origin_not_allowed');
    const post = await choose(evil, 'pass', await pageToken(challengeUrl(confirm.body.next_action.three_d_secure.url)));
    assert.equal(post.status, 400);
    const view = await h.v1('GET', `/payment_intents/${confirm.body.id}`);
    assert.equal(view.body.status, 'requires_action', 'a refused POST decides nothing');
  });

  it("only the intent's merchant's origins may frame it", async () => {
    const other = await h.kassa.createMerchant({ allowedOrigins: ['https://other-shop.example'] });
    const pi = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: other.secretKey });
    const token = await h.tokenize(pi.body.client_secret, { number: CARDS.threeDS });
    const confirm = await h.client('POST', `/payment_intents/${pi.body.id}/confirm`, pi.body.client_secret, { payment_method: token.body.id });
    const url = confirm.body.next_action.three_d_secure.url as string;
    assert.equal((await fetch(challengeUrl(url, SHOP))).status, 400);
    assert.equal((await fetch(challengeUrl(url, 'https://other-shop.example'))).status, 200);
  });

  it('bad channel, missing origin, unknown challenge, bad choice and wrong content type are 4xx', async () => {
    const { url, token } = await challenged();
    const u = new URL(url);
    u.searchParams.set('channel', 'x');
    assert.equal((await fetch(u)).status, 400);
    u.searchParams.delete('channel');
    assert.equal((await fetch(u)).status, 400);
    const noOrigin = new URL(url);
    noOrigin.searchParams.delete('origin');
    assert.equal((await fetch(noOrigin)).status, 400);
    const extra = new URL(url);
    extra.searchParams.set('debug', '1');
    assert.equal((await fetch(extra)).status, 400);
    assert.equal((await fetch(`${h.url}/sandbox/3ds/tds_doesnotexist00?channel=chan_12345678&origin=${SHOP}`)).status, 404);
    assert.equal((await fetch(`${h.url}/sandbox/3ds/nope?channel=chan_12345678&origin=${SHOP}`)).status, 404);
    assert.equal((await choose(url, 'maybe', token)).status, 400);
    assert.equal((await choose(url, 'pass', token, 'text/plain')).status, 415);
    const big = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `result=pass&token=${token}&x=${'a'.repeat(20_000)}` });
    assert.equal(big.status, 413);
  });
  it('the page form carries a per-challenge token; a POST without it, or with a wrong one, is 403 and decides nothing', async () => {
    const { intent, url, token } = await challenged();
    const html = await (await fetch(url)).text();
    assert.match(html, /<form method="post" action="[^"]+">\n<input type="hidden" name="token" value="[A-Za-z0-9_-]{43}">/);
    const other = await challenged();
    assert.notEqual(other.token, token, 'one token per challenge');
    for (const [name, t] of [
      ['missing', null],
      ['empty', ''],
      ['wrong', 'A'.repeat(43)],
      ["another challenge's", other.token],
      ['truncated', token.slice(0, 20)],
    ] as const) {
      const res = await choose(url, 'pass', t);
      assert.equal(res.status, 403, `${name}: ${res.text}`);
      assert.equal(JSON.parse(res.text).error.code, 'form_token_invalid', name);
      assertPageHeaders(res, SHOP, name);
    }
    // The token in a JSON body is refused too when wrong.
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'pass' }) });
    assert.equal(json.status, 403);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_action', 'nothing decided');
    assert.equal(h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.held ?? 0, h.kassa.sandboxAccount(CARDS.threeDS, 'cny')?.held ?? 0);
    // The page's own form still works.
    const ok = await choose(url, 'pass', token);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
  });

  it('a cross-site POST (Sec-Fetch-Site or Origin not this server) is 403 origin_not_allowed, even with the token, and decides nothing', async () => {
    const { intent, url, token } = await challenged();
    const cases: Array<[string, Record<string, string>]> = [
      ['cross-site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
      ['same-site', { 'sec-fetch-site': 'same-site', origin: 'http://sub.localhost:4242' }],
      ['none', { 'sec-fetch-site': 'none' }],
      ['evil origin only', { 'sec-fetch-site': '', origin: 'https://evil.example' }],
      ['the shop itself', { 'sec-fetch-site': 'cross-site', origin: SHOP }],
      ['null origin', { origin: 'null' }],
      ['null origin, cross-site', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [name, headers] of cases) {
      const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''));
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...sent },
        body: `result=pass&token=${encodeURIComponent(token)}`,
      });
      const text = await res.text();
      assert.equal(res.status, 403, `${name}: ${text}`);
      assert.equal(JSON.parse(text).error.code, 'origin_not_allowed', name);
      assertPageHeaders(res, SHOP, name);
    }
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_action', 'nothing decided');
    // No Sec-Fetch-Site and no Origin (an old browser, curl) still needs the token, and passes with it.
    const bare = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `result=fail&token=${encodeURIComponent(token)}` });
    assert.equal(bare.status, 200);
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
  });

  it("the page's own form as Chromium posts it under Referrer-Policy: no-referrer (Origin: null, Sec-Fetch-Site: same-origin) is accepted", async () => {
    const { intent, url, token } = await challenged();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'same-origin' },
      body: `result=pass&token=${encodeURIComponent(token)}`,
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'succeeded');
  });

  it('every answer of the challenge route carries the page headers, errors included', async () => {
    const { url, token } = await challenged();
    const page = await fetch(url);
    assertPageHeaders(page, SHOP, 'page');
    const bad = (mutate: (u: URL) => void) => {
      const u = new URL(url);
      mutate(u);
      return u.href;
    };
    const cases: Array<[string, Promise<Response>, number, string]> = [
      ['bad channel', fetch(bad((u) => u.searchParams.set('channel', 'x'))), 400, "'none'"],
      ['missing origin', fetch(bad((u) => u.searchParams.delete('origin'))), 400, "'none'"],
      ['origin not allowed', fetch(bad((u) => u.searchParams.set('origin', 'https://evil.example'))), 400, "'none'"],
      ['unknown challenge', fetch(`${h.url}/sandbox/3ds/tds_doesnotexist00?channel=chan_12345678&origin=${SHOP}`), 404, "'none'"],
      ['malformed id', fetch(`${h.url}/sandbox/3ds/nope?channel=chan_12345678&origin=${SHOP}`), 404, "'none'"],
      ['PUT', fetch(url, { method: 'PUT' }), 405, "'none'"],
      ['DELETE', fetch(url, { method: 'DELETE' }), 405, "'none'"],
      ['deeper path', fetch(`${h.url}/sandbox/3ds/tds_x/y`), 404, "'none'"],
    ];
    for (const [name, pending, status, ancestors] of cases) {
      const res = await pending;
      assert.equal(res.status, status, name);
      assertPageHeaders(res, ancestors, name);
      assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /evil/, name);
    }
    assert.equal((await fetch(url, { method: 'PUT' })).headers.get('allow'), 'GET, POST');
    // After the origin is checked, errors may name it as the framer.
    for (const [name, res] of [
      ['bad choice', await choose(url, 'maybe', token)],
      ['wrong content type', await choose(url, 'pass', token, 'text/plain')],
    ] as const) {
      assert.ok(res.status >= 400 && res.status < 500, name);
      assertPageHeaders(res, SHOP, name);
    }
  });
});

describe('3-D Secure completion that fails after the shopper chose', () => {
  let h: Harness;
  const lines: string[] = [];
  before(async () => {
    h = await boot({
      logLevel: 'info',
      logDestination: { write: (l: string) => void lines.push(l) },
      wrapProvider: (inner: PaymentProvider): PaymentProvider =>
        overriding(inner, {
          completeAction: async () => {
            throw new Error('connect ECONNREFUSED 10.0.0.7:443 (issuer secret internals)');
          },
        }),
    });
  });
  after(async () => {
    await h.close();
  });

  it('shows a result page (in English and Chinese) that says the payment is not confirmed yet, still tells the shop, and logs the error', async () => {
    const { intent, confirm } = await h.pay(CARDS.threeDS);
    assert.equal(confirm.body.status, 'requires_action');
    const url = challengeUrl(confirm.body.next_action.three_d_secure.url);
    const res = await choose(url, 'pass', await pageToken(url));
    // 200: the shopper's choice was recorded; only the settlement is pending (see the router).
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assertPageHeaders(res, SHOP, 'failure page');
    assert.match(res.text, /<html lang="en">/);
    assert.match(res.text, /could not be confirmed yet/i);
    assert.match(res.text, /return to the shop/i);
    assert.match(res.text, /lang="zh-CN">[^<]*(暂时无法确认|尚未确认)/);
    assert.match(res.text, /返回商店/);
    assert.doesNotMatch(res.text, /ECONNREFUSED|10\.0\.0\.7|internals|"error"|stack|\n\s+at /);
    assert.match(res.text, /data-channel="chan_12345678"/);
    assert.match(res.text, new RegExp(`data-origin="${SHOP}"`));
    assert.match(res.text, new RegExp(`data-payment-intent="${intent.id}"`));
    assert.match(res.text, /<script src="\/sandbox\/assets\/challenge-complete\.js"><\/script>/);
    assert.doesNotMatch(res.text, /<script>(?!<\/script>)/, 'no inline script');

    // The line is written on 'finish', which may come just after the client has the answer.
    // The request's own log line carries the error, at error level, with the request id.
    const path = new URL(url).pathname;
    const logged = () =>
      lines
        .flatMap((l) => l.split('\n'))
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>)
        .find((e) => e.req?.path === path && e.req?.method === 'POST');
    for (let i = 0; i < 50 && !logged(); i++) await new Promise((r) => setTimeout(r, 20));
    const entry = logged();
    assert.ok(entry, 'the request is logged');
    assert.equal(entry.level, 'error');
    assert.equal(entry.msg, 'request failed');
    assert.equal(typeof entry.err?.message, 'string');
    assert.equal(typeof entry.err?.stack, 'string');
    assert.equal(entry.req.id, res.headers.get('request-id'));
  });

  it('a failed authentication whose completion fails gets the same page', async () => {
    const { confirm } = await h.pay(CARDS.threeDS);
    const url = challengeUrl(confirm.body.next_action.three_d_secure.url);
    const token = await pageToken(url);
    const res = await choose(url, 'fail', token);
    assert.equal(res.status, 200);
    assert.match(res.text, /could not be confirmed yet/i);
    assert.match(res.text, /kassa-challenge-result/);
  });
});

describe('an adapter that answers a next action it does not declare', () => {
  it('the shopper still gets the challenge (the payment waits at the provider for it), and the operator an error naming the adapter and the action', async () => {
    const lines: string[] = [];
    const h = await boot({
      logLevel: 'info',
      logDestination: { write: (l: string) => void lines.push(l) },
      // Its capabilities claim no challenge for cards; it answers one anyway.
      wrapProvider: (inner: PaymentProvider): PaymentProvider =>
        overriding(inner, { capabilities: { ...inner.capabilities, nextActions: ['await_notification'] } }),
    });
    try {
      const { intent, confirm } = await h.pay(CARDS.threeDS);
      assert.equal(confirm.body.status, 'requires_action', JSON.stringify(confirm.body));
      const entries = lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const said = entries.find((e) => typeof e.msg === 'string' && e.msg.includes('does not declare'));
      assert.ok(said, 'logged');
      assert.deepEqual([said.level, said.paymentIntent, said.action, said.method, said.declared], ['error', intent.id, 'three_d_secure', 'card', ['await_notification']]);
      // A payment whose answer the adapter declares says nothing of the kind.
      lines.length = 0;
      await h.pay(CARDS.visa);
      assert.ok(!lines.join('').includes('does not declare'));
    } finally {
      await h.close();
    }
  });
});
