/**
 * No card number or CVC in logs or in the database files (WAL included), and no client
 * secret or secret key in logs — checked on the bytes, after flows that handle all of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Database from 'better-sqlite3';
import { CARDS, FUTURE_YEAR, LogCapture, SHOP, boot, challengeUrl } from './helpers.js';
import { Sensitive } from '../src/domain/ports.js';

// Distinctive values that appear nowhere else: a Visa not in the sandbox table, an Amex CVC.
const PAN = '4000056655665556';
const AMEX = '371449635398431';
const CVC = '739';
const AMEX_CVC = '7391';

/** The CVC as a value on its own: not inside a longer run of letters or digits (ids, timestamps). */
const standalone = (value: string) => new RegExp(`(?<![A-Za-z0-9])${value}(?![A-Za-z0-9])`);

async function runFlows(h: Awaited<ReturnType<typeof boot>>) {
  const secrets: string[] = [h.secretKey];
  // A saved card (customer + setup_future_usage), then a one-click payment with it.
  const customer = await h.customer();
  const a = await h.createIntent({ customer, setup_future_usage: 'on_session' }, { idem: 'scan-create' });
  secrets.push(a.client_secret);
  const tokenA = await h.client('POST', '/tokens', a.client_secret, { card: { number: PAN, exp_month: 11, exp_year: FUTURE_YEAR, cvc: CVC } });
  assert.equal(tokenA.status, 200);
  const paidA = await h.client('POST', `/payment_intents/${a.id}/confirm`, a.client_secret, { payment_method: tokenA.body.id }, { idem: 'scan-1' });
  assert.equal(paidA.body.status, 'succeeded');
  const b = await h.createIntent({ customer });
  secrets.push(b.client_secret);
  const pm = (await h.v1('GET', `/customers/${customer}/payment_methods`)).body.data[0].id;
  assert.equal((await h.client('POST', `/payment_intents/${b.id}/confirm`, b.client_secret, { payment_method: pm })).body.status, 'succeeded');

  // An Amex with a 4-digit CVC, manual capture, then capture.
  const c = await h.createIntent({ capture_method: 'manual' });
  secrets.push(c.client_secret);
  const tokenC = await h.client('POST', '/tokens', c.client_secret, { card: { number: AMEX, exp_month: 1, exp_year: FUTURE_YEAR, cvc: AMEX_CVC } });
  await h.client('POST', `/payment_intents/${c.id}/confirm`, c.client_secret, { payment_method: tokenC.body.id });
  await h.v1('POST', `/payment_intents/${c.id}/capture`, {}, { idem: 'scan-capture' });

  // A decline, a 3-D Secure challenge, and requests that fail validation while carrying card data.
  const d = await h.createIntent();
  secrets.push(d.client_secret);
  const tokenD = await h.tokenize(d.client_secret, { number: CARDS.threeDS, cvc: CVC });
  const challenged = await h.client('POST', `/payment_intents/${d.id}/confirm`, d.client_secret, { payment_method: tokenD.body.id });
  const challengePage = challengeUrl(challenged.body.next_action.three_d_secure.url, SHOP);
  const formToken = /name="token" value="([^"]+)"/.exec(await (await fetch(challengePage)).text())?.[1] ?? '';
  const decided = await fetch(challengePage, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `result=pass&token=${encodeURIComponent(formToken)}`,
  });
  assert.equal(decided.status, 200);
  const e = await h.createIntent();
  secrets.push(e.client_secret);
  const bad = await h.client('POST', '/tokens', e.client_secret, { card: { number: PAN, exp_month: 11, exp_year: FUTURE_YEAR, cvc: '12' } });
  assert.equal(bad.status, 400);
  assert.ok(!JSON.stringify(bad.body).includes(PAN));
  const unknown = await h.client('POST', '/tokens', e.client_secret, { card: { number: PAN, exp_month: 11, exp_year: FUTURE_YEAR, cvc: CVC, pin: '0000' } });
  assert.equal(unknown.status, 400);
  const malformed = await h.client('POST', '/tokens', e.client_secret, undefined, {
    raw: `{"card":{"number":"${PAN}","cvc":"${CVC}"`,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(malformed.status, 400);
  // Stripe code that sends raw card details to the server API: refused, pointed at the frame.
  const rawCard = { number: PAN, exp_month: 11, exp_year: FUTURE_YEAR, cvc: CVC };
  for (const [path, body, form] of [
    ['/payment_intents', { amount: 100, currency: 'cny', payment_method_data: { type: 'card', card: rawCard } }, true],
    [`/payment_intents/${e.id}/confirm`, { card: rawCard }, false],
    ['/customers', { source: rawCard }, true],
  ] as const) {
    const refused = await h.v1('POST', path, body, { form });
    assert.equal(refused.status, 400, path);
    assert.equal(refused.body.error.code, 'parameter_unknown');
    assert.match(refused.body.error.message, /secure frame/);
    assert.ok(!JSON.stringify(refused.body).includes(PAN));
  }
  const tokenE = await h.tokenize(e.client_secret, { number: CARDS.genericDecline, cvc: CVC });
  assert.equal((await h.client('POST', `/payment_intents/${e.id}/confirm`, e.client_secret, { payment_method: tokenE.body.id })).status, 402);
  return secrets;
}

describe('secrets at rest and in logs', () => {
  it('logs of tokenize and confirm flows (at trace level) contain no card number, CVC, client secret or secret key', async () => {
    const logs = new LogCapture();
    const h = await boot({ logLevel: 'trace', logDestination: logs });
    try {
      const secrets = await runFlows(h);
      await new Promise((r) => setTimeout(r, 50)); // let the last "finish" handlers write
      const text = logs.text;
      // The logs are real and detailed: one line per request, with the (redacted) headers.
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      assert.ok(lines.filter((l) => l.msg === 'request').length >= 15);
      const withAuth = lines.find((l) => l.req?.headers?.authorization !== undefined);
      assert.equal(withAuth?.req.headers.authorization, '[redacted]');
      assert.ok(lines.some((l) => l.msg === 'payment_intent.succeeded'));

      for (const pan of [PAN, AMEX, CARDS.threeDS, CARDS.genericDecline]) {
        assert.ok(!text.includes(pan), 'card number in logs');
        assert.ok(!text.includes(pan.slice(0, 12)), 'most of a card number in logs');
      }
      for (const cvc of [CVC, AMEX_CVC]) {
        assert.ok(!text.includes(`"${cvc}"`), 'CVC as a JSON value in logs');
        assert.doesNotMatch(text, standalone(cvc), 'CVC in logs');
      }
      for (const secret of secrets) assert.ok(!text.includes(secret), 'client secret or secret key in logs');
      assert.ok(!text.includes(h.secretKey.slice(8)), 'secret key body in logs');
    } finally {
      await h.close();
    }
  });

  it('the database files, WAL included, never hold a card number or CVC', async () => {
    const h = await boot();
    try {
      await runFlows(h);
      const files = readdirSync(h.dataDir).filter((f) => f.includes('.sqlite'));
      assert.ok(files.some((f) => f.endsWith('-wal')), `expected WAL files, got ${files.join(', ')}`);
      for (const file of files) {
        const bytes = readFileSync(join(h.dataDir, file));
        const text = bytes.toString('latin1');
        for (const pan of [PAN, AMEX, CARDS.threeDS, CARDS.genericDecline]) {
          assert.ok(!text.includes(pan), `card number in ${file}`);
          assert.ok(!bytes.toString('utf16le').includes(pan), `UTF-16 card number in ${file}`);
        }
        // A quoted key, as JSON would hold it: a bare /cvc/i would also match random bytes of
        // ciphertext or ids now and then, and make this test fail by chance.
        assert.doesNotMatch(text, /"cvc"/i, `a cvc field in ${file}`);
        for (const cvc of [CVC, AMEX_CVC]) {
          assert.ok(!text.includes(`"${cvc}"`), `CVC as a JSON value in ${file}`);
        }
      }
      // Cell by cell (the committed state, WAL applied): no card number, no cell that is a CVC.
      for (const name of ['kassa.sqlite', 'sandbox.sqlite']) {
        const db = new Database(join(h.dataDir, name), { readonly: true });
        try {
          const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
          for (const { name: table } of tables) {
            const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
            for (const column of columns) assert.doesNotMatch(column.name, /cvc|cvv|security_code/i, `${name}.${table}.${column.name}`);
          }
          let cells = 0;
          for (const { name: table } of tables) {
            for (const row of db.prepare(`SELECT * FROM "${table}"`).raw().all() as unknown[][]) {
              for (const cell of row) {
                cells++;
                const value = Buffer.isBuffer(cell) ? cell.toString('latin1') : String(cell);
                for (const pan of [PAN, AMEX]) assert.ok(!value.includes(pan), `card number in ${name}.${table}`);
                for (const cvc of [CVC, AMEX_CVC]) {
                  assert.notEqual(value, cvc, `a CVC cell in ${name}.${table}`);
                  if (typeof cell === 'string') assert.doesNotMatch(cell, standalone(cvc), `CVC in ${name}.${table}`);
                }
              }
            }
          }
          assert.ok(cells > 50, `scanned ${cells} cells of ${name}`);
        } finally {
          db.close();
        }
      }
      // The card is there, encrypted: the vault holds ciphertext of the right length, not digits.
      const db = h.db();
      const vaulted = db.prepare("SELECT ciphertext, last4 FROM vault_cards WHERE last4 = '5556'").get() as { ciphertext: Buffer; last4: string };
      assert.equal(vaulted.ciphertext.length, PAN.length);
      assert.ok(!/^\d+$/.test(vaulted.ciphertext.toString('latin1')));
    } finally {
      await h.close();
    }
  });

  it('card data handed to a provider cannot be logged or serialized by accident', () => {
    const pan = new Sensitive(PAN);
    const card = { number: pan, cvc: new Sensitive(CVC), expMonth: 1, expYear: 2030 };
    assert.ok(!JSON.stringify(card).includes(PAN));
    assert.ok(!inspect(card, { depth: 5 }).includes(PAN));
    assert.ok(!`${pan}`.includes(PAN));
    assert.equal(pan.reveal(), PAN);
  });
});
