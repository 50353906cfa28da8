import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PaymentIntentObject } from '@kassa/core/wire';
import type { CheckoutResult, Order } from '../src/api-types.js';
import { TEST_CARDS } from '../src/test-cards.js';
import { getJson, postJson, startStack, type Stack } from './helpers.js';

let stack: Stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.close();
});

/** What Kassa itself says about an intent, asked with the merchant's secret key. */
async function kassaIntent(id: string): Promise<PaymentIntentObject> {
  const reply = await getJson<PaymentIntentObject>(`${stack.kassa.url}/v1/payment_intents/${id}`, {
    Authorization: `Bearer ${stack.kassa.secretKey}`,
  });
  assert.equal(reply.status, 200);
  return reply.body;
}

/** Pays an intent the way the widget would: a token from the card, then confirm. */
async function pay(created: CheckoutResult, cardNumber: string, cvc = '123') {
  const token = await postJson<{ id: string }>(
    `${stack.kassa.url}/client/tokens`,
    { card: { number: cardNumber, exp_month: 12, exp_year: new Date().getFullYear() + 2, cvc } },
    { Authorization: `Bearer ${created.client_secret}` },
  );
  assert.equal(token.status, 200);
  return postJson<PaymentIntentObject>(
    `${stack.kassa.url}/v1/payment_intents/${created.payment_intent.id}/confirm`,
    { payment_method: token.body.id },
    { Authorization: `Bearer ${stack.kassa.secretKey}`, 'Idempotency-Key': randomUUID() },
  );
}

function checkout(body: unknown) {
  return postJson<CheckoutResult>(`${stack.demo.url}/api/checkout`, body);
}

