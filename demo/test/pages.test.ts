import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemo, type DemoServer } from '../server/index.js';

// Pages are rendered by the demo server from Vite's manifest; these tests use a small dist of
// their own so they do not depend on (or disturb) a real build. No Kassa is needed for pages.
let dist: string;
let demo: DemoServer;
let unbuilt: DemoServer;

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
  demo = await startDemo({ port: 0, kassaUrl: 'http://127.0.0.1:4242/', secretKey: 'sk_test_unused', distDir: dist });
  unbuilt = await startDemo({ port: 0, kassaUrl: 'http://127.0.0.1:4242', secretKey: 'sk_test_unused', distDir: join(dist, 'missing') });
});

after(async () => {
  await demo?.close();
  await unbuilt?.close();
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
    assert.ok(shop.indexOf('<script src="http://127.0.0.1:4242/kassa.js">') < shop.indexOf('/assets/shop-1.js'));
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

  it('says how to build when the bundles are missing', async () => {
    const response = await fetch(`${unbuilt.url}/vue`);
    assert.equal(response.status, 503);
    assert.match(await response.text(), /pnpm --filter @kassa\/demo build/);
    const cards = await fetch(`${unbuilt.url}/cards`);
    assert.equal(cards.status, 200, 'the card table needs no bundle');
  });
});
