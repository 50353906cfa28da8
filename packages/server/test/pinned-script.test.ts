/**
 * Pinned kassa.js: `/kassa@<version>.js` serves the same bytes as `/kassa.js` but cacheable for
 * good, any other version is a clear 404, and `/kassa.json` gives the pinned URL with the
 * Subresource Integrity hash of exactly the bytes served — recomputed after a rebuild.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot } from './helpers.js';
import type { Harness } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../widget/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const PINNED = `/kassa@${VERSION}.js`;

const sri = (bytes: Uint8Array | string) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

describe('pinned kassa.js and /kassa.json', () => {
  let h: Harness;
  let dist: string;
  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    mkdirSync(join(dist, 'frame'), { recursive: true });
    writeFileSync(join(dist, 'kassa.js'), 'console.log("kassa v1")\n');
    h = await boot({ widgetDistDir: dist });
  });
  after(async () => {
    await h.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it("serves the widget package's version with the same bytes as /kassa.js, cacheable for a year, to any site", async () => {
    const latest = await fetch(`${h.url}/kassa.js`);
    const pinned = await fetch(`${h.url}${PINNED}`);
    assert.equal(pinned.status, 200);
    assert.deepEqual(Buffer.from(await pinned.arrayBuffer()), Buffer.from(await latest.arrayBuffer()));
    assert.match(pinned.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(pinned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(pinned.headers.get('access-control-allow-origin'), '*');
    assert.equal(pinned.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(pinned.headers.get('x-content-type-options'), 'nosniff');
    // The latest URL keeps its short cache.
    assert.equal(latest.headers.get('cache-control'), 'public, max-age=300, must-revalidate');
    const head = await fetch(`${h.url}${PINNED}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('answers any other version with a 404 naming the one available, never cacheable', async () => {
    for (const other of ['0.0.1', `${VERSION}-beta.1`, 'latest', '', 'x'.repeat(200)]) {
      const res = await fetch(`${h.url}/kassa@${other}.js`);
      assert.equal(res.status, 404, other);
      assert.equal(res.headers.get('cache-control'), 'no-store', other);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', other);
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.code, 'resource_missing');
      assert.ok(body.error.message.includes(`version ${VERSION}`), body.error.message);
      assert.ok(body.error.message.includes(PINNED), body.error.message);
      assert.ok(body.error.message.length < 300, 'a long path is not echoed whole');
    }
    // Not a version at all: an ordinary unknown route.
    assert.equal((await fetch(`${h.url}/kassa@${VERSION}.mjs`)).status, 404);
    assert.equal((await fetch(`${h.url}/kassa@${VERSION}.js/x`)).status, 404);
  });

  it('describes the pinned URL with the sha384 integrity of the bytes it serves, readable from any site', async () => {
    const res = await fetch(`${h.url}/kassa.json`, { headers: { origin: 'https://merchant.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const manifest = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest).sort(), ['integrity', 'url', 'version']);
    assert.equal(manifest.version, VERSION);
    assert.equal(manifest.url, `${h.url}${PINNED}`);
    const served = await (await fetch(manifest.url as string)).arrayBuffer();
    assert.equal(manifest.integrity, sri(new Uint8Array(served)));
    assert.match(manifest.integrity as string, /^sha384-[A-Za-z0-9+/]{64}$/);

    const etag = res.headers.get('etag');
    assert.ok(etag, 'revalidated by ETag');
    const again = await fetch(`${h.url}/kassa.json`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    assert.equal(again.status, 304);
  });

  it('picks up a rebuilt kassa.js: the integrity follows the new bytes', async () => {
    const before = (await (await fetch(`${h.url}/kassa.json`)).json()) as { integrity: string };
    // Same size, and an explicit later mtime: only the cache key's mtime part tells them apart.
    writeFileSync(join(dist, 'kassa.js'), 'console.log("kassa v2")\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dist, 'kassa.js'), later, later);
    const after = (await (await fetch(`${h.url}/kassa.json`)).json()) as { integrity: string };
    assert.notEqual(after.integrity, before.integrity);
    const served = await (await fetch(`${h.url}${PINNED}`)).arrayBuffer();
    assert.equal(Buffer.from(served).toString(), 'console.log("kassa v2")\n');
    assert.equal(after.integrity, sri(new Uint8Array(served)));
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    for (const path of [PINNED, '/kassa.json']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await fetch(`${h.url}${path}`, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get('allow'), 'GET');
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'method_not_allowed');
      }
    }
  });
});

describe('pinned kassa.js before the widget is built', () => {
  it('is 503 widget_not_built, not cached, for the pinned URL and /kassa.json alike', async () => {
    const h = await boot();
    try {
      for (const path of [PINNED, '/kassa.json', '/kassa.js']) {
        const res = await fetch(`${h.url}${path}`);
        assert.equal(res.status, 503, path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'widget_not_built');
        assert.equal(body.error.message, 'widget not built: run pnpm build');
      }
      // An unknown version is still unknown, built or not.
      assert.equal((await fetch(`${h.url}/kassa@9.9.9.js`)).status, 404);
    } finally {
      await h.close();
    }
  });
});

describe('/kassa.json with a configured public URL', () => {
  it('names the pinned script at the URL browsers use, not the one the server listens on', async (t) => {
    const dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    t.after(() => rmSync(dist, { recursive: true, force: true }));
    writeFileSync(join(dist, 'kassa.js'), 'console.log("kassa")\n');
    const h = await boot({ widgetDistDir: dist, publicUrl: 'https://pay.example.com/' });
    t.after(() => h.close());
    const manifest = (await (await fetch(`${h.url}/kassa.json`)).json()) as { url: string; integrity: string };
    assert.equal(manifest.url, `https://pay.example.com${PINNED}`);
    assert.equal(manifest.integrity, sri('console.log("kassa")\n'));
  });
});

describe('locale files for kassa.js', () => {
  it("serves each locale of this version to any site, cacheable for good; other versions and locales are 404", async (t) => {
    const dist = mkdtempSync(join(tmpdir(), 'kassa-widget-dist-'));
    t.after(() => rmSync(dist, { recursive: true, force: true }));
    mkdirSync(join(dist, 'locales'), { recursive: true });
    writeFileSync(join(dist, 'locales', 'zh-TW.json'), '{"pay":"支付 {amount}"}');
    const h = await boot({ widgetDistDir: dist });
    t.after(() => h.close());
    const res = await fetch(`${h.url}/kassa@${VERSION}/locales/zh-TW.json`, { headers: { origin: 'https://merchant.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.deepEqual(await res.json(), { pay: '支付 {amount}' });
    for (const path of [`/kassa@0.0.1/locales/zh-TW.json`, `/kassa@${VERSION}/locales/pt-BR.json`, `/kassa@${VERSION}/locales/__proto__.json`]) {
      const other = await fetch(`${h.url}${path}`);
      assert.equal(other.status, 404, path);
      assert.equal(other.headers.get('cache-control'), 'no-store', path);
    }
    // A supported locale that is not built is the usual 503.
    assert.equal((await fetch(`${h.url}/kassa@${VERSION}/locales/ja.json`)).status, 503);
  });
});
