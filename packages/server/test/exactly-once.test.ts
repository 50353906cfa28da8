/**
 * The smaller defects found while crashing the server on purpose, each pinned down: a race
 * between two first saves of one card, a failed write of "outcome unknown", a vault that
 * cannot give a card back, and how retries find a lock (in flight, resumable, replayed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { FaultPoint, PaymentProvider } from '../src/index.js';
import { CARDS, boot, overriding, timingOutAfterActing } from './helpers.js';

/** A log destination that keeps the lines, to read what the server said. */
function logLines(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describe('exactly once: the edges', () => {
  it('two concurrent first saves of the same card: both intents point at the payment method row that exists', async () => {
    // Both authorizations wait for each other, so both payments settle in the same moment.
    let waiting: Array<() => void> = [];
    const together = (inner: PaymentProvider): PaymentProvider =>
      overriding(inner, {
        authorize: async (r) => {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 2) {
              for (const go of waiting) go();
              waiting = [];
            }
          });
          return inner.authorize(r);
        },
      });
    const h = await boot({ wrapProvider: together });
    try {
      const race = await h.customer({ name: 'Race' });
      const params = { customer: race, setup_future_usage: 'on_session', amount: 1200 };
      const [a, b] = await Promise.all([h.createIntent(params), h.createIntent(params)]);
      const [ta, tb] = await Promise.all([h.tokenize(a.client_secret, { number: CARDS.visa }), h.tokenize(b.client_secret, { number: CARDS.visa })]);
      const [ca, cb] = await Promise.all([
        h.client('POST', `/payment_intents/${a.id}/confirm`, a.client_secret, { payment_method: ta.body.id }),
        h.client('POST', `/payment_intents/${b.id}/confirm`, b.client_secret, { payment_method: tb.body.id }),
      ]);
      assert.equal(ca.body.status, 'succeeded');
      assert.equal(cb.body.status, 'succeeded');
      const saved = (await h.v1('GET', `/customers/${race}/payment_methods`)).body.data as Array<{ id: string }>;
      assert.equal(saved.length, 1, 'one card, saved once');
      for (const id of [a.id, b.id]) {
        const intent = (await h.v1('GET', `/payment_intents/${id}`)).body;
        assert.equal(intent.payment_method, saved[0]?.id, `${id} points at the saved row`);
      }
    } finally {
      await h.close();
    }
  });

  it('when recording "outcome unknown" itself fails, the failure is logged, not swallowed, and the attempt is still recovered', async () => {
    const log = logLines();
    let failWrite: FaultPoint | null = null;
    const h = await boot({
      logLevel: 'error',
      logDestination: log.stream,
      wrapProvider: timingOutAfterActing(new Set(['authorize'])),
      // In process, a throwing hook stands for the write failing (disk I/O error).
      faults: {
        reach(point) {
          if (point !== failWrite) return;
          failWrite = null;
          throw new Error('disk I/O error (injected)');
        },
      },
    });
    try {
      const intent = await h.createIntent({ amount: 3300 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      failWrite = 'before:outcome';
      const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirm.status, 502);
      assert.equal(confirm.body.error.type, 'api_error');
      assert.equal(confirm.body.error.payment_intent.status, 'processing', 'the last state that was written');
      const logged = log.lines.find((l) => l.msg === 'could not record the unknown outcome');
      assert.ok(logged, 'the failed write is logged');
      assert.match(JSON.stringify(logged.err), /disk I\/O error/);
      // The request is over, so its token no longer works on the attempt: recovery settles it.
      assert.equal(await h.kassa.recover(), 1);
      const view = await h.v1('GET', `/payment_intents/${intent.id}`);
      assert.equal(view.body.status, 'succeeded');
      assert.deepEqual(h.kassa.sandboxAccount(CARDS.amex, 'cny'), { balance: 100_000_000 - 3300, held: 0 });
    } finally {
      await h.close();
    }
  });

  it('a card the vault cannot open is a 503 vault_unavailable (never a 500), before anything is charged or committed', async () => {
    const log = logLines();
    const h = await boot({ logLevel: 'error', logDestination: log.stream });
    try {
      const intent = await h.createIntent({ amount: 800 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.visa });
      // Tamper with the stored ciphertext, as a corrupted disk or a wrong key would leave it.
      const rw = new Database(join(h.dataDir, 'kassa.sqlite'));
      try {
        rw.prepare("UPDATE vault_cards SET tag = zeroblob(16) WHERE id = (SELECT vault_card_id FROM tokens WHERE id = ?)").run(token.body.id);
      } finally {
        rw.close();
      }
      const confirm = await h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id });
      assert.equal(confirm.status, 503, JSON.stringify(confirm.body));
      assert.equal(confirm.body.error.type, 'api_error');
      assert.equal(confirm.body.error.code, 'vault_unavailable');
      assert.doesNotMatch(JSON.stringify(confirm.body), /4242|KASSA_VAULT_KEY|ciphertext/);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'requires_payment_method');
      assert.equal(h.kassa.sandboxAccount(CARDS.visa, 'cny'), null, 'the issuer never saw it');
      assert.ok(log.lines.some((l) => String(l.msg).startsWith('vault ciphertext did not authenticate')));
      assert.equal(log.lines.filter((l) => l.msg === 'unhandled error').length, 0, 'not a bug: a typed error');
    } finally {
      await h.close();
    }
  });

  it('a request still running holds its key (409); once it gave up with a 502 the key is released with its journal, for the retry to resume', async () => {
    let release: (() => void) | undefined;
    const slow = (inner: PaymentProvider): PaymentProvider =>
      overriding(inner, {
        authorize: async () => {
          await new Promise<void>((resolve) => (release = resolve));
          throw new Error('ETIMEDOUT');
        },
      });
    const h = await boot({ wrapProvider: slow });
    try {
      const intent = await h.createIntent({ amount: 900 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.jcb });
      const path = `/payment_intents/${intent.id}/confirm`;
      const send = () => h.client('POST', path, intent.client_secret, { payment_method: token.body.id }, { idem: 'slow-1' });
      const first = send();
      while (!release) await new Promise((r) => setTimeout(r, 5));
      const meanwhile = await send();
      assert.equal(meanwhile.status, 409);
      assert.equal(meanwhile.body.error.code, 'idempotency_key_in_use');
      release();
      assert.equal((await first).status, 502);
      const row = h.db().prepare("SELECT owner, recovery_point FROM idempotency_keys WHERE key = 'slow-1'").get() as { owner: string | null; recovery_point: string };
      assert.deepEqual(row, { owner: null, recovery_point: 'attempt_started' }, 'released with its journal');
    } finally {
      await h.close();
    }
  });

  it('a hung provider: past the deadline the call is aborted and answered 502; the charge it made is learned by the retry, charged once', async () => {
    let hang = true;
    let hangLookup = false;
    let aborted = 0;
    /** Waits for the call's signal; a call without one would hang for good (and fail the test by its timeout). */
    const hangUntilAborted = (signal: AbortSignal | undefined) =>
      new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => {
          aborted++;
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        });
      });
    const h = await boot({
      logLevel: 'silent',
      providerTimeoutMs: 300,
      wrapProvider: (inner) =>
        overriding(inner, {
          authorize: async (r) => {
            const done = await inner.authorize(r); // the money moves at the issuer…
            if (hang) return hangUntilAborted(r.signal); // …and the answer never comes back
            return done;
          },
          lookup: async (r) => (hangLookup ? hangUntilAborted(r.signal) : inner.lookup(r)),
        }),
    });
    try {
      const start = { balance: 100_000_000 }; // the Amex's sandbox balance before its first use
      const intent = await h.createIntent({ amount: 4100 });
      const token = await h.tokenize(intent.client_secret, { number: CARDS.amex });
      const confirm = () =>
        h.client('POST', `/payment_intents/${intent.id}/confirm`, intent.client_secret, { payment_method: token.body.id }, { idem: 'hung-1' });
      const began = Date.now();
      const first = await confirm();
      assert.equal(first.status, 502, JSON.stringify(first.body));
      assert.ok(Date.now() - began < 5000, `answered after ${Date.now() - began} ms, not held by the hung call`);
      assert.equal(aborted, 1, 'the call was given a signal, and it aborted at the deadline');
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, start.balance - 4100, 'the issuer did charge');

      // Recovery asking a provider that hangs too is bounded the same way, and guesses nothing.
      hangLookup = true;
      assert.equal(await h.kassa.recover(), 0);
      assert.equal(aborted, 2);
      assert.equal((await h.v1('GET', `/payment_intents/${intent.id}`)).body.status, 'unknown');

      hang = false;
      hangLookup = false;
      const retry = await confirm();
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.status, 'succeeded');
      assert.equal(h.kassa.sandboxAccount(CARDS.amex, 'cny')?.balance, start.balance - 4100, 'charged once');
      const attempts = h.db().prepare("SELECT COUNT(*) AS n FROM payment_attempts WHERE payment_intent_id = ? AND operation = 'authorize'").get(intent.id) as { n: number };
      assert.equal(attempts.n, 1, 'one attempt, settled by asking the provider, not a second call');
    } finally {
      await h.close();
    }
  });
});
