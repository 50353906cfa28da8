/**
 * Hardening: inputs a parser would quietly reshape (reserved metadata keys), and what the
 * access log records.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SHOP, boot } from './helpers.js';
import type { Harness, Reply } from './helpers.js';

function assertError(r: Reply, status: number, code: string, param: string, label: string) {
  assert.equal(r.status, status, `${label}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error?.type, 'invalid_request_error', label);
  assert.equal(r.body.error.code, code, label);
  assert.equal(r.body.error.param, param, label);
  assert.equal(typeof r.body.error.message, 'string', label);
}

describe('reserved metadata keys', () => {
  let h: Harness;
  before(async () => {
    h = await boot();
  });
  after(async () => {
    await h.close();
  });

  const count = () => (h.db().prepare('SELECT COUNT(*) AS n FROM payment_intents').get() as { n: number }).n;

  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`metadata[${key}] is 400 parameter_invalid naming it, as JSON and as a form, and nothing is created`, async () => {
      const before = count();
      // Raw JSON: JSON.stringify of an object literal would not write `__proto__` as a key.
      const json = await h.v1('POST', '/payment_intents', undefined, {
        raw: `{"amount":100,"currency":"cny","metadata":{"order":"1","${key}":"x"}}`,
        headers: { 'content-type': 'application/json' },
      });
      assertError(json, 400, 'parameter_invalid', `metadata[${key}]`, `json ${key}`);
      const nested = await h.v1('POST', '/payment_intents', undefined, {
        raw: `{"amount":100,"currency":"cny","metadata":{"${key}":{"polluted":"yes"}}}`,
        headers: { 'content-type': 'application/json' },
      });
      assertError(nested, 400, 'parameter_invalid', `metadata[${key}]`, `json nested ${key}`);
      for (const raw of [
        `amount=100&currency=cny&metadata[order]=1&metadata[${key}]=x`,
        `amount=100&currency=cny&metadata%5B${key}%5D=x`,
        `amount=100&currency=cny&metadata[${key}][polluted]=yes`,
      ]) {
        const form = await h.v1('POST', '/payment_intents', undefined, { raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        assertError(form, 400, 'parameter_invalid', `metadata[${key}]`, raw);
      }
      assert.equal(count(), before);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  it('a top-level __proto__ is refused in a form as in JSON, not dropped', async () => {
    const before = count();
    const json = await h.v1('POST', '/payment_intents', undefined, {
      raw: '{"amount":100,"currency":"cny","__proto__":{"x":1}}',
      headers: { 'content-type': 'application/json' },
    });
    assertError(json, 400, 'parameter_unknown', '__proto__', 'json');
    for (const raw of ['amount=100&currency=cny&__proto__=x', 'amount=100&currency=cny&__proto__[x]=1']) {
      const form = await h.v1('POST', '/payment_intents', undefined, { raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assertError(form, 400, 'parameter_unknown', '__proto__', raw);
    }
    // constructor survives the form parser and meets the strict schema, as in JSON.
    const ctor = await h.v1('POST', '/payment_intents', undefined, {
      raw: 'amount=100&currency=cny&constructor=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(ctor, 400, 'parameter_unknown', 'constructor', 'form constructor');
    assert.equal(count(), before);
  });

  it('ordinary metadata, including keys that merely look like Object.prototype members, is kept as sent', async () => {
    const json = await h.createIntent({ metadata: { order: '42', toString: 'a', proto: 'b' } });
    assert.deepEqual(json.metadata, { order: '42', toString: 'a', proto: 'b' });
    const form = await h.v1('POST', '/payment_intents', { amount: 100, currency: 'cny', metadata: { order: '42', toString: 'a', __proto: 'c' } }, { form: true });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    assert.deepEqual(form.body.metadata, { order: '42', toString: 'a', __proto: 'c' });
  });
});

/** A pino destination that keeps the lines it is given. */
function captureLog() {
  const lines: string[] = [];
  return {
    stream: { write: (line: string) => void lines.push(line) },
    entries: () => lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('access log', () => {
  it('records the full path of every request (mount prefix included, query string left out)', async () => {
    const log = captureLog();
    const h = await boot({ logLevel: 'info', logDestination: log.stream });
    try {
      const intent = await h.createIntent();
      const view = await fetch(`${h.url}/client/payment_intents/${intent.id}?utm=1`, { headers: { authorization: `Bearer ${intent.client_secret}` } });
      assert.equal(view.status, 200);
      const frame = await fetch(`${h.url}/frame/card?channel=chan_abcdefgh&origin=${encodeURIComponent(SHOP)}`);
      assert.equal(frame.status, 200);
      assert.equal((await h.v1('GET', '/nothing-here')).status, 404);
      // The line is written on 'finish', which may come just after the client has the answer.
      const wanted = (path: string) => log.entries().find((e) => e.msg === 'request' && e.req?.path === path);
      for (let i = 0; i < 50 && !wanted('/v1/nothing-here'); i++) await new Promise((r) => setTimeout(r, 20));
      const requests = log.entries().filter((e) => e.msg === 'request');
      const paths = requests.map((e) => `${e.req.method} ${e.req.path} ${e.res.statusCode}`);
      assert.ok(paths.includes('POST /v1/payment_intents 200'), paths.join('\n'));
      assert.ok(paths.includes(`GET /client/payment_intents/${intent.id} 200`), paths.join('\n'));
      assert.ok(paths.includes('GET /frame/card 200'), paths.join('\n'));
      assert.ok(paths.includes('GET /v1/nothing-here 404'), paths.join('\n'));
      assert.ok(requests.every((e) => !String(e.req.path).includes('?')), 'no query strings');
      assert.equal(wanted('/v1/payment_intents')?.merchant, h.kassa.merchant);
    } finally {
      await h.close();
    }
  });
});
