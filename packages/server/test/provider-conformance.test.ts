/**
 * The provider port's conformance suite (test/provider-conformance.ts) against the built-in
 * sandbox issuer, on a real SQLite file of its own. Each real provider's adapter runs the same
 * suite against its fake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SandboxProvider } from '../src/adapters/sandbox/provider.js';
import { Sensitive } from '../src/domain/ports.js';
import type { ProviderCard } from '../src/domain/ports.js';
import { CARDS, FUTURE_YEAR } from './helpers.js';
import { providerConformance } from './provider-conformance.js';

const card = (number: string): ProviderCard => ({ number: new Sensitive(number), cvc: new Sensitive('123'), expMonth: 12, expYear: FUTURE_YEAR });

providerConformance('sandbox', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-conformance-'));
  const provider = new SandboxProvider({
    path: join(dir, 'sandbox.sqlite'),
    fingerprintKey: randomBytes(32),
    publicUrl: () => 'http://127.0.0.1:1',
    clock: { now: Date.now },
  });
  const approved = card(CARDS.unionpay);
  return {
    provider,
    approved,
    insufficientFunds: card(CARDS.insufficientFunds),
    challenged: card(CARDS.threeDS),
    currency: 'cny',
    account: (c) => provider.account(c.number.reveal(), 'cny'),
    async close() {
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
