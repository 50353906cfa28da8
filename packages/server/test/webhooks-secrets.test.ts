/**
 * Endpoint signing secrets are shown once and then exist only sealed: never in a log line (at
 * trace level, through create, replay, roll, delivery, failures and refusals), never in clear
 * in the database files (WAL included), the idempotency table's stored answers included.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { LogCapture, boot } from './helpers.js';
import type { Harness } from './helpers.js';
import { Receiver } from './webhook-receiver.js';

/** Every way a secret is made and used; returns the secrets made. */
async function runFlows(h: Harness): Promise<string[]> {
  let status = 500;
  const rx = await Receiver.start(() => status);
  const gone = await Receiver.start(() => 410);
  try {
    const secrets: string[] = [];
    const a = await h.v1('POST', '/webhook_endpoints', { url: rx.url, enabled_events: ['*'] }, { idem: 'scan-create' });
    secrets.push(a.body.secret);
    const replay = await h.v1('POST', '/webhook_endpoints', { url: rx.url, enabled_events: ['*'] }, { idem: 'scan-create' });
    assert.equal(replay.body.secret, a.body.secret);
    const b = await h.v1('POST', '/webhook_endpoints', { url: gone.url, enabled_events: { 0: 'payment_intent.created' } }, { form: true });
    assert.equal(b.status, 200);
    secrets.push(b.body.secret);
    const rolled = await h.v1('POST', `/webhook_endpoints/${a.body.id}/roll_secret`, { previous_secret_expires_in: 600 }, { idem: 'scan-roll' });
    secrets.push(rolled.body.secret);
    assert.equal((await h.v1('POST', `/webhook_endpoints/${a.body.id}/roll_secret`, { previous_secret_expires_in: 600 }, { idem: 'scan-roll' })).body.secret, rolled.body.secret);
    const c = await h.v1('POST', '/webhook_endpoints', { url: 'https://user:hunter2@hooks.example/', enabled_events: ['*'] });
    assert.equal(c.status, 400);
    await h.createIntent();
    await h.kassa.deliverWebhooks(); // a failure (500) and a 410
    status = 200;
    await h.v1('POST', `/webhook_endpoints/${a.body.id}`, { description: 'after a failure' });
    await h.createIntent();
    await h.kassa.deliverWebhooks();
    const delivered = rx.requests.at(-1);
    assert.ok(delivered);
    new Webhook(rolled.body.secret).verify(delivered.body, Receiver.headersOf(delivered));
    return secrets;
  } finally {
    await rx.close();
    await gone.close();
  }
}

/** The forms a secret could leak in: the string, its base64 body, and its raw key bytes. */
function forms(secret: string): { text: string[]; bytes: Buffer } {
  const body = secret.slice('whsec_'.length);
  return { text: [secret, body, body.slice(0, 20)], bytes: Buffer.from(body, 'base64') };
}

describe('webhook secrets at rest and in logs', () => {
  it('no log line, at trace level, holds a signing secret in any form', async () => {
    const logs = new LogCapture();
    const h = await boot({ webhookPollMs: 0, logLevel: 'trace', logDestination: logs });
    try {
      const secrets = await runFlows(h);
      await new Promise((r) => setTimeout(r, 50));
      const text = logs.text;
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      // The logs are real: requests, deliveries, the failure and the 410 are all there.
      for (const msg of ['request', 'webhook delivered', 'webhook attempt failed; will retry', 'webhook endpoint answered 410 Gone and is disabled']) {
        assert.ok(lines.some((l) => l.msg === msg), `a "${msg}" line`);
      }
      assert.equal(secrets.length, 3);
      for (const secret of secrets) {
        const f = forms(secret);
        for (const t of f.text) assert.ok(!text.includes(t), 'a secret in the logs');
        assert.ok(!text.includes(f.bytes.toString('hex')), 'a secret key in hex in the logs');
      }
      assert.ok(!text.includes('whsec_'), 'nothing secret-shaped in the logs');
      assert.ok(!text.includes('hunter2'), "a refused URL's password is not logged");
    } finally {
      await h.close();
    }
  });

  it('the database files, WAL included, never hold a signing secret in clear — sealed, it still signs', async () => {
    const h = await boot({ webhookPollMs: 0 });
    try {
      const secrets = await runFlows(h);
      const files = readdirSync(h.dataDir).filter((f) => f.includes('.sqlite'));
      assert.ok(files.some((f) => f.endsWith('-wal')), `expected WAL files, got ${files.join(', ')}`);
      for (const file of files) {
        const bytes = readFileSync(join(h.dataDir, file));
        const latin1 = bytes.toString('latin1');
        for (const secret of secrets) {
          const f = forms(secret);
          for (const t of f.text) {
            assert.ok(!latin1.includes(t), `a secret in ${file}`);
            assert.ok(!bytes.toString('utf16le').includes(t), `a UTF-16 secret in ${file}`);
          }
          assert.equal(bytes.indexOf(f.bytes), -1, `raw secret key bytes in ${file}`);
        }
        assert.ok(!latin1.includes('whsec_'), `something secret-shaped in ${file}`);
      }
      // Cell by cell, committed state: ciphertext of the right length where secrets live, and
      // the idempotency table's replays hold them sealed.
      const db = new Database(join(h.dataDir, 'kassa.sqlite'), { readonly: true });
      try {
        const sealed = db.prepare('SELECT ciphertext FROM webhook_secrets').all() as Array<{ ciphertext: Buffer }>;
        assert.ok(sealed.length >= 3);
        for (const s of sealed) assert.equal(s.ciphertext.length, 'whsec_'.length + 44);
        const replays = db.prepare("SELECT response_body FROM idempotency_keys WHERE key IN ('scan-create', 'scan-roll')").all() as Array<{ response_body: string }>;
        assert.equal(replays.length, 2);
        for (const r of replays) assert.match(JSON.parse(r.response_body).secret, /^kassa-sealed:v1:/);
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        for (const { name } of tables) {
          for (const row of db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][]) {
            for (const cell of row) {
              const value = Buffer.isBuffer(cell) ? cell.toString('latin1') : String(cell);
              for (const secret of secrets) assert.ok(!value.includes(secret.slice(6)), `a secret in ${name}`);
            }
          }
        }
      } finally {
        db.close();
      }
    } finally {
      await h.close();
    }
  });
});
