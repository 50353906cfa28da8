/**
 * The packages as a merchant gets them: `pnpm pack` each of @kassa/core, @kassa/widget,
 * @kassa/react and @kassa/vue (pnpm's pack writes the npm tarball with `workspace:*` resolved
 * and publishConfig applied, which `npm pack` would not), then in a temp dir a fresh Vite +
 * React app and a fresh Vite + Vue app that install those tarballs with npm (everything else
 * from the npm registry), import them in Node without a DOM (as server-side rendering does),
 * build with Vite, and pay through them in Chromium against a real Kassa server.
 *
 * Slow (two npm installs), so it is a suite of its own: `pnpm --filter @kassa/e2e test:packages`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { startKassa } from '../../packages/server/src/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'widget', 'react', 'vue'] as const;

/** The versions the workspace itself builds with, so the apps are what a merchant would have today. */
async function workspaceRange(pkg: string, dep: string): Promise<string> {
  const json = JSON.parse(await readFile(join(ROOT, pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const range = json.dependencies?.[dep] ?? json.devDependencies?.[dep];
  if (!range) throw new Error(`${pkg} has no ${dep}`);
  return range;
}

let work: string;
let tarballs: Record<(typeof PACKAGES)[number], string>;
let kassa: Awaited<ReturnType<typeof startKassa>>;
let browser: Browser;
const servers: Server[] = [];
/** Each app's shop port, reserved first: Kassa must allow both origins when it starts. */
const ports: Record<'react' | 'vue', number> = { react: 0, vue: 0 };

/** Serves a built app on its own localhost port (a different site from Kassa on 127.0.0.1). */
async function serveStatic(dir: string, port: number): Promise<string> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = join(dir, path === '/' ? 'index.html' : path.replace(/\.\.+/g, ''));
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://localhost:${port}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kassa-packages-'));
  ports.react = await freePort();
  ports.vue = await freePort();
  kassa = await startKassa({
    dataDir: join(work, 'kassa'),
    port: 0,
    host: '127.0.0.1',
    allowedOrigins: [`http://localhost:${ports.react}`, `http://localhost:${ports.vue}`],
    logLevel: 'warn',
  });
  const packs = join(work, 'tarballs');
  await mkdir(packs);
  for (const name of PACKAGES) {
    // Each package's own build (tsc to dist/; the widget also its bundles and manifest).
    await run('pnpm', ['--filter', `@kassa/${name}`, 'run', 'build'], { cwd: ROOT, maxBuffer: 1 << 26 });
    await run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(ROOT, 'packages', name), maxBuffer: 1 << 26 });
  }
  const files = await readdir(packs);
  tarballs = Object.fromEntries(
    PACKAGES.map((name) => {
      const file = files.find((f) => f.startsWith(`kassa-${name}-`) && f.endsWith('.tgz'));
      if (!file) throw new Error(`no tarball for @kassa/${name}: ${files.join(', ')}`);
      return [name, join(packs, file)];
    }),
  ) as typeof tarballs;
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const server of servers) server.close();
  await kassa?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed packages', () => {
  test('carry a version, a license, a changelog, JavaScript with type declarations, and no TypeScript sources', async () => {
    for (const name of PACKAGES) {
      const { stdout } = await run('tar', ['-tzf', tarballs[name]]);
      const entries = stdout.split('\n').filter(Boolean);
      for (const needed of ['package/package.json', 'package/LICENSE', 'package/CHANGELOG.md', 'package/README.md']) {
        assert.ok(entries.includes(needed), `${name}: ${needed} missing`);
      }
      assert.ok(entries.some((e) => e.endsWith('.d.ts')), `${name}: no type declarations`);
      assert.ok(!entries.some((e) => /\.ts$/.test(e) && !e.endsWith('.d.ts')), `${name}: ships .ts sources`);
      const manifest = JSON.parse((await run('tar', ['-xzOf', tarballs[name], 'package/package.json'])).stdout) as Record<string, unknown>;
      assert.match(String(manifest.version), /^\d+\.\d+\.\d+/);
      assert.equal(manifest.license, 'MIT');
      assert.equal(manifest.private, undefined);
      assert.doesNotMatch(JSON.stringify(manifest.dependencies ?? {}), /workspace:/, `${name}: workspace protocol left in`);
      assert.doesNotMatch(JSON.stringify(manifest.exports), /\.\/src\//, `${name}: exports point at sources`);
    }
  });
});

