/**
 * End-to-end harness: the real Kassa server (fresh SQLite in a temp dir, port 0), the real demo
 * storefront and Debian's Chromium through playwright-core.
 *
 * The two servers sit on different *sites* on purpose, as in production: the demo on
 * `localhost`, Kassa on `127.0.0.1`. The card frame is therefore cross-origin and cross-site
 * to the shop page, which is what keeps card data out of the merchant's reach.
 *
 * Kassa needs the shop's origin before it starts (CORS on /client/*, CSP frame-ancestors on
 * the frame), and the demo needs Kassa's URL and key file, so the demo's port is reserved first.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ElementHandle, type Frame, type FrameLocator, type JSHandle, type Locator, type Page } from 'playwright-core';
import { startKassa } from '../packages/server/src/index.js';
import type { KassaOptions } from '../packages/server/src/index.js';
import { startDemo } from '../demo/server/index.js';
// One place for Debian's Chromium and the flags that work as root (shared with the wtr configs).
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export const SCREENSHOT_DIR = fileURLToPath(new URL('./screenshots/', import.meta.url));

/** Sandbox magic cards (docs/API.md). */
export const CARDS = {
  visa: '4242424242424242',
  unionpay: '6200000000000005',
  limitedMastercard: '5555555555554444',
  insufficientFunds: '4000000000009995',
  threeDSecure: '4000000000003220',
} as const;

/** Any future expiry and a CVC of the right length are accepted by the sandbox. */
export const EXPIRY = '12/34';
export const CVC = '123';

export interface PaymentIntentView {
  id: string;
  status: string;
  amount: number;
  amount_received: number;
  amount_capturable: number;
  currency: string;
  payment_method: string | null;
  last_payment_error: { code: string; decline_code?: string; message: string } | null;
}

export interface KassaEvent {
  type: string;
  detail: unknown;
}

export interface Stack {
  kassaUrl: string;
  demoUrl: string;
  demoOrigin: string;
  secretKey: string;
  browser: Browser;
  /** A fresh, isolated browser context (own cookies/storage) with the event recorder installed. */
  newPage(options?: { locale?: string; width?: number }): Promise<Page>;
  /** Merchant API call with the secret key; returns status and parsed JSON. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  retrieveIntent(id: string): Promise<PaymentIntentView>;
  /** The sandbox issuer's ledger for a card, in minor units: what the shopper's bank saw. */
  sandboxAccount(cardNumber: string, currency: 'cny'): { balance: number; held: number } | null;
  close(): Promise<void>;
}

/** Reserves a free TCP port by binding to it and letting go (the demo binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

interface Closable {
  close(): Promise<void> | void;
}

/**
 * `providerSpecs`: test mode's providers as `kassa serve` configures them (the real ones point at
 * the strict fakes): Kassa then listens on a port reserved first, its public URL known before it
 * starts (providers send shoppers back there). `wallets`: what the demo's shop page offers.
 */
export interface StackOptions {
  providerSpecs?: KassaOptions['providerSpecs'];
  wallets?: ReadonlyArray<'alipay' | 'paypal'>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kassa-e2e-'));
  const demoPort = await freePort();
  const kassaPort = options.providerSpecs ? await freePort() : 0;
  const demoOrigin = `http://localhost:${demoPort}`;
  const toClose: Closable[] = [];

