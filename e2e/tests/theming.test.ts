/**
 * The Appearance presets on the demo's /theming page: three checkouts (light, dark, flat) side
 * by side, each with its own intent, frame and channel. Each is screenshotted (for the README
 * with KASSA_UPDATE_DOCS_SCREENSHOT=1) and checked by axe — colour contrast included — in the
 * page and inside each card frame.
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCREENSHOT_DIR, assertAccessible, cspViolations, startStack, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test('the three presets render side by side, isolated, each accessible (contrast included)', async () => {
  const page = await stack.newPage({ width: 1200 });
  await page.goto(`${stack.demoUrl}/theming`);
  await page.waitForFunction(() => (window as unknown as { __kassaEvents: { type: string }[] }).__kassaEvents.filter((e) => e.type === 'kassa-ready').length === 3);
  const frames = page.frames().filter((f) => f.url().includes('/frame/card'));
  assert.equal(frames.length, 3);
  const channels = new Set(frames.map((f) => new URL(f.url()).searchParams.get('channel')));
  assert.equal(channels.size, 3, 'one channel per instance');
  const themes = await Promise.all(frames.map((f) => f.evaluate(() => document.querySelector('kassa-card-frame')!.getAttribute('data-theme'))));
  assert.deepEqual([...themes].sort(), ['dark', 'flat', 'light']);
  // A dark field on a dark page, never the white box a color-scheme mismatch paints.
  const dark = frames[themes.indexOf('dark')]!;
  assert.equal(await dark.evaluate(() => document.documentElement.style.colorScheme), 'dark');
  await assertAccessible(page, 'theming presets');
  assert.deepEqual(await cspViolations(page), []);
  for (const theme of ['light', 'dark', 'flat']) {
    const shot = `${SCREENSHOT_DIR}theme-${theme}.png`;
    await page.getByTestId(`preset-${theme}`).screenshot({ path: shot });
    if (process.env.KASSA_UPDATE_DOCS_SCREENSHOT === '1') await copyFile(shot, fileURLToPath(new URL(`../../docs/theme-${theme}.png`, import.meta.url)));
  }
});
