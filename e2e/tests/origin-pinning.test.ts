/**
 * A forged client secret must not choose where the card form comes from. The page gets a secret
 * of the right shape whose `iss` names another server (what an attacker could slip in through a
 * URL parameter or an injected value); the element must refuse it before framing or fetching
 * anything. On the script-tag page kassa.js is pinned to the Kassa it was loaded from; on the
 * React page the wrapper's `kassaUrl` is the pin.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { checkout, cspViolations, events, startStack, statusLine, waitForKassaEvent, type Stack } from '../harness.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/** Nothing listens there; had the element believed the secret, its frame would be requested from it. */
const FORGED_ISSUER = 'http://127.0.0.1:1';

/** The same secret with another `iss` (the signature no longer matches, which only the server could tell). */
function forgeIssuer(secret: string, iss: string): string {
  const [header, payload, signature] = secret.split('.');
  if (!header || !payload || !signature) throw new Error(`not a client secret: ${secret}`);
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, iss })).toString('base64url')}.${signature}`;
}

/** Replaces the client secret in the demo backend's checkout answer on its way to the page. */
async function forgeCheckoutAnswers(page: Page): Promise<void> {
  await page.route('**/api/checkout', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { client_secret: string };
    await route.fulfill({ response, json: { ...body, client_secret: forgeIssuer(body.client_secret, FORGED_ISSUER) } });
  });
}

for (const [label, path] of [
  ['script-tag page (kassa.js pinned to its own origin)', '/'],
  ['React page (kassaUrl from the backend)', '/react'],
] as const) {
  test(`${label}: a forged client secret is refused, and nothing is framed or fetched from its issuer`, async () => {
    const page = await stack.newPage();
    const requested: string[] = [];
    // Every request of the page and of any frame it might create.
    page.on('request', (request) => requested.push(request.url()));
    await forgeCheckoutAnswers(page);

    await page.goto(`${stack.demoUrl}${path}`);
    await page.getByTestId('add-to-cart-tea').click();
    await page.getByTestId('checkout-button').click();

    const detail = (await waitForKassaEvent(page, 'kassa-payment-failed')) as { error?: { code?: string; type?: string } };
    assert.equal(detail.error?.code, 'client_secret_issuer_mismatch', JSON.stringify(detail));
    assert.equal(detail.error?.type, 'invalid_request_error');
    await checkout(page).getByRole('status').filter({ hasText: 'issued by another payment server' }).waitFor();
    assert.equal(
      ((await statusLine(page).textContent()) ?? '').trim(),
      'This payment could not be loaded: it was issued by another payment server.',
    );
    assert.equal(await page.getByTestId('payment-status').getAttribute('data-status'), 'failed');

    // No card form, no challenge: not a single iframe in the element, and no pay button.
    assert.equal(await checkout(page).locator('iframe').count(), 0);
    assert.equal(await checkout(page).getByRole('button').count(), 0);
    assert.deepEqual(
      requested.filter((url) => url.startsWith(FORGED_ISSUER)),
      [],
      'nothing was requested from the forged issuer',
    );
    // Nor from the real Kassa with the forged secret: the refusal comes before any request.
    assert.deepEqual(
      requested.filter((url) => url.includes('/client/') || url.includes('/frame/')),
      [],
    );
    assert.deepEqual(
      (await events(page)).map((e) => e.type),
      ['kassa-payment-failed'],
    );
    assert.deepEqual(await cspViolations(page), []);
  });
}
