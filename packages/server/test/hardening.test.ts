/**
 * Hardening: inputs a parser would quietly reshape (reserved metadata keys), and what the
 * access log records.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot } from './helpers.js';
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
