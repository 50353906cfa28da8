import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallengeToHost, parseFrameToHost, parseHostToFrame, readClientSecret, isValidChannel } from '../src/index.js';

const CH = 'chan_12345678';

test('frame messages must carry the protocol marker and this channel', () => {
  assert.ok(parseFrameToHost({ kassa: 1, channel: CH, type: 'ready' }, CH));
  assert.equal(parseFrameToHost({ kassa: 1, channel: 'other_12345678', type: 'ready' }, CH), null);
  assert.equal(parseFrameToHost({ channel: CH, type: 'ready' }, CH), null);
  assert.equal(parseFrameToHost('ready', CH), null);
  assert.equal(parseFrameToHost(null, CH), null);
});

test('tokenized carries only a token, brand and last 4 — anything else is refused', () => {
  const good = { kassa: 1, channel: CH, type: 'tokenized', requestId: 'r1', token: 'tok_abc', brand: 'visa', last4: '4242' };
  assert.ok(parseFrameToHost(good, CH));
  assert.equal(parseFrameToHost({ ...good, last4: '4242424242424242' }, CH), null);
  assert.equal(parseFrameToHost({ ...good, token: 'pm_abc' }, CH), null);
  assert.equal(parseFrameToHost({ ...good, brand: 'discover' }, CH), null);
});

test('change, resize and token_error are shape-checked', () => {
  assert.ok(parseFrameToHost({ kassa: 1, channel: CH, type: 'change', complete: false, empty: true, brand: 'unknown' }, CH));
  assert.equal(parseFrameToHost({ kassa: 1, channel: CH, type: 'change', complete: 'yes', empty: true, brand: 'visa' }, CH), null);
  assert.equal(parseFrameToHost({ kassa: 1, channel: CH, type: 'resize', height: Number.POSITIVE_INFINITY }, CH), null);
  assert.ok(parseFrameToHost({ kassa: 1, channel: CH, type: 'token_error', requestId: 'r', code: 'invalid_number', message: 'm', field: 'number' }, CH));
  assert.equal(parseFrameToHost({ kassa: 1, channel: CH, type: 'token_error', requestId: 'r', code: 'x', message: 'm', field: 'pan' }, CH), null);
});

test('host messages and challenge completion are shape-checked', () => {
  assert.ok(parseHostToFrame({ kassa: 1, channel: CH, type: 'init', clientSecret: 'a.b.c', locale: 'zh-CN' }, CH));
  assert.equal(parseHostToFrame({ kassa: 1, channel: CH, type: 'init', locale: 'en' }, CH), null);
  assert.equal(parseHostToFrame({ kassa: 1, channel: CH, type: 'eval', code: '1' }, CH), null);
  assert.ok(parseChallengeToHost({ kassa: 1, channel: CH, type: 'challenge_complete', paymentIntent: 'pi_1' }, CH));
  assert.equal(parseChallengeToHost({ kassa: 1, channel: CH, type: 'ready' }, CH), null);
  assert.ok(parseChallengeToHost({ kassa: 1, channel: CH, type: 'challenge_resize', height: 320 }, CH));
  assert.equal(parseChallengeToHost({ kassa: 1, channel: CH, type: 'challenge_resize', height: 1e9 }, CH), null);
});

test('init carries appearance as plain JSON and string overrides only; reset names real fields', () => {
  const init = { kassa: 1, channel: CH, type: 'init', clientSecret: 'a.b.c', locale: 'ja' };
  assert.ok(parseHostToFrame({ ...init, appearance: { theme: 'dark', variables: { colorText: '#fff' } }, messages: { number: 'No.' } }, CH));
  // Not plain objects: arrays, class instances, strings of CSS.
  assert.equal(parseHostToFrame({ ...init, appearance: 'body{background:url(//x)}' }, CH), null);
  assert.equal(parseHostToFrame({ ...init, appearance: [1] }, CH), null);
  assert.equal(parseHostToFrame({ ...init, appearance: new Date() }, CH), null);
  assert.equal(parseHostToFrame({ ...init, messages: { number: 42 } }, CH), null);
  assert.equal(parseHostToFrame({ ...init, messages: { number: 'x'.repeat(501) } }, CH), null);
  assert.ok(parseHostToFrame({ kassa: 1, channel: CH, type: 'reset' }, CH));
  assert.ok(parseHostToFrame({ kassa: 1, channel: CH, type: 'reset', fields: ['cvc'] }, CH));
  assert.equal(parseHostToFrame({ kassa: 1, channel: CH, type: 'reset', fields: ['pan'] }, CH), null);
  assert.ok(parseFrameToHost({ kassa: 1, channel: CH, type: 'submit' }, CH));
});

test('channels are long random-looking tokens', () => {
  assert.ok(isValidChannel('abcDEF123_-x'));
  assert.ok(!isValidChannel('short'));
  assert.ok(!isValidChannel('has space in it'));
});

test('reads the intent and server from a client secret without trusting it', () => {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const secret = `${enc({ alg: 'HS256' })}.${enc({ sub: 'pi_123', iss: 'http://127.0.0.1:4242', aud: 'kassa:client', exp: 1 })}.sig`;
  assert.deepEqual(readClientSecret(secret), { sub: 'pi_123', iss: 'http://127.0.0.1:4242', aud: 'kassa:client', exp: 1 });
  assert.equal(readClientSecret('not-a-jwt'), null);
  assert.equal(readClientSecret(`${enc({})}.${enc({ sub: 1 })}.sig`), null);
  assert.equal(readClientSecret('a.%%%.c'), null);
});