  try {
    const kassa = await startKassa({
      dataDir,
      port: kassaPort,
      host: '127.0.0.1',
      ...(options.providerSpecs ? { providerSpecs: options.providerSpecs, publicUrl: `http://127.0.0.1:${kassaPort}` } : {}),
      allowedOrigins: [demoOrigin],
      // Quiet request logs; warnings and errors still reach the test output.
      logLevel: process.env.LOG_LEVEL ?? 'warn',
      // Every test shops from 127.0.0.1 with a new card: the card-testing caps (tested in the
      // server's own suite) would stop the run, not a fraudster.
      rateLimits: { perKey: { points: 1_000_000, seconds: 1 }, authFailuresPerIp: { points: 1_000_000, seconds: 1 }, clientPerIp: { points: 1_000_000, seconds: 1 }, tokensPerIp: { points: 1_000_000, seconds: 1 }, tokensPerIntent: { points: 1_000_000, seconds: 1 } },
    });
    toClose.push(kassa);
    const kassaUrl = kassa.url;
    if (!kassaUrl.startsWith('http://127.0.0.1:')) throw new Error(`Kassa should listen on 127.0.0.1, got ${kassaUrl}`);
    if (!kassa.keys) throw new Error('a fresh data directory should create test keys');
    const keys = { secret_key: kassa.keys.secretKey };

    const demo = await startDemo({ port: demoPort, kassaUrl, keysFile: kassa.keysFile, ...(options.wallets ? { wallets: options.wallets } : {}) });
    toClose.push(demo);
    const demoUrl = demo.url;
    if (demoUrl !== demoOrigin) throw new Error(`demo should be on ${demoOrigin}, got ${demoUrl}`);

    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const contexts: BrowserContext[] = [];

    const api: Stack['api'] = async (method, path, body) => {
      const res = await fetch(`${kassaUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${keys.secret_key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    };

    return {
      kassaUrl,
      demoUrl,
      demoOrigin,
      secretKey: keys.secret_key,
      browser,
      async newPage({ locale = 'en-US', width = 900 } = {}) {
        const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
        contexts.push(context);
        // Everything here takes well under a second; fail in 10 s rather than Playwright's 30.
        context.setDefaultTimeout(10_000);
        await context.addInitScript(recordKassaEvents);
        await context.addInitScript(recordCspViolations);
        const page = await context.newPage();
        // The newest page is the focused window (keyboard tests, document.hasFocus()).
        await page.bringToFront();
        // Surface page errors in the test output; they usually explain a timeout.
        page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
        return page;
      },
      api,
      async retrieveIntent(id) {
        const { status, body } = await api('GET', `/v1/payment_intents/${encodeURIComponent(id)}`);
        if (status !== 200) throw new Error(`GET /v1/payment_intents/${id} → ${status} ${JSON.stringify(body)}`);
        return body as PaymentIntentView;
      },
      sandboxAccount: (cardNumber, currency) => kassa.sandboxAccount(cardNumber, currency),
      async close() {
        for (const context of contexts) await context.close().catch(() => {});
        await browser.close().catch(() => {});
        for (const c of toClose.reverse()) await c.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const c of toClose.reverse()) await Promise.resolve(c.close()).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Runs in every frame before its scripts (the shop page, the card frame, the 3-D Secure page):
 * records what each document's Content-Security-Policy refused, so tests can prove the
 * checkout works under strict CSP rather than silently losing a script or a style.
 */
function recordCspViolations(): void {
  const w = window as unknown as { __cspViolations: string[] };
  w.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    w.__cspViolations.push(`${location.origin}${location.pathname}: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`);
  });
}

/** Every CSP violation so far, in the page and all its frames. */
export async function cspViolations(page: Page): Promise<string[]> {
  const all: string[] = [];
  for (const frame of page.frames()) {
    const found = await frame.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []).catch(() => []);
    all.push(...found);
  }
  return all;
}

/**
 * Runs in every page before its scripts: records the element's public events, exactly as a
 * merchant's page would listen for them (they bubble and are composed, so window sees them).
 */
function recordKassaEvents(): void {
  const w = window as unknown as { __kassaEvents: KassaEvent[] };
  w.__kassaEvents = [];
  for (const type of ['kassa-payment-succeeded', 'kassa-payment-failed', 'kassa-action-required', 'kassa-ready']) {
    window.addEventListener(type, (event) => {
      // Keep a JSON copy: the detail is plain data by contract.
      const detail: unknown = JSON.parse(JSON.stringify((event as CustomEvent).detail ?? null));
      w.__kassaEvents.push({ type, detail });
    });
  }
}

// ---- page helpers -------------------------------------------------------------------------

/** The `<kassa-checkout>` element (the React and Vue pages render the same element). */
export function checkout(page: Page): Locator {
  return page.locator('kassa-checkout').first();
}

/** The card-entry frame inside the element's shadow root (CSS locators pierce open roots). */
export function cardFrame(page: Page): FrameLocator {
  return page.frameLocator('kassa-checkout iframe[src*="/frame/card"]');
}

/** The pay button in the element's shadow root, e.g. "Pay CN¥128.00" / "支付 ¥128.00" (any locale). */
export function payButton(page: Page): Locator {
  return checkout(page).locator('[part=button]');
}

export interface ShopOptions {
  /** Tick the demo's "signed-in shopper" box: the intent gets a customer and may save the card. */
  signedIn?: boolean;
  /** `?locale=` on the demo page, which passes it on to the widget. */
  locale?: 'en' | 'zh-CN';
  /** Wait for the card fields too (kassa-ready), not only for the pay button. */
  ready?: boolean;
  /** A catalogue product id; the Longjing tea is ¥128.00. */
  product?: string;
}

/**
 * Plays the shopper on a demo page up to the payment step: add one product to the cart,
 * optionally sign in, press Checkout (the demo backend creates the intent), and wait for the
 * element to offer its pay button.
 */
export async function openShop(stack: Stack, page: Page, path = '/', options: ShopOptions = {}): Promise<void> {
  const query = options.locale ? `?locale=${encodeURIComponent(options.locale)}` : '';
  await page.goto(`${stack.demoUrl}${path}${query}`);
  await page.getByTestId(`add-to-cart-${options.product ?? 'tea'}`).click();
  if (options.signedIn) await page.getByTestId('signed-in-toggle').check();
  await page.getByTestId('checkout-button').click();
  await payButton(page).waitFor({ state: 'visible' });
  if (options.ready) await waitForKassaEvent(page, 'kassa-ready');
}

/** The element's status line (`role=status`, polite live region): what the shopper reads. */
export function statusLine(page: Page): Locator {
  return checkout(page).getByRole('status');
}

export async function fillCard(page: Page, number: string, { save = false } = {}): Promise<void> {
  const frame = cardFrame(page);
  await frame.locator('input[autocomplete="cc-number"]').fill(number);
  await frame.locator('input[autocomplete="cc-exp"]').fill(EXPIRY);
  await frame.locator('input[autocomplete="cc-csc"]').fill(CVC);
  if (save) await saveCardCheckbox(page).check();
}

/** "Save card for next time" lives in the host element (it is not card data). */
export function saveCardCheckbox(page: Page): Locator {
  return checkout(page).getByRole('checkbox', { name: /Save card|保存/ });
}

export async function events(page: Page): Promise<KassaEvent[]> {
  return page.evaluate(() => (window as unknown as { __kassaEvents: KassaEvent[] }).__kassaEvents);
}

/** Waits for the first event of `type` and returns its detail. */
export async function waitForKassaEvent(page: Page, type: string): Promise<unknown> {
  await page.waitForFunction(
    (t) => (window as unknown as { __kassaEvents: KassaEvent[] }).__kassaEvents.some((e) => e.type === t),
    type,
  );
  const all = await events(page);
  return all.find((e) => e.type === type)?.detail;
}

/** The intent id carried by a kassa-payment-* event detail. */
export function intentIdOf(detail: unknown): string {
  const pi = (detail as { paymentIntent?: { id?: unknown } } | null)?.paymentIntent;
  if (typeof pi?.id !== 'string') throw new Error(`event detail has no paymentIntent.id: ${JSON.stringify(detail)}`);
  return pi.id;
}

/** The intent id the page's element is working on, read from its client secret. */
export async function intentIdOnPage(page: Page): Promise<string> {
  // Wrappers may set the property rather than the attribute; read either.
  const secret = await checkout(page).evaluate(
    (el) => (el as HTMLElement & { clientSecret?: string }).clientSecret ?? el.getAttribute('client-secret'),
  );
  if (!secret) throw new Error('kassa-checkout has no client secret');
  const payload = secret.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string };
  return claims.sub;
}

/** axe-core from npm, injected into each frame by evaluate (which no page CSP refuses). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2, levels A and AA: the rules axe tags with these. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export interface AxeViolation {
  frame: string;
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe in the page and in every frame (each frame is its own document: the card frame and
 * the 3-D Secure page run on Kassa's origin, where the page's axe cannot look), and returns all
 * WCAG 2.2 A/AA violations, labelled by frame URL.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const found: AxeViolation[] = [];
  for (const frame of page.frames()) {
    if (frame.url() === 'about:blank' || frame.isDetached()) continue;
    await frame.evaluate(AXE_SOURCE);
    const violations = await frame.evaluate(async (tags) => {
      const axe = (window as unknown as { axe: { run(ctx: Document, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
    }, WCAG_TAGS);
    const url = new URL(frame.url());
    for (const v of violations) found.push({ frame: `${url.origin}${url.pathname}`, ...v });
  }
  return found;
}

/** Fails with every violation spelled out. */
export async function assertAccessible(page: Page, state: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length) {
    throw new Error(`${state}: ${violations.length} axe violation(s):\n${violations.map((v) => `  ${v.frame} ${v.id} (${v.impact}): ${v.help} ${v.targets.join(' ')}`).join('\n')}`);
  }
}

/**
 * Where the keyboard focus is, as a chain from the page down: the focused element of each
 * document (through shadow roots), and when that is an iframe, on into its frame's document.
 */
export async function focused(page: Page): Promise<{ frame: string; tag: string; id: string; text: string }[]> {
  const chain = [];
  let frame: Frame | null = page.mainFrame();
  for (let depth = 0; frame && depth < 4; depth++) {
    const handle: JSHandle = await frame.evaluateHandle(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el;
    });
    const el: ElementHandle | null = handle.asElement();
    if (!el) break;
    const info: { tag: string; id: string; text: string } = await el.evaluate((e: Element) => ({
      tag: e.localName,
      id: e.id,
      text: (e.getAttribute('aria-label') ?? (e.localName === 'body' ? '' : e.textContent) ?? '').trim().replace(/\s+/g, ' '),
    }));
    chain.push({ frame: new URL(frame.url()).pathname, ...info });
    frame = info.tag === 'iframe' ? await el.contentFrame() : null;
  }
  return chain;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
