/**
 * Which provider a payment goes to. A new payment goes to its mode's configured provider; an
 * intent's later calls (capture, refund, recovery) go to the provider its payment was made
 * at, by the name recorded on it — so moving test mode to another provider between restarts
 * never sends a capture to a provider that holds nothing. Two real issuers here: the built-in
 * sandbox and a second sandbox issuer on its own database under another name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SandboxProvider } from '../src/adapters/sandbox/provider.js';
import type { PaymentProvider } from '../src/domain/ports.js';
import { ConfiguredProviders } from '../src/providers.js';
import { CARDS, boot, overriding } from './helpers.js';

/** A second issuer, as another provider would be: its own accounts, its own name. */
function secondIssuer(dir: string): { provider: PaymentProvider; issuer: SandboxProvider } {
  const issuer = new SandboxProvider({
    path: join(dir, 'second-issuer.sqlite'),
    fingerprintKey: randomBytes(32),
    publicUrl: () => 'http://127.0.0.1:1',
    clock: { now: Date.now },
  });
  return { issuer, provider: { ...overriding(issuer, {}), name: 'second' } };
}

describe('the provider directory', () => {
  it('test mode moved to another provider between restarts: the hold made at the sandbox is captured and refunded at the sandbox, and new payments go to the new one', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-directory-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const second = secondIssuer(dir);
    t.after(() => second.issuer.close());

    const first = await boot({}, dir);
    let held: { id: string };
    try {
      const intent = await first.createIntent({ amount: 6100, capture_method: 'manual' });
      const token = await first.tokenize(intent.client_secret, { number: CARDS.amex });
      const confirmed = await first.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirmed.body.status, 'requires_capture');
      held = intent;
      assert.equal(first.kassa.sandboxAccount(CARDS.amex, 'cny')?.held, 6100);
    } finally {
      await first.close();
    }

    const h = await boot({ providers: { test: second.provider } }, dir);
    try {
      const captured = await h.v1('POST', `/payment_intents/${held.id}/capture`, { amount_to_capture: 5000 });
      assert.equal(captured.status, 200, JSON.stringify(captured.body));
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.amex, 'cny'), { balance: 100_000_000 - 5000, held: 0 }, 'captured where it was held');
      assert.equal(second.issuer.account(CARDS.amex, 'cny'), null, 'the new provider never heard of it');
      const refund = await h.v1('POST', '/refunds', { payment_intent: held.id, amount: 2000 });
      assert.equal(refund.body.status, 'succeeded', JSON.stringify(refund.body));
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, 100_000_000 - 3000);

      const fresh = await h.createIntent({ amount: 1700 });
      const token = await h.tokenize(fresh.client_secret, { number: CARDS.amex });
      const paid = await h.client('POST', `/payment_intents/${fresh.id}/confirm`, fresh.client_secret, { payment_method: token.body.id });
      assert.equal(paid.body.status, 'succeeded', JSON.stringify(paid.body));
      assert.equal(second.issuer.account(CARDS.amex, 'cny')?.balance, 100_000_000 - 1700, 'the new payment went to the new provider');
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, 100_000_000 - 3000, 'and not to the sandbox');
    } finally {
      await h.close();
    }
  });

  it('an intent paid at a provider this server no longer has is refused clearly (provider_not_configured), never sent elsewhere', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-directory-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const second = secondIssuer(dir);
    t.after(() => second.issuer.close());
    const first = await boot({ providers: { test: second.provider } }, dir);
    let held: { id: string; client_secret: string };
    try {
      held = await first.createIntent({ amount: 2500, capture_method: 'manual' });
      const token = await first.tokenize(held.client_secret, { number: CARDS.amex });
      const confirmed = await first.client('POST', `/payment_intents/${held.id}/confirm`, held.client_secret, { payment_method: token.body.id });
      assert.equal(confirmed.body.status, 'requires_capture');
    } finally {
      await first.close();
    }
    const h = await boot({}, dir);
    try {
      const refused = await h.v1('POST', `/payment_intents/${held.id}/capture`, {});
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'provider_not_configured');
      assert.match(refused.body.error.message, /second provider/);
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny'), null, 'nothing sent to the sandbox instead');
      assert.equal((await h.v1('GET', `/payment_intents/${held.id}`)).body.status, 'requires_capture');
    } finally {
      await h.close();
    }
  });

  it('the sandbox issuer cannot be made the live provider', () => {
    const fake = { name: 'sandbox' } as PaymentProvider;
    assert.throws(() => new ConfiguredProviders({ test: null, live: fake }), /cannot take live payments/);
  });
});