describe('POST /api/checkout', () => {
  it('creates the intent on Kassa for the amount computed from the catalogue', async () => {
    const reply = await checkout({ items: [{ product: 'tea', quantity: 2 }, { product: 'baozi', quantity: 3 }] });
    assert.equal(reply.status, 200);
    // 2 × ¥128.00 + 3 × ¥12.80, in fen.
    assert.equal(reply.body.payment_intent.amount, 2 * 12_800 + 3 * 1_280);
    assert.equal(reply.body.payment_intent.currency, 'cny');
    assert.equal(reply.body.payment_intent.status, 'requires_payment_method');
    assert.equal(reply.body.payment_intent.customer, null);
    assert.match(reply.body.client_secret, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(reply.body.order_url, `/order/${reply.body.payment_intent.id}`);

    const intent = await kassaIntent(reply.body.payment_intent.id);
    assert.equal(intent.amount, 29_440);
    assert.equal(intent.currency, 'cny');
    assert.equal(intent.customer, null);
    assert.equal(intent.metadata.cart, 'tea×2, baozi×3');
  });

  it('prices JPY in whole yen (no minor unit)', async () => {
    const reply = await checkout({ items: [{ product: 'matcha', quantity: 2 }] });
    assert.equal(reply.status, 200);
    const intent = await kassaIntent(reply.body.payment_intent.id);
    assert.equal(intent.amount, 3_000);
    assert.equal(intent.currency, 'jpy');
  });

  it('gives a signed-in shopper a customer and saves the card for one-click pay', async () => {
    const reply = await checkout({ items: [{ product: 'tea', quantity: 1 }], signed_in: true });
    assert.equal(reply.status, 200);
    assert.match(reply.body.payment_intent.customer ?? '', /^cus_/);
    const intent = await kassaIntent(reply.body.payment_intent.id);
    assert.equal(intent.customer, reply.body.payment_intent.customer);
    assert.equal(intent.setup_future_usage, 'on_session');
    // The same shopper, the next time: the same customer (so their saved card is offered).
    const again = await checkout({ items: [{ product: 'tea', quantity: 2 }], signed_in: true });
    assert.equal(again.body.payment_intent.customer, reply.body.payment_intent.customer);
  });

  it('replays the same intent for a repeated checkout id, and refuses that id for another cart', async () => {
    const checkoutId = randomUUID();
    const cart = { items: [{ product: 'mooncakes', quantity: 1 }], checkout_id: checkoutId };
    const first = await checkout(cart);
    const second = await checkout(cart);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.body.payment_intent.id, first.body.payment_intent.id);

    const other = await checkout({ items: [{ product: 'mooncakes', quantity: 2 }], checkout_id: checkoutId });
    assert.equal(other.status, 400);
    assert.equal(other.body.error?.type, 'idempotency_error');
  });

  it('never takes a price or currency from the browser', async () => {
    const withAmount = await checkout({ items: [{ product: 'tea', quantity: 1 }], amount: 1 });
    assert.equal(withAmount.status, 400);
    assert.deepEqual(withAmount.body.error, {
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      message: 'Received unknown parameter: amount',
      param: 'amount',
    });
    const withPrice = await checkout({ items: [{ product: 'tea', quantity: 1, price: 1 }] });
    assert.equal(withPrice.status, 400);
    assert.equal(withPrice.body.error?.param, 'items[0].price');
  });

  const badCarts: Array<[string, unknown, string, string]> = [
    ['no items', {}, 'parameter_missing', 'items'],
    ['an empty cart', { items: [] }, 'parameter_invalid', 'items'],
    ['an unknown product', { items: [{ product: 'caviar', quantity: 1 }] }, 'parameter_invalid', 'items[0].product'],
    ['a zero quantity', { items: [{ product: 'tea', quantity: 0 }] }, 'parameter_invalid', 'items[0].quantity'],
    ['a fractional quantity', { items: [{ product: 'tea', quantity: 1.5 }] }, 'parameter_invalid', 'items[0].quantity'],
    ['a quantity as a string', { items: [{ product: 'tea', quantity: '2' }] }, 'parameter_invalid', 'items[0].quantity'],
    ['a missing quantity', { items: [{ product: 'tea' }] }, 'parameter_missing', 'items[0].quantity'],
    ['the same product twice', { items: [{ product: 'tea', quantity: 1 }, { product: 'tea', quantity: 1 }] }, 'parameter_invalid', 'items[1].product'],
    ['two currencies', { items: [{ product: 'tea', quantity: 1 }, { product: 'matcha', quantity: 1 }] }, 'parameter_invalid', 'items[1].product'],
    ['a bad checkout id', { items: [{ product: 'tea', quantity: 1 }], checkout_id: 'again' }, 'parameter_invalid', 'checkout_id'],
    ['signed_in as a string', { items: [{ product: 'tea', quantity: 1 }], signed_in: 'yes' }, 'parameter_invalid', 'signed_in'],
    ['an array body', [], 'parameter_invalid', ''],
  ];
  for (const [name, body, code, param] of badCarts) {
    it(`answers 400 ${code} for ${name}`, async () => {
      const reply = await checkout(body);
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error?.type, 'invalid_request_error');
      assert.equal(reply.body.error?.code, code);
      assert.equal(reply.body.error?.param ?? '', param);
      assert.ok(reply.body.error?.message);
    });
  }

  it('answers 400 for malformed JSON and 415 for another content type', async () => {
    const malformed = await checkout('{"items": [');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error?.code, 'invalid_json');

    const response = await fetch(`${stack.demo.url}/api/checkout`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'tea' });
    assert.equal(response.status, 415);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
  });

  it('answers 413 for a body over 16 KB', async () => {
    const reply = await checkout({ items: [{ product: 'x'.repeat(20_000), quantity: 1 }] });
    assert.equal(reply.status, 413);
    assert.equal(reply.body.error?.code, 'body_too_large');
  });

  it('reads the secret key from Kassa’s keys file', async () => {
    const demo = await stack.startDemo({ keysFile: stack.kassa.keysFile });
    const reply = await postJson<CheckoutResult>(`${demo.url}/api/checkout`, { items: [{ product: 'baozi', quantity: 1 }] });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.payment_intent.amount, 1_280);
  });

  it('reports a wrong secret key as a gateway error, not as the shopper’s fault', async () => {
    const demo = await stack.startDemo({ secretKey: 'sk_test_not_a_real_key' });
    const reply = await postJson(`${demo.url}/api/checkout`, { items: [{ product: 'baozi', quantity: 1 }] });
    assert.equal(reply.status, 502);
    assert.equal(reply.body.error?.type, 'api_error');
    assert.equal(reply.body.error?.code, 'kassa_error');
  });

  it('reports a missing keys file clearly', async () => {
    const demo = await stack.startDemo({ keysFile: '/nonexistent/test-keys.json' });
    const reply = await postJson(`${demo.url}/api/checkout`, { items: [{ product: 'baozi', quantity: 1 }] });
    assert.equal(reply.status, 502);
    assert.equal(reply.body.error?.code, 'kassa_keys_missing');
  });
});

