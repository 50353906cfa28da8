/**
 * What browsers see: CORS on the widget API for the merchant's origins only, no CORS (and
 * no cross-site calls) for card tokenization, the card frame's CSP, and the served scripts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOP, boot } from './helpers.js';
import type { Harness } from './helpers.js';

describe('CORS on the widget API', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it("answers a preflight from the merchant's origin with exactly the methods and headers the widget uses", async () => {
    const intent = await h.createIntent();
    for (const path of [`/client/payment_intents/${intent.id}`, `/client/payment_intents/${intent.id}/confirm`]) {
      const res = await fetch(`${h.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST');
      assert.equal(res.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, Idempotency-Key');
      assert.match(res.headers.get('vary') ?? '', /Origin/);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
    }
  });

  it('allows the actual request from that origin and exposes the replay header', async () => {
    const intent = await h.createIntent();
    const res = await fetch(`${h.url}/client/payment_intents/${intent.id}`, { headers: { origin: SHOP, authorization: `Bearer ${intent.client_secret}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Idempotent-Replayed/);
  });

  it('refuses any other origin, preflight or not, without CORS headers and without acting', async () => {
    const intent = await h.createIntent();
    const token = await h.tokenize(intent.client_secret);
    const evil = 'https://evil.example';
    const preflight = await fetch(`${h.url}/client/payment_intents/${intent.id}/confirm`, {
      method: 'OPTIONS',
      headers: { origin: evil, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const confirm = await fetch(`${h.url}/client/payment_intents/${intent.id}/confirm`, {
      method: 'POST',
      headers: { origin: evil, authorization: `Bearer ${intent.client_secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payment_method: token.body.id }),
    });
    assert.equal(confirm.status, 403);
    assert.equal(confirm.headers.get('access-control-allow-origin'), null);
    assert.equal(((await confirm.json()) as any).error.code, 'origin_not_allowed');
    assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
  });

  it("uses the intent's merchant's origins, not another merchant's", async () => {
    const other = await h.kassa.createMerchant({ allowedOrigins: ['https://other-shop.example'] });
    const theirs = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny' }, { key: other.secretKey });
    const fromUs = await fetch(`${h.url}/client/payment_intents/${theirs.body.id}`, {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'GET' },
    });
    assert.equal(fromUs.status, 403);
    const fromThem = await fetch(`${h.url}/client/payment_intents/${theirs.body.id}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://other-shop.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(fromThem.headers.get('access-control-allow-origin'), 'https://other-shop.example');
  });

  it('card tokenization has no CORS and refuses cross-site callers', async () => {
    const intent = await h.createIntent();
    const card = JSON.stringify({ card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } });
    const headers = { authorization: `Bearer ${intent.client_secret}`, 'content-type': 'application/json' };
    const fromShop = await fetch(`${h.url}/client/tokens`, { method: 'POST', headers: { ...headers, origin: SHOP }, body: card });
    assert.equal(fromShop.status, 403);
    assert.equal(fromShop.headers.get('access-control-allow-origin'), null);
    const crossSite = await fetch(`${h.url}/client/tokens`, { method: 'POST', headers: { ...headers, 'sec-fetch-site': 'cross-site' }, body: card });
    assert.equal(crossSite.status, 403);
    const preflight = await fetch(`${h.url}/client/tokens`, { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const sameOrigin = await fetch(`${h.url}/client/tokens`, {
      method: 'POST',
      headers: { ...headers, origin: h.url, 'sec-fetch-site': 'same-origin' },
      body: card,
    });
    assert.equal(sameOrigin.status, 200);
    assert.deepEqual(Object.keys((await sameOrigin.json()) as object).sort(), ['card', 'created', 'id', 'object']);
  });

  it('API responses carry strict headers and are never cached', async () => {
    const intent = await h.createIntent();
    const res = await fetch(`${h.url}/client/payment_intents/${intent.id}`, { headers: { authorization: `Bearer ${intent.client_secret}` } });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none';frame-ancestors 'none'/);
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.match(res.headers.get('request-id') ?? '', /^req_/);
  });
});

describe('card frame page', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  it('serves the frame to an allowed origin under a CSP that only that origin may frame', async () => {
    const res = await fetch(`${h.url}/frame/card?channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}&locale=zh-CN`);
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.equal(
      res.headers.get('content-security-policy'),
      `default-src 'none';script-src 'self';connect-src 'self';style-src 'self';img-src 'self' data:;frame-ancestors ${SHOP};base-uri 'none';form-action 'none'`,
    );
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.match(html, /<script type="module" src="\/frame\/card\.js"><\/script>/);
    assert.match(html, /<kassa-card-frame><\/kassa-card-frame>/);
    assert.match(html, /<html lang="zh-CN">/);
    assert.doesNotMatch(html, /<script>|style="/);
    const css = await fetch(`${h.url}/frame/frame.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
  });

  it('is 400 for an origin no merchant allows, a bad channel, a bad locale or an extra parameter', async () => {
    const cases = [
      `channel=chan_abcdefgh&origin=${encodeURIComponent('https://evil.example')}`,
      `channel=short&origin=${encodeURIComponent(SHOP)}`,
      `origin=${encodeURIComponent(SHOP)}`,
      `channel=chan_abcdefgh`,
      `channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}&locale=${encodeURIComponent('"><script>')}`,
      `channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}&extra=1`,
      `channel=chan_abcdefgh&channel=chan_other123&origin=${encodeURIComponent(SHOP)}`,
    ];
    for (const q of cases) {
      const res = await fetch(`${h.url}/frame/card?${q}`);
      assert.equal(res.status, 400, q);
      const body = (await res.json()) as any;
      assert.equal(body.error.type, 'invalid_request_error', q);
      assert.ok(!(res.headers.get('content-security-policy') ?? '').includes('frame-ancestors http'), q);
    }
  });

  it('every answer of /frame/card, errors included, carries the frame headers (framable by nobody until the origin is checked, never cached)', async () => {
    const ok = `channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}`;
    const cases: Array<[string, RequestInit, string, number]> = [
      ['origin no merchant allows', {}, `channel=chan_abcdefgh&origin=${encodeURIComponent('https://evil.example')}`, 400],
      ['bad channel', {}, `channel=short&origin=${encodeURIComponent(SHOP)}`, 400],
      ['missing origin', {}, 'channel=chan_abcdefgh', 400],
      ['extra parameter', {}, `${ok}&extra=1`, 400],
      ['POST', { method: 'POST' }, ok, 405],
      ['PUT', { method: 'PUT' }, ok, 405],
    ];
    for (const [name, init, q, status] of cases) {
      const res = await fetch(`${h.url}/frame/card?${q}`, init);
      assert.equal(res.status, status, name);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, name);
      assert.ok(csp.split(';').includes("frame-ancestors 'none'"), `${name}: ${csp}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', name);
      assert.equal(res.headers.get('cache-control'), 'no-store', name);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', name);
      assert.ok(res.headers.get('cross-origin-resource-policy'), name);
      assert.equal(res.headers.get('x-frame-options'), null, name);
    }
  });
});

describe('served scripts', () => {
  it('returns 503 "widget not built" while the widget has no build output', async () => {
    const h = await boot();
    try {
      for (const path of ['/kassa.js', '/frame/card.js']) {
        const res = await fetch(`${h.url}${path}`);
        assert.equal(res.status, 503, path);
        const body = (await res.json()) as any;
        assert.equal(body.error.code, 'widget_not_built');
        assert.equal(body.error.message, 'widget not built: run pnpm build');
      }
      assert.equal((await fetch(`${h.url}/frame/other-chunk.js`)).status, 404);
    } finally {
      await h.close();
    }
  });

  it('serves kassa.js to any site, cacheable briefly, and the frame script same-origin', async (t) => {
    const dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    t.after(() => rmSync(dist, { recursive: true, force: true }));
    mkdirSync(join(dist, 'frame'), { recursive: true });
    writeFileSync(join(dist, 'kassa.js'), 'console.log("kassa")\n');
    writeFileSync(join(dist, 'frame', 'card.js'), 'export {}\n');
    writeFileSync(join(dist, 'frame', 'chunk-abc.js'), 'export const x = 1\n');
    const served = await boot({ widgetDistDir: dist });
    t.after(() => served.close());

    const js = await fetch(`${served.url}/kassa.js`);
    assert.equal(js.status, 200);
    assert.equal(await js.text(), 'console.log("kassa")\n');
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('access-control-allow-origin'), '*');
    assert.equal(js.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=300, must-revalidate');
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    const etag = js.headers.get('etag');
    assert.ok(etag);
    // fetch would add "Cache-Control: no-cache" to a conditional request; a browser revalidating sends max-age=0.
    const revalidated = await fetch(`${served.url}/kassa.js`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    assert.equal(revalidated.status, 304);

    const frame = await fetch(`${served.url}/frame/card.js`);
    assert.equal(frame.status, 200);
    assert.match(frame.headers.get('content-type') ?? '', /javascript/);
    assert.equal(frame.headers.get('cross-origin-resource-policy'), 'same-origin');
    assert.equal((await fetch(`${served.url}/frame/chunk-abc.js`)).status, 200);
    assert.equal((await fetch(`${served.url}/frame/..%2fkassa.js`)).status, 404);
    assert.equal((await fetch(`${served.url}/frame/.hidden.js`)).status, 404);
    assert.equal((await fetch(`${served.url}/kassa.js`, { method: 'POST' })).status, 405);
  });
});

describe('served scripts, compressed and cacheable', () => {
  it('sends brotli or gzip as the browser accepts, with an ETag per encoding, and 304 on revalidation', async (t) => {
    const dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    t.after(() => rmSync(dist, { recursive: true, force: true }));
    mkdirSync(join(dist, 'frame'), { recursive: true });
    const source = `console.log(${JSON.stringify('kassa '.repeat(2000))});\n`;
    writeFileSync(join(dist, 'kassa.js'), source);
    const served = await boot({ widgetDistDir: dist });
    t.after(() => served.close());
    const { request } = await import('node:http');
    // node's fetch decodes bodies; read the wire bytes with http.request instead.
    const raw = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = request(`${served.url}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
    const br = await raw('/kassa.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers.vary), /Accept-Encoding/);
    assert.equal(brotliDecompressSync(br.body).toString(), source);
    assert.ok(br.body.length < source.length / 10, `compressed: ${br.body.length} of ${source.length}`);
    const gz = await raw('/kassa.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), source);
    const plain = await raw('/kassa.js', { 'accept-encoding': 'identity' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), source);
    const noBr = await raw('/kassa.js', { 'accept-encoding': 'br;q=0, gzip' });
    assert.equal(noBr.headers['content-encoding'], 'gzip');
    // Each encoding has its own strong ETag; revalidating one gives 304 with no body.
    const etags = new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]);
    assert.equal(etags.size, 3);
    const again = await raw('/kassa.js', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  it('serves the frame script from a content-addressed URL, cached for good, which the frame page links', async (t) => {
    const dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    t.after(() => rmSync(dist, { recursive: true, force: true }));
    mkdirSync(join(dist, 'frame'), { recursive: true });
    mkdirSync(join(dist, 'locales'), { recursive: true });
    writeFileSync(join(dist, 'frame', 'card.js'), 'import("./ja-AbCd1234.js");\n');
    writeFileSync(join(dist, 'frame', 'ja-AbCd1234.js'), 'export default {};\n');
    writeFileSync(join(dist, 'frame', 'manifest.json'), JSON.stringify({ 'src/i18n/locales/ja.ts': { file: 'frame/ja-AbCd1234.js' } }));
    writeFileSync(join(dist, 'locales', 'ja.json'), JSON.stringify({ frameTitle: 'カード情報' }));
    const served = await boot({ widgetDistDir: dist });
    t.after(() => served.close());
    const page = await (await fetch(`${served.url}/frame/card?channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}&locale=ja-JP`)).text();
    const src = /<script type="module" src="(\/frame\/card\.[0-9a-f]{16}\.js)"><\/script>/.exec(page)?.[1];
    assert.ok(src, page);
    assert.match(page, /<html lang="ja">/);
    assert.match(page, /<title>カード情報<\/title>/);
    assert.match(page, /<link rel="modulepreload" href="\/frame\/ja-AbCd1234\.js">/);
    const script = await fetch(`${served.url}${src}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await script.text(), 'import("./ja-AbCd1234.js");\n');
    const chunk = await fetch(`${served.url}/frame/ja-AbCd1234.js`);
    assert.equal(chunk.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(chunk.headers.get('cross-origin-resource-policy'), 'same-origin');
    // The plain name is revalidated; a hash of another build is unknown, never a substitute.
    assert.equal((await fetch(`${served.url}/frame/card.js`)).headers.get('cache-control'), 'no-cache');
    assert.equal((await fetch(`${served.url}/frame/card.0123456789abcdef.js`)).status, 404);
    // After a rebuild the page links the new hash.
    writeFileSync(join(dist, 'frame', 'card.js'), 'import("./ja-AbCd1234.js"); // v2\n');
    const later = await (await fetch(`${served.url}/frame/card?channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}`)).text();
    assert.notEqual(/src="(\/frame\/card\.[0-9a-f]{16}\.js)"/.exec(later)?.[1], src);
    assert.match(later, /<html lang="en">/);
    assert.doesNotMatch(later, /modulepreload/);
    assert.equal((await fetch(`${served.url}${src}`)).status, 404);
  });
});
