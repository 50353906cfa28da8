import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDemo, type DemoServer } from '../server/index.js';

// Pages are rendered by the demo server from Vite's manifest; these tests use a small dist of
// their own so they do not depend on (or disturb) a real build. The only thing pages need from
// Kassa is /kassa.json (for the pinned script tag), which a small stand-in answers here, so what
// Kassa says can be chosen per test (demo/test/api.test.ts checks it against the real server).
let dist: string;
let demo: DemoServer;
let unbuilt: DemoServer;
let fakeKassa: FakeKassa;

const INTEGRITY = `sha384-${'A'.repeat(64)}`;

interface FakeKassa {
  url: string;
  /** What GET /kassa.json answers next. */
  reply: { status: number; body: unknown };
  /** How many times /kassa.json was asked for. */
  manifestRequests: number;
  close(): Promise<void>;
}

async function startFakeKassa(): Promise<FakeKassa> {
  const fake = {
    url: '',
    reply: { status: 200, body: {} as unknown },
    manifestRequests: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/kassa.json') {
      res.writeHead(404).end();
      return;
    }
    fake.manifestRequests += 1;
    res.writeHead(fake.reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(fake.reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.reply.body = { version: '0.1.0', url: `${fake.url}/kassa@0.1.0.js`, integrity: INTEGRITY };
  return fake;
}

/** A port nothing listens on (bound, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  dist = await mkdtemp(join(tmpdir(), 'kassa-demo-dist-'));
  await mkdir(join(dist, '.vite'), { recursive: true });
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(
    join(dist, '.vite', 'manifest.json'),
    JSON.stringify({
      'src/styles.css': { file: 'assets/styles-1.css', isEntry: true, src: 'src/styles.css' },
      'src/shop/main.ts': { file: 'assets/shop-1.js', isEntry: true, imports: ['_shared-1.js'] },
      'src/react/main.tsx': { file: 'assets/react-1.js', isEntry: true, imports: ['_shared-1.js'], css: ['assets/react-1.css'] },
      'src/vue/main.ts': { file: 'assets/vue-1.js', isEntry: true, imports: ['_shared-1.js'] },
      '_shared-1.js': { file: 'assets/shared-1.js' },
    }),
  );
  await writeFile(join(dist, 'assets', 'react-1.js'), 'console.log("react");\n');
  fakeKassa = await startFakeKassa();
  demo = await startDemo({ port: 0, kassaUrl: `${fakeKassa.url}/`, secretKey: 'sk_test_unused', distDir: dist });
  unbuilt = await startDemo({ port: 0, kassaUrl: fakeKassa.url, secretKey: 'sk_test_unused', distDir: join(dist, 'missing') });
});

after(async () => {
  await demo?.close();
  await unbuilt?.close();
  await fakeKassa?.close();
  await rm(dist, { recursive: true, force: true });
});

describe('demo pages', () => {
  it('listens on localhost, a different site from Kassa’s 127.0.0.1', () => {
    assert.match(demo.url, /^http:\/\/localhost:\d+$/);
  });

  it('links each page’s hashed bundle, its imports and the shared stylesheet', async () => {
    const react = await (await fetch(`${demo.url}/react`)).text();
    assert.ok(react.includes('<script type="module" src="/assets/react-1.js"></script>'));
    assert.ok(react.includes('<link rel="modulepreload" href="/assets/shared-1.js">'));
    assert.ok(react.includes('<link rel="stylesheet" href="/assets/styles-1.css">'));
    assert.ok(react.includes('<link rel="stylesheet" href="/assets/react-1.css">'));

    const shop = await (await fetch(`${demo.url}/`)).text();
    // kassa.js (classic script) comes before the page's module, from Kassa's origin.
    const kassaJs = shop.indexOf(`<script src="${fakeKassa.url}/kassa@0.1.0.js"`);
    assert.ok(kassaJs > 0 && kassaJs < shop.indexOf('/assets/shop-1.js'));
    const vue = await (await fetch(`${demo.url}/vue`)).text();
    assert.ok(vue.includes('/assets/vue-1.js'));
  });

  it('serves bundles with long-lived caching and 404s missing ones as JSON', async () => {
    const ok = await fetch(`${demo.url}/assets/react-1.js`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('cache-control') ?? '', /immutable/);
    const missing = await fetch(`${demo.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as { error: { message: string } };
    assert.ok(!body.error.message.includes(dist), 'no file-system paths in errors');
  });

  it('renders in the language asked for, remembers it, and falls back to Accept-Language', async () => {
    const zh = await fetch(`${demo.url}/?locale=zh-CN`);
    assert.match(await zh.text(), /<html lang="zh-CN">[\s\S]*商店/);
    const cookie = zh.headers.get('set-cookie') ?? '';
    assert.match(cookie, /kassa_demo_locale=zh-CN/);

    const remembered = await (await fetch(`${demo.url}/cards`, { headers: { Cookie: 'kassa_demo_locale=zh-CN' } })).text();
    assert.match(remembered, /<html lang="zh-CN">/);
    const browser = await (await fetch(`${demo.url}/cards`, { headers: { 'Accept-Language': 'zh-CN,zh;q=0.9' } })).text();
    assert.match(browser, /<html lang="zh-CN">/);
    const fallback = await (await fetch(`${demo.url}/cards?locale=fr`)).text();
    assert.match(fallback, /<html lang="en">/);
  });

  it('carries stable test ids on the shell', async () => {
    const page = await (await fetch(`${demo.url}/`)).text();
    for (const id of ['locale-switch', 'nav-shop', 'nav-react', 'nav-vue', 'nav-cards']) {
      assert.ok(page.includes(`data-testid="${id}"`), id);
    }
  });

  it('tells the React and Vue pages where Kassa is, for the bundled widget’s kassa-url; the plain page’s kassa.js knows', async () => {
    for (const page of ['react', 'vue']) {
      const body = await (await fetch(`${demo.url}/${page}`)).text();
      assert.ok(body.includes(`<main id="app" data-page="${page}" data-kassa-url="${fakeKassa.url}">`), body);
    }
    assert.doesNotMatch(await (await fetch(`${demo.url}/`)).text(), /data-kassa-url/);
  });

  it('says how to build when the bundles are missing', async () => {
    const response = await fetch(`${unbuilt.url}/vue`);
    assert.equal(response.status, 503);
    assert.match(await response.text(), /pnpm --filter @kassa\/demo build/);
    const cards = await fetch(`${unbuilt.url}/cards`);
    assert.equal(cards.status, 200, 'the card table needs no bundle');
  });
});

describe('the pinned kassa.js tag on the plain shop page', () => {
  it('names the version from Kassa’s /kassa.json with its integrity and crossorigin, asked once and cached', async () => {
    const asked = fakeKassa.manifestRequests;
    for (let i = 0; i < 3; i += 1) {
      const shop = await (await fetch(`${demo.url}/`)).text();
      assert.ok(shop.includes(`<script src="${fakeKassa.url}/kassa@0.1.0.js" integrity="${INTEGRITY}" crossorigin="anonymous"></script>`), shop);
      assert.ok(!shop.includes('not pinned'));
    }
    assert.ok(fakeKassa.manifestRequests - asked <= 1, 'the manifest is cached, not fetched per page view');
    // The framework pages bundle the widget: no tag, and no need to ask Kassa.
    const vue = await (await fetch(`${demo.url}/vue`)).text();
    assert.doesNotMatch(vue, /kassa(@[^"]*)?\.js/);
  });

  it('points the tag at the public URL the page’s CSP allows, whatever host the manifest names', async (t) => {
    const publicUrl = 'http://kassa.test:4242';
    const elsewhere = await startDemo({ port: 0, kassaUrl: fakeKassa.url, kassaPublicUrl: publicUrl, secretKey: 'sk_test_unused', distDir: dist });
    t.after(() => elsewhere.close());
    const response = await fetch(`${elsewhere.url}/`);
    assert.ok((await response.text()).includes(`<script src="${publicUrl}/kassa@0.1.0.js" integrity="${INTEGRITY}" crossorigin="anonymous">`));
    assert.match(response.headers.get('content-security-policy') ?? '', new RegExp(`script-src 'self' ${publicUrl}(;|$)`));
    // The framework pages' kassa-url is that same public URL, not the one the backend calls.
    assert.ok((await (await fetch(`${elsewhere.url}/react`)).text()).includes(`data-kassa-url="${publicUrl}"`));
  });

  it('falls back to the unpinned /kassa.js and says why while Kassa cannot tell, then pins once it can', async (t) => {
    const flaky = await startFakeKassa();
    t.after(() => flaky.close());
    // 0: ask again on every page view, so the test needs no clock.
    const shop = await startDemo({ port: 0, kassaUrl: flaky.url, secretKey: 'sk_test_unused', distDir: dist, kassaScriptRetryMs: 0 });
    t.after(() => shop.close());

    flaky.reply = { status: 503, body: { error: { type: 'api_error', code: 'widget_not_built', message: 'widget not built: run pnpm build' } } };
    let page = await (await fetch(`${shop.url}/`)).text();
    assert.ok(page.includes(`<!-- kassa.js is not pinned: Kassa answered 503 for /kassa.json; the demo asks again on a later page view -->\n<script src="${flaky.url}/kassa.js"></script>`), page);
    assert.doesNotMatch(page, /integrity=/);

    // Whatever Kassa says is checked before it reaches an attribute.
    flaky.reply = { status: 200, body: { version: '0.1.0', url: `${flaky.url}/kassa@0.1.0.js`, integrity: 'sha384-"><script>alert(1)</script>' } };
    page = await (await fetch(`${shop.url}/`)).text();
    assert.ok(page.includes('kassa.js is not pinned: Kassa answered with an unexpected manifest'), page);
    assert.ok(!page.includes('alert(1)'));

    flaky.reply = { status: 200, body: { version: '0.2.0', url: `${flaky.url}/kassa@0.2.0.js`, integrity: INTEGRITY } };
    page = await (await fetch(`${shop.url}/`)).text();
    assert.ok(page.includes(`<script src="${flaky.url}/kassa@0.2.0.js" integrity="${INTEGRITY}" crossorigin="anonymous"></script>`), page);
    assert.ok(!page.includes('not pinned'));
  });

  it('still renders the page, unpinned, when Kassa is not running at all', async (t) => {
    const kassaUrl = `http://127.0.0.1:${await closedPort()}`;
    const shop = await startDemo({ port: 0, kassaUrl, secretKey: 'sk_test_unused', distDir: dist });
    t.after(() => shop.close());
    const response = await fetch(`${shop.url}/`);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes(`<!-- kassa.js is not pinned: Kassa did not answer for /kassa.json; the demo asks again on a later page view -->\n<script src="${kassaUrl}/kassa.js"></script>`), page);
  });
});