describe('GET /api/orders/:id', () => {
  it('reports an unpaid order as not paid, from Kassa’s own record', async () => {
    const created = await checkout({ items: [{ product: 'tea', quantity: 1 }] });
    const reply = await getJson<Order>(`${stack.demo.url}/api/orders/${created.body.payment_intent.id}`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'requires_payment_method');
    assert.equal(reply.body.paid, false);
    assert.equal(reply.body.amount, 12_800);
    assert.equal(reply.body.amount_received, 0);
    assert.deepEqual(reply.body.items, [{ product: 'tea', quantity: 1 }]);
    assert.ok(!('client_secret' in reply.body), 'the order view never carries the client secret');
  });

  it('reports a paid order as paid, with the amount Kassa received', async () => {
    const created = await checkout({ items: [{ product: 'mooncakes', quantity: 2 }] });
    assert.equal((await pay(created.body, '4242424242424242')).status, 200);
    const reply = await getJson<Order>(`${stack.demo.url}/api/orders/${created.body.payment_intent.id}`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'succeeded');
    assert.equal(reply.body.paid, true);
    assert.equal(reply.body.amount_received, 11_600);

    const page = await fetch(`${stack.demo.url}/order/${created.body.payment_intent.id}?locale=en`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /data-testid="order-status" data-status="succeeded"/);
    assert.match(html, /Order verified by the server/);
    assert.match(html, /Mooncakes \(box of 4\) × 2/);
  });

  it('reports a declined order as not paid, with the decline', async () => {
    const created = await checkout({ items: [{ product: 'tea', quantity: 1 }] });
    assert.equal((await pay(created.body, '4000000000009995')).status, 402);
    const reply = await getJson<Order>(`${stack.demo.url}/api/orders/${created.body.payment_intent.id}`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.paid, false);
    assert.equal(reply.body.status, 'requires_payment_method');
    assert.equal(reply.body.amount_received, 0);
    assert.equal(reply.body.last_payment_error?.decline_code ?? reply.body.last_payment_error?.code, 'insufficient_funds');

    const html = await (await fetch(`${stack.demo.url}/order/${created.body.payment_intent.id}?locale=zh-CN`)).text();
    assert.match(html, /data-status="requires_payment_method"/);
    assert.match(html, /服务器显示尚未支付/);
  });

  it('answers 404 for unknown ids, malformed ids and intents this shop did not create', async () => {
    const direct = await postJson<PaymentIntentObject>(
      `${stack.kassa.url}/v1/payment_intents`,
      { amount: 100, currency: 'cny' },
      { Authorization: `Bearer ${stack.kassa.secretKey}` },
    );
    assert.equal(direct.status, 200);
    for (const id of ['pi_doesnotexist0000', 'not-an-id', direct.body.id]) {
      const reply = await getJson(`${stack.demo.url}/api/orders/${encodeURIComponent(id)}`);
      assert.equal(reply.status, 404, id);
      assert.equal(reply.body.error?.code, 'resource_missing');
    }
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const reply = await getJson(`${stack.demo.url}/api/nope`);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error?.code, 'route_not_found');
  });
});

describe('pages', () => {
  it('serves the test-card table in English and Chinese', async () => {
    const en = await (await fetch(`${stack.demo.url}/cards?locale=en`)).text();
    assert.match(en, /<html lang="en">/);
    assert.match(en, /4242 4242 4242 4242/);
    assert.match(en, /data-outcome="insufficient_funds"/);
    assert.equal(en.match(/<tr data-card=/g)?.length, TEST_CARDS.length);
    const zh = await (await fetch(`${stack.demo.url}/cards?locale=zh-CN`)).text();
    assert.match(zh, /<html lang="zh-CN">/);
    assert.match(zh, /拒绝：余额不足/);
  });

  it('loads the widget by a pinned script tag from Kassa, with the integrity of the bytes Kassa serves', async () => {
    const page = await (await fetch(`${stack.demo.url}/`)).text();
    const manifest = (await getJson<{ version: string; integrity: string }>(`${stack.kassa.url}/kassa.json`)).body;
    const src = `${stack.kassa.url}/kassa@${manifest.version}.js`;
    assert.ok(page.includes(`<script src="${src}" integrity="${manifest.integrity}" crossorigin="anonymous"></script>`), page);
    const served = new Uint8Array(await (await fetch(src)).arrayBuffer());
    assert.equal(manifest.integrity, `sha384-${createHash('sha384').update(served).digest('base64')}`);
    assert.ok(!page.includes('not pinned'));
    const react = await (await fetch(`${stack.demo.url}/react`)).text();
    assert.doesNotMatch(react, /kassa(@[^"]*)?\.js/, 'the React page bundles the widget instead');
  });

  it('shows a missing order as 404', async () => {
    const response = await fetch(`${stack.demo.url}/order/pi_doesnotexist0000`);
    assert.equal(response.status, 404);
    assert.match(await response.text(), /data-status="missing"/);
  });
});

describe('the /cards table', () => {
  // The page is written from docs/API.md; the sandbox in packages/server decides for real.
  // Paying ¥128.00 with each card keeps the two in step.
  for (const card of TEST_CARDS) {
    it(`${card.number}: ${card.code}`, async () => {
      const created = await checkout({ items: [{ product: 'tea', quantity: 1 }] });
      const result = await pay(created.body, card.number.replace(/ /g, ''), card.brand === 'amex' ? '1234' : '123');
      if (card.code === 'success') {
        assert.equal(result.status, 200);
        assert.equal(result.body.status, 'succeeded');
      } else if (card.code === 'three_d_secure' || card.code === 'approve_in_app') {
        assert.equal(result.status, 200);
        assert.equal(result.body.status, 'requires_action');
        assert.equal(result.body.next_action?.type, card.code === 'three_d_secure' ? 'three_d_secure' : 'await_notification');
      } else if (card.code === 'pending') {
        assert.equal(result.status, 200);
        assert.equal(result.body.status, 'processing');
      } else {
        assert.equal(result.status, 402);
        const error = result.body.error as { decline_code?: string } | undefined;
        assert.equal(error?.decline_code, card.code);
      }
    });
  }
});