for (const framework of ['react', 'vue'] as const) {
  describe(`a fresh Vite + ${framework === 'react' ? 'React' : 'Vue'} app`, () => {
    let app: string;

    test('installs the tarballs with npm (the rest from the registry)', { timeout: 600_000 }, async () => {
      app = join(work, `${framework}-app`);
      await mkdir(join(app, 'src'), { recursive: true });
      const file = (name: keyof typeof tarballs) => `file:${tarballs[name]}`;
      const deps: Record<string, string> =
        framework === 'react'
          ? {
              react: await workspaceRange('demo', 'react'),
              'react-dom': await workspaceRange('demo', 'react-dom'),
              '@kassa/react': file('react'),
            }
          : { vue: await workspaceRange('demo', 'vue'), '@kassa/vue': file('vue') };
      const plugin = framework === 'react' ? '@vitejs/plugin-react' : '@vitejs/plugin-vue';
      await writeFile(
        join(app, 'package.json'),
        JSON.stringify(
          {
            name: `kassa-${framework}-app`,
            private: true,
            type: 'module',
            dependencies: { ...deps, '@kassa/widget': file('widget'), '@kassa/core': file('core') },
            devDependencies: { vite: await workspaceRange('demo', 'vite'), [plugin]: await workspaceRange('demo', plugin) },
            // The wrappers depend on @kassa/widget and it on @kassa/core by version; these are not on
            // the registry (and must not come from it): pin every copy to the tarballs.
            overrides: { '@kassa/widget': '$@kassa/widget', '@kassa/core': '$@kassa/core' },
          },
          null,
          2,
        ),
      );
      await writeFile(
        join(app, 'index.html'),
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${framework} shop</title></head>` +
          `<body><main id="app"></main><script type="module" src="/src/main.${framework === 'react' ? 'jsx' : 'js'}"></script></body></html>`,
      );
      await writeFile(
        join(app, 'vite.config.js'),
        `import { defineConfig } from 'vite';\nimport plugin from '${plugin}';\nexport default defineConfig({ plugins: [plugin()] });\n`,
      );
      // The page gets the client secret and Kassa's URL in its query string (a real shop renders them).
      await writeFile(
        join(app, 'src', framework === 'react' ? 'main.jsx' : 'main.js'),
        framework === 'react'
          ? `import { createRoot } from 'react-dom/client';
import { KassaCheckout } from '@kassa/react';
const q = new URLSearchParams(location.search);
const say = (text) => (document.getElementById('result').textContent = text);
createRoot(document.getElementById('app')).render(
  <>
    <KassaCheckout clientSecret={q.get('secret')} kassaUrl={q.get('kassa')} locale="en"
      onReady={() => say('ready')}
      onPaymentSucceeded={(e) => say('paid ' + e.detail.paymentIntent.id)}
      onPaymentFailed={(e) => say('failed ' + e.detail.error.code)} />
    <p id="result"></p>
  </>,
);
`
          : `import { createApp, h, ref } from 'vue';
import { KassaCheckout } from '@kassa/vue';
const q = new URLSearchParams(location.search);
createApp({
  setup() {
    const result = ref('');
    return () => [
      h(KassaCheckout, {
        clientSecret: q.get('secret'), kassaUrl: q.get('kassa'), locale: 'en',
        onReady: () => (result.value = 'ready'),
        onPaymentSucceeded: (d) => (result.value = 'paid ' + d.paymentIntent.id),
        onPaymentFailed: (d) => (result.value = 'failed ' + d.error.code),
      }),
      h('p', { id: 'result' }, result.value),
    ];
  },
}).mount('#app');
`,
      );
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, maxBuffer: 1 << 26, timeout: 540_000 });
      const installed = JSON.parse(await readFile(join(app, 'node_modules/@kassa/widget/package.json'), 'utf8')) as { version: string };
      assert.equal(installed.version, JSON.parse(await readFile(join(ROOT, 'packages/widget/package.json'), 'utf8')).version);
    });

    test('imports in Node without a DOM (server-side rendering) without throwing', async () => {
      const script = `const mods = ['@kassa/core', '@kassa/core/wire', '@kassa/widget', '@kassa/widget/define', '@kassa/${framework}'];
for (const m of mods) { const x = await import(m); if (!Object.keys(x).length) throw new Error(m + ' exports nothing'); }
const { KassaCheckout } = await import('@kassa/widget');
if (typeof KassaCheckout !== 'function') throw new Error('no class');
console.log('ok', typeof globalThis.document);`;
      const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: app });
      assert.equal(stdout.trim(), 'ok undefined');
    });

    test('builds with Vite and pays ¥128.00 in Chromium against a real Kassa', { timeout: 300_000 }, async () => {
      await run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: app, maxBuffer: 1 << 26 });
      const shop = await serveStatic(join(app, 'dist'), ports[framework]);
      browser ??= await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
      const secretKey = kassa.keys?.secretKey ?? '';
      const created = await fetch(`${kassa.url}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 12800, currency: 'cny' }),
      });
      const intent = (await created.json()) as { id: string; client_secret: string };
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${shop}/?secret=${encodeURIComponent(intent.client_secret)}&kassa=${encodeURIComponent(kassa.url)}`);
      await page.locator('#result', { hasText: 'ready' }).waitFor();
      const frame = page.frameLocator('kassa-checkout iframe[src*="/frame/card"]');
      await frame.locator('input[autocomplete="cc-number"]').fill('4242424242424242');
      await frame.locator('input[autocomplete="cc-exp"]').fill('12/34');
      await frame.locator('input[autocomplete="cc-csc"]').fill('123');
      await page.locator('kassa-checkout').getByRole('button', { name: /^Pay CN¥128\.00$/ }).click();
      await page.locator('#result', { hasText: `paid ${intent.id}` }).waitFor();
      const check = await fetch(`${kassa.url}/v1/payment_intents/${intent.id}`, { headers: { authorization: `Bearer ${secretKey}` } });
      const paid = (await check.json()) as { status: string; amount_received: number };
      assert.equal(paid.status, 'succeeded');
      assert.equal(paid.amount_received, 12800);
      await page.close();
    });
  });
}
