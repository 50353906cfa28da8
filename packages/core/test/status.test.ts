import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, isTerminal, PAYMENT_STATUSES, TRANSITIONS, isPaymentStatus } from '../src/index.js';

test('terminal statuses allow no way out', () => {
  for (const s of ['succeeded', 'canceled', 'failed'] as const) {
    assert.ok(isTerminal(s));
    for (const to of PAYMENT_STATUSES) assert.ok(!canTransition(s, to), `${s} → ${to}`);
  }
});

test('the happy paths of the design are allowed', () => {
  const paths = [
    ['requires_payment_method', 'processing', 'succeeded'],
    ['requires_payment_method', 'processing', 'requires_action', 'processing', 'succeeded'],
    ['requires_payment_method', 'processing', 'requires_capture', 'processing', 'succeeded'],
    ['requires_payment_method', 'processing', 'requires_payment_method', 'processing', 'succeeded'],
    ['requires_payment_method', 'processing', 'unknown', 'succeeded'],
  ] as const;
  for (const path of paths) {
    for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), path.join(' → '));
  }
});

test('a charge cannot jump straight to succeeded without processing', () => {
  assert.ok(!canTransition('requires_payment_method', 'succeeded'));
  assert.ok(!canTransition('requires_action', 'succeeded'));
  assert.ok(!canTransition('requires_capture', 'requires_payment_method'));
});

test('every status has an entry and only names real statuses', () => {
  assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...PAYMENT_STATUSES].sort());
  for (const targets of Object.values(TRANSITIONS)) for (const t of targets) assert.ok(isPaymentStatus(t));
  assert.ok(!isPaymentStatus('paid'));
});
