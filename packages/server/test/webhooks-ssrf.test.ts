/**
 * The target policy for live endpoints (SSRF): the policy module on its own, the use case that
 * creates a live endpoint, and a running server delivering to endpoint rows marked live (live
 * keys do not exist yet, so the rows are marked by hand) — refused before any connection,
 * resolved names included, while the same targets in test mode are delivered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { boot } from './helpers.js';
import { Receiver } from './webhook-receiver.js';
import { TargetRefused, checkTarget, guardedLookup, refusedRange, staticRefusal } from '../src/webhooks/target-policy.js';
import type { Resolver } from '../src/webhooks/target-policy.js';
import { WebhookEndpoints } from '../src/webhooks/endpoints.js';
import { WebhookSecrets } from '../src/webhooks/secrets.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { KassaError } from '../src/domain/errors.js';

const resolverOf =
  (answer: string[] | Error): Resolver =>
  async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  };
const neverResolve: Resolver = async () => assert.fail('an address literal needs no DNS');

/** Runs a lookup function as http.request would, and returns what it called back with. */
function runLookup(lookup: LookupFunction, hostname: string, all: boolean): Promise<{ err: Error | null; address: unknown }> {
  return new Promise((resolve) => {
    lookup(hostname, { all }, (err: Error | null, address: unknown) => resolve({ err, address }));
  });
}

describe('webhook target policy (SSRF)', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast, unspecified, reserved and embedded-IPv4 ranges; allows public unicast', () => {
    const refused: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.255.255.254': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'linkLocal',
      '100.64.0.1': 'carrierGradeNat',
      '0.0.0.0': 'unspecified',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'broadcast',
      '192.0.2.1': 'reserved',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'linkLocal',
      'fc00::1': 'uniqueLocal',
      'fd12:3456::1': 'uniqueLocal',
      'ff02::1': 'multicast',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '::ffff:169.254.169.254': 'linkLocal',
      '64:ff9b::a00:1': 'rfc6052',
      '2002:a00:1::1': '6to4',
      '2001:0:a00:1::1': 'teredo',
      'not-an-ip': 'invalid',
    };
    for (const [address, range] of Object.entries(refused)) assert.equal(refusedRange(address), range, address);
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) {
      assert.equal(refusedRange(address), null, address);
    }
  });

  it('checks the URL without DNS: scheme, credentials, and for live endpoints https and address literals', () => {
    const code = (url: string, live: boolean) => staticRefusal(new URL(url), live)?.code ?? null;
    assert.equal(code('ftp://example.com/', false), 'scheme_not_allowed');
    assert.equal(code('https://user:pw@example.com/', false), 'credentials_in_url');
    // Test mode: a development receiver on this machine is fine.
    assert.equal(code('http://127.0.0.1:3000/hooks', false), null);
    assert.equal(code('http://localhost/hooks', false), null);
    // Live: https only, and no literal address of a refused range.
    assert.equal(code('http://example.com/hooks', true), 'scheme_not_allowed');
    assert.equal(code('https://127.0.0.1/hooks', true), 'address_not_allowed');
    assert.equal(code('https://[::1]:8443/hooks', true), 'address_not_allowed');
    assert.equal(code('https://[::ffff:7f00:1]/hooks', true), 'address_not_allowed');
    assert.equal(code('https://169.254.169.254/latest/meta-data', true), 'address_not_allowed');
    assert.equal(code('https://example.com/hooks', true), null);
    assert.equal(code('https://93.184.216.34/hooks', true), null);
  });

  it('resolves names for live endpoints: any refused address (or none) refuses the URL', async () => {
    const url = new URL('https://hooks.example.com/kassa');
    assert.equal(await checkTarget(url, true, resolverOf(['93.184.216.34', '2606:2800:220:1::1'])), null);
    assert.equal((await checkTarget(url, true, resolverOf(['93.184.216.34', '10.0.0.7'])))?.code, 'address_not_allowed');
    assert.match((await checkTarget(url, true, resolverOf(['10.0.0.7'])))?.message ?? '', /10\.0\.0\.7 \(private address\)/);
    assert.equal((await checkTarget(url, true, resolverOf([])))?.code, 'unresolvable');
    assert.equal((await checkTarget(url, true, resolverOf(new Error('ENOTFOUND'))))?.code, 'unresolvable');
    assert.equal(await checkTarget(new URL('https://93.184.216.34/'), true, neverResolve), null);
    assert.equal(await checkTarget(new URL('http://10.0.0.7/'), false, neverResolve), null, 'test mode is exempt');
    // The system resolver really is asked: localhost is loopback.
    assert.equal((await checkTarget(new URL('https://localhost/'), true))?.code, 'address_not_allowed');
  });

  it("the connection's own lookup refuses what the policy refuses, so a name that now resolves to a private address (DNS rebinding) is refused at delivery", async () => {
    let answer: LookupAddress[] = [{ address: '93.184.216.34', family: 4 }];
    const base = ((_host: string, _options: unknown, callback: (err: null, addresses: LookupAddress[]) => void) => callback(null, answer)) as unknown as Parameters<typeof guardedLookup>[0];
    const lookup = guardedLookup(base);
    assert.deepEqual(await runLookup(lookup, 'hooks.example.com', true), { err: null, address: answer });
    assert.deepEqual(await runLookup(lookup, 'hooks.example.com', false), { err: null, address: '93.184.216.34' });
    answer = [{ address: '10.0.0.7', family: 4 }];
    const rebound = await runLookup(lookup, 'hooks.example.com', true);
    assert.ok(rebound.err instanceof TargetRefused);
    answer = [
      { address: '93.184.216.34', family: 4 },
      { address: 'fd00::7', family: 6 },
    ];
    assert.ok((await runLookup(lookup, 'hooks.example.com', false)).err instanceof TargetRefused, 'one refused address refuses the name');
    assert.ok((await runLookup(guardedLookup(), 'localhost', true)).err instanceof TargetRefused, 'the system lookup for localhost');
  });

  it('creating or updating a live endpoint refuses a private target with url_invalid; a public https one is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-ssrf-'));
    const store = new SqliteStore(join(dir, 'kassa.sqlite'));
    try {
      await store.createMerchant(
        { id: 'acct_livemerchant0001', accountId: 'acct_livemerchant0001', livemode: true, name: 'live', country: null, defaultCurrency: null, email: null, allowedOrigins: [], status: 'live', created: Date.now() },
        [],
      );
      let answer = ['10.20.30.40'];
      const endpoints = new WebhookEndpoints({ store, clock: { now: Date.now }, secrets: new WebhookSecrets(randomBytes(32)), resolve: async () => answer });
      const refusedWith = async (fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (error) {
          assert.ok(error instanceof KassaError);
          assert.equal(error.code, 'url_invalid');
          assert.equal(error.details.param, 'url');
          return error.message;
        }
        return assert.fail('expected url_invalid');
      };
      const input = { url: 'https://hooks.shop.example/kassa', enabledEvents: ['*'] };
      assert.match(await refusedWith(() => endpoints.create('acct_livemerchant0001', true, input)), /10\.20\.30\.40 \(private address\)/);
      assert.match(await refusedWith(() => endpoints.create('acct_livemerchant0001', true, { ...input, url: 'http://hooks.shop.example/' })), /https/);
      assert.match(await refusedWith(() => endpoints.create('acct_livemerchant0001', true, { ...input, url: 'https://[fe80::1]/' })), /linkLocal/);
      answer = ['93.184.216.34'];
      const { endpoint } = await endpoints.create('acct_livemerchant0001', true, input);
      assert.equal(endpoint.livemode, true);
      answer = ['192.168.0.10'];
      await refusedWith(() => endpoints.update('acct_livemerchant0001', true, endpoint.id, { url: 'https://moved.shop.example/' }));
      // The same private URL in test mode is a development receiver, and fine.
      const test = await endpoints.create('acct_livemerchant0001', false, { ...input, url: 'http://10.20.30.40/hooks' });
      assert.equal(test.endpoint.livemode, false);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a running server refuses to deliver to live endpoints aimed at loopback (also by name) or over http — no connection is made — and records why; test mode delivers', async () => {
    // A plain TCP server: any connection at all (TLS or not) would be counted.
    let connections = 0;
    const tcp = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    const port = (tcp.address() as AddressInfo).port;
    const rx = await Receiver.start();
    const h = await boot({ webhookPollMs: 0 });
    try {
      const targets = [`https://127.0.0.1:${port}/hooks`, `https://localhost:${port}/hooks`, `https://[::ffff:127.0.0.1]:${port}/hooks`, `http://127.0.0.1:${port}/hooks`];
      const live: string[] = [];
      for (const url of targets) {
        const r = await h.v1('POST', '/webhook_endpoints', { url, enabled_events: ['*'] });
        assert.equal(r.status, 200, 'accepted as test endpoints');
        live.push(r.body.id as string);
      }
      const testEndpoint = (await h.v1('POST', '/webhook_endpoints', { url: rx.url, enabled_events: ['*'] })).body.id as string;

      // Mark the rows live, and write one live event for the merchant (as a live payment would).
      const intent = await h.createIntent();
      const db = new Database(join(h.dataDir, 'kassa.sqlite'));
      try {
        db.pragma('busy_timeout = 5000');
        const mark = db.prepare('UPDATE webhook_endpoints SET livemode = 1 WHERE id = ?');
        for (const id of live) mark.run(id);
        const row = db.prepare('SELECT * FROM outbox WHERE payment_intent_id = ?').get(intent.id) as Record<string, unknown>;
        const payload = { ...(JSON.parse(row.payload as string) as Record<string, unknown>), id: 'evt_liveEventForSsrfTest01', livemode: true };
        db.prepare('INSERT INTO outbox (id, merchant_id, type, payment_intent_id, payload, created) VALUES (?, ?, ?, ?, ?, ?)').run(
          payload.id,
          row.merchant_id,
          row.type,
          row.payment_intent_id,
          JSON.stringify(payload),
          Date.now(),
        );
      } finally {
        db.close();
      }

      await h.kassa.deliverWebhooks();
      assert.equal(connections, 0, 'no connection to a refused target');
      const reasons: string[] = [];
      for (const id of live) {
        const deliveries = await h.kassa.webhookDeliveries(h.kassa.merchant, id);
        assert.deepEqual(deliveries.map((d) => d.event), ['evt_liveEventForSsrfTest01'], 'live endpoints get the live event only');
        const attempt = deliveries[0]?.attempts[0];
        assert.equal(attempt?.status_code, null);
        assert.equal(attempt?.outcome, 'retrying');
        reasons.push(attempt?.error ?? '');
      }
      assert.match(reasons[0] ?? '', /refused by the target policy: .*127\.0\.0\.1 \(loopback address\)/);
      assert.match(reasons[1] ?? '', /refused by the target policy: .*(127\.0\.0\.1|::1) \(loopback address\)/, 'localhost refused on its resolved address');
      assert.match(reasons[2] ?? '', /refused by the target policy: .*loopback/);
      assert.match(reasons[3] ?? '', /refused by the target policy: A live endpoint must use https/);
      // The test endpoint got the test event, and not the live one.
      assert.deepEqual(
        rx.requests.map((r) => [r.event.id.startsWith('evt_'), r.event.type, (r.event as unknown as { livemode: boolean }).livemode]),
        [[true, 'payment_intent.created', false]],
      );
      assert.equal((await h.kassa.webhookDeliveries(h.kassa.merchant, testEndpoint))[0]?.status, 'succeeded');
    } finally {
      await h.close();
      await rx.close();
      await new Promise((resolve) => tcp.close(resolve));
    }
  });
});
