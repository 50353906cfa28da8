/**
 * The built `kassa` against a real server it started itself: `kassa serve` on a temp data
 * directory and a free port, then what an operator and a merchant do with it — register a
 * merchant, manage its keys, trigger payments, follow them with `listen` into a handler that
 * verifies every delivery with the `standardwebhooks` library and with the stripe SDK, capture
 * and refund — plus `--help` everywhere, `--json` that parses, and the exit codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { spawnSync } from 'node:child_process';
import { BIN, Receiver, Running, assertBuilt, cleanEnv, headerRecord, kassa, parseJson } from './helpers.js';

describe('kassa (built, plain node)', () => {
  let dir = '';
  let dataDir = '';
  let server: Running;
  let url = '';
  let operatorKey = '';
  let defaultSecret = '';
  /** The client commands' environment: the server's URL and data directory, nothing else. */
  let env: Record<string, string> = {};

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-'));
    dataDir = join(dir, 'data');
    server = new Running(['serve', '--port', '0', '--data-dir', dataDir, '--json'], { cwd: dir });
    const start = await server.waitFor((s) => s.json().find((l) => typeof l.listening === 'string'), 'the start line');
    url = start.listening as string;
    const keys = start.test_keys as { secret_key: string; merchant: string; file: string };
    const op = start.operator_key as { key: string; file: string };
    defaultSecret = keys.secret_key;
    operatorKey = op.key;
    env = cleanEnv({ KASSA_URL: url, KASSA_DATA_DIR: dataDir });
  });

  after(async () => {
    await server?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve prints the keys it makes once, writes them to private files, and logs to stderr with --json', () => {
    const start = server.json()[0] ?? {};
    assert.match(String(start.listening), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(defaultSecret, /^sk_test_/);
    assert.match(operatorKey, /^op_/);
    for (const file of [join(dataDir, 'test-keys.json'), join(dataDir, 'operator-key.json')]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    // stdout is JSON lines only: nothing from the logger slipped in.
    for (const line of server.lines.filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('--help on every command names it and its key options', async () => {
    const cases: Array<[string[], string[]]> = [
      [[], ['serve', 'merchants', 'provider-accounts', 'keys', 'payments', 'listen', 'trigger', 'reconcile', 'Exit codes']],
      [['provider-accounts', 'create'], ['<account>', '--type', '--mode', '--set', '--secrets-stdin', '--operator-key']],
      [['reconcile'], ['--no-ask', '--fail-on-open', '--operator-key', '--url', '--json']],
      [['serve'], ['--config', '--port', '--host', '--public-url', '--data-dir', '--allowed-origins', '--log-level', '--json', 'KASSA_PORT', 'kassa.config.json', 'KASSA_VAULT_KEY']],
      [['merchants'], ['create', 'list', 'activate']],
      [['merchants', 'create'], ['--name', '--origin', '--country', '--currency', '--operator-key', '--url', '--json']],
      [['merchants', 'list'], ['--operator-key', '--url', '--data-dir', '--json']],
      [['merchants', 'activate'], ['<account>', '--operator-key']],
      [['keys'], ['create', 'list', 'roll', 'revoke']],
      [['keys', 'create'], ['--merchant', '--type', 'restricted', '--live', '--permission', '--operator-key']],
      [['keys', 'list'], ['--merchant', '--operator-key']],
      [['keys', 'roll'], ['<key>', '--expires-in']],
      [['keys', 'revoke'], ['<key>', '--operator-key']],
      [['payments'], ['list', 'get', 'capture', 'refund']],
      [['payments', 'list'], ['--limit', '--customer', '--starting-after', '--api-key', '--json']],
      [['payments', 'get'], ['<id>', '--api-key']],
      [['payments', 'capture'], ['<id>', '--amount', '--idempotency-key']],
      [['payments', 'refund'], ['<id>', '--amount', '--reason', '--idempotency-key']],
      [['listen'], ['--forward-to', '--events', '--poll-interval', '--api-key']],
      [['trigger'], ['<event>', '--amount', '--currency', 'payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded', 'refund.created']],
    ];
    const results = await Promise.all(cases.map(([command]) => kassa([...command, '--help'], { env })));
    cases.forEach(([command, expected], i) => {
      const r = results[i];
      assert.ok(r);
      assert.equal(r.code, 0, `kassa ${command.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: kassa${command.map((c) => ` ${c}`).join('')}`), command.join(' '));
      for (const text of expected) assert.ok(r.stdout.includes(text), `kassa ${command.join(' ')} --help lacks ${text}:\n${r.stdout}`);
    });
  });

  it('an operator registers a merchant, lists it, activates live mode (keys shown in those answers only)', async () => {
    const created = await kassa(['merchants', 'create', '--name', 'Tea House', '--origin', 'https://tea.example', '--country', 'CN', '--currency', 'cny', '--json'], { env });
    assert.equal(created.code, 0, created.stderr);
    const reg = parseJson(created.stdout);
    assert.match(reg.merchant.id, /^acct_/);
    assert.match(reg.keys.secret_key, /^sk_test_/);

    const human = await kassa(['merchants', 'list'], { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^ID\s+NAME\s+LIVE/);
    const row = human.stdout.split('\n').find((l) => l.startsWith(reg.merchant.id));
    assert.ok(row, human.stdout);
    assert.match(row, /Tea House\s+no\s+CN\s+cny/);
    assert.ok(!human.stdout.includes(reg.keys.secret_key), 'a list never shows keys');

    // The operator key from the flag works as well as from the data directory.
    const live = await kassa(['merchants', 'activate', reg.merchant.id, '--operator-key', operatorKey, '--data-dir', join(dir, 'nowhere')], { env: cleanEnv({ KASSA_URL: url }) });
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /Live mode is on/);
    assert.match(live.stdout, /sk_live_\w+/);
    const again = await kassa(['merchants', 'activate', reg.merchant.id], { env });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /account_already_live/);
  });

  it('provider-accounts: create (keys from the environment or stdin, never argv), list (last 4 only), deactivate, update (keys rolled, reactivated)', async () => {
    const reg = parseJson((await kassa(['merchants', 'create', '--name', 'Own Stripe', '--origin', 'https://own.example', '--json'], { env })).stdout);
    const merchant = reg.merchant.id as string;
    const stripeKey = `sk_test_${'c'.repeat(20)}cli9`;
    const webhookSecret = `whsec_${'w'.repeat(20)}hook`;
    // A key on the command line is refused before anything is sent.
    const onArgv = await kassa(['provider-accounts', 'create', merchant, '--type', 'stripe', '--set', `secretKey=${stripeKey}`], { env });
    assert.equal(onArgv.code, 2, onArgv.stderr);
    assert.match(onArgv.stderr, /KASSA_PROVIDER_SECRET_KEY/);

    const made = await kassa(['provider-accounts', 'create', merchant, '--type', 'stripe', '--name', 'main', '--set', 'apiBase=http://127.0.0.1:9', '--set', 'multicapture=true', '--json'], {
      env: { ...env, KASSA_PROVIDER_SECRET_KEY: stripeKey, KASSA_PROVIDER_WEBHOOK_SECRET: webhookSecret },
    });
    assert.equal(made.code, 0, made.stderr);
    const account = parseJson(made.stdout);
    assert.match(account.id, /^pa_/);
    assert.deepEqual(account.config, { apiBase: 'http://127.0.0.1:9', multicapture: true }, 'true on the command line is a boolean');
    assert.deepEqual(account.secrets, { secretKey: { configured: true, last4: 'cli9' }, webhookSecret: { configured: true, last4: 'hook' } });
    assert.ok(!made.stdout.includes(stripeKey) && !made.stdout.includes(webhookSecret), 'the keys are not echoed');

    // Without the key: the server's 400 names the field.
    const missing = await kassa(['provider-accounts', 'create', merchant, '--type', 'stripe'], { env });
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /secretKey/);

    const listed = await kassa(['provider-accounts', 'list', merchant], { env });
    assert.equal(listed.code, 0, listed.stderr);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(account.id));
    assert.ok(row, listed.stdout);
    assert.match(row, /stripe\s+test\s+main\s+yes\s+secretKey …cli9/);
    assert.ok(!listed.stdout.includes(stripeKey));

    // --secrets-stdin: the keys as a JSON object on standard input (what a secrets manager pipes in).
    const adyenKey = `AQE${'d'.repeat(30)}std1`;
    const piped = spawnSync(process.execPath, [BIN, 'provider-accounts', 'create', merchant, '--type', 'adyen', '--set', 'merchantAccount=OwnShop', '--secrets-stdin', '--json'], {
      env,
      input: JSON.stringify({ apiKey: adyenKey }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(piped.status, 0, piped.stderr);
    const adyen = parseJson(piped.stdout);
    assert.deepEqual(adyen.secrets, { apiKey: { configured: true, last4: 'std1' }, hmacKey: { configured: false, last4: null } });
    assert.deepEqual(adyen.config, { merchantAccount: 'OwnShop' });
    const notJson = spawnSync(process.execPath, [BIN, 'provider-accounts', 'create', merchant, '--type', 'adyen', '--secrets-stdin'], { env, input: adyenKey, encoding: 'utf8', timeout: 30_000 });
    assert.equal(notJson.status, 2, notJson.stderr);
    assert.ok(!notJson.stderr.includes(adyenKey), 'a refused key is not echoed');

    const off = await kassa(['provider-accounts', 'deactivate', merchant, account.id], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, new RegExp(`Deactivated ${account.id}`));
    const after = parseJson((await kassa(['provider-accounts', 'list', merchant, '--json'], { env })).stdout);
    assert.equal(after.data[0].active, false);

    // update: the key rolled from the environment, and the account reactivated; nothing to change is a usage mistake.
    const rolledKey = `sk_test_${'e'.repeat(20)}rol2`;
    const nothing = await kassa(['provider-accounts', 'update', merchant, account.id], { env });
    assert.equal(nothing.code, 2, nothing.stderr);
    assert.match(nothing.stderr, /nothing to change/);
    // A key left exported in the shell is not sent without --keys-from-env (it could be another account's).
    const leftOver = await kassa(['provider-accounts', 'update', merchant, account.id, '--name', 'renamed'], { env: { ...env, KASSA_PROVIDER_SECRET_KEY: `sk_test_${'9'.repeat(20)}othr` } });
    assert.equal(leftOver.code, 0, leftOver.stderr);
    assert.match(leftOver.stderr, /KASSA_PROVIDER_SECRET_KEY set but not sent \(give --keys-from-env/);
    assert.equal(parseJson((await kassa(['provider-accounts', 'list', merchant, '--json'], { env })).stdout).data[0].secrets.secretKey.last4 === 'othr', false, 'the key stayed');
    const noKeys = await kassa(['provider-accounts', 'update', merchant, account.id, '--keys-from-env'], { env });
    assert.equal(noKeys.code, 2, noKeys.stderr);
    assert.match(noKeys.stderr, /none of KASSA_PROVIDER_SECRET_KEY/);
    const rolled = await kassa(['provider-accounts', 'update', merchant, account.id, '--keys-from-env', '--activate', '--name', 'rolled'], { env: { ...env, KASSA_PROVIDER_SECRET_KEY: rolledKey } });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, new RegExp(`Updated ${account.id} \\(new secretKey\\); it is active`));
    assert.ok(!rolled.stdout.includes(rolledKey));
    const now = parseJson((await kassa(['provider-accounts', 'list', merchant, '--json'], { env })).stdout).data[0];
    assert.deepEqual([now.active, now.name, now.secrets.secretKey.last4, now.secrets.webhookSecret.last4], [true, 'rolled', 'rol2', 'hook'], 'the webhook secret kept');
    const wrongMode = await kassa(['provider-accounts', 'update', merchant, account.id, '--keys-from-env'], { env: { ...env, KASSA_PROVIDER_SECRET_KEY: `sk_live_${'f'.repeat(20)}` } });
    assert.equal(wrongMode.code, 3, wrongMode.stderr);
    assert.match(wrongMode.stderr, /secretKey/);
  });

  it('keys: create, list (prefixes only), roll with an overlap of 0, revoke; each key works or stops on /v1 as it should', async () => {
    const reg = parseJson((await kassa(['merchants', 'create', '--name', 'Keys Ltd', '--origin', 'https://keys.example', '--json'], { env })).stdout);
    const merchant = reg.merchant.id as string;

    const made = await kassa(['keys', 'create', '--merchant', merchant, '--name', 'backend', '--json'], { env });
    assert.equal(made.code, 0, made.stderr);
    const key = parseJson(made.stdout);
    assert.match(key.secret, /^sk_test_/);
    const listWith = (apiKey: string) => kassa(['payments', 'list', '--json', '--api-key', apiKey], { env });
    assert.equal((await listWith(key.secret)).code, 0);

    const restricted = await kassa(['keys', 'create', '--merchant', merchant, '--type', 'restricted', '--permission', 'payment_intents=read'], { env });
    assert.equal(restricted.code, 0, restricted.stderr);
    assert.match(restricted.stdout, /rk_test_\w+ {3}\(shown once\)/);
    assert.match(restricted.stdout, /payment_intents=read/);

    const listed = await kassa(['keys', 'list', '--merchant', merchant], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.includes(key.id));
    assert.ok(listed.stdout.includes(key.prefix));
    assert.ok(!listed.stdout.includes(key.secret), 'the list shows prefixes, never keys');
    assert.equal(parseJson((await kassa(['keys', 'list', '--merchant', merchant, '--json'], { env })).stdout).data.length, 4);

    const rolled = await kassa(['keys', 'roll', key.id, '--expires-in', '0', '--json'], { env });
    assert.equal(rolled.code, 0, rolled.stderr);
    const next = parseJson(rolled.stdout);
    assert.notEqual(next.secret, key.secret);
    const old = await listWith(key.secret);
    assert.equal(old.code, 3, 'the old key stopped at once');
    assert.equal(parseJson(old.stderr).error.status, 401);
    assert.equal((await listWith(next.secret)).code, 0);

    const revoked = await kassa(['keys', 'revoke', next.id], { env });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked ${next.id}`));
    assert.equal((await listWith(next.secret)).code, 3);
    const twice = await kassa(['keys', 'revoke', next.id], { env });
    assert.equal(twice.code, 3);
    assert.match(twice.stderr, /api_key_expired, HTTP 400/);
  });

  it('payments: a manual-capture payment from trigger is shown, captured in part, refunded in two, and no more', async () => {
    const held = await kassa(['trigger', 'payment_intent.amount_capturable_updated', '--amount', '3000', '--currency', 'cny', '--json'], { env });
    assert.equal(held.code, 0, held.stderr);
    const triggered = parseJson(held.stdout);
    const pi = triggered.payment_intent as string;
    assert.equal(triggered.event.type, 'payment_intent.amount_capturable_updated');
    assert.equal(triggered.event.data.object.id, pi);

    const shown = await kassa(['payments', 'get', pi], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /status\s+requires_capture/);
    assert.match(shown.stdout, /capturable\s+CN¥30\.00/);
    const json = parseJson((await kassa(['payments', 'get', pi, '--json'], { env })).stdout);
    assert.equal(json.id, pi);
    assert.equal(json.amount_capturable, 3000);
    assert.equal(json.client_secret, undefined, 'the client secret is not printed');

    const captured = await kassa(['payments', 'capture', pi, '--amount', '2000'], { env });
    assert.equal(captured.code, 0, captured.stderr);
    assert.match(captured.stdout, /Captured CN¥20\.00 of pi_\w+ \(succeeded\)/);

    const first = await kassa(['payments', 'refund', pi, '--amount', '500', '--reason', 'requested_by_customer', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(parseJson(first.stdout).amount, 500);
    // The same Idempotency-Key twice refunds once: the second run answers the first refund.
    const rest = await kassa(['payments', 'refund', pi, '--idempotency-key', 'refund-rest-1', '--json'], { env });
    const replay = await kassa(['payments', 'refund', pi, '--idempotency-key', 'refund-rest-1', '--json'], { env });
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(parseJson(rest.stdout).amount, 1500);
    assert.equal(parseJson(replay.stdout).id, parseJson(rest.stdout).id);
    const over = await kassa(['payments', 'refund', pi], { env });
    assert.equal(over.code, 3);
    assert.match(over.stderr, /^kassa: .+\(charge_already_refunded, param payment_intent, HTTP 400\)/);

    const list = await kassa(['payments', 'list', '--limit', '100'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${pi}\\s+CN¥30\\.00\\s+succeeded`));
    const page = parseJson((await kassa(['payments', 'list', '--json', '--limit', '1'], { env })).stdout);
    assert.equal(page.object, 'list');
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].client_secret, undefined);
  });

  it('listen forwards each event once, in order, signed so that standardwebhooks and stripe.webhooks.constructEvent both verify it; stops on SIGINT', async () => {
    let secret = '';
    const verified: string[] = [];
    const receiver = await Receiver.start((r) => {
      // The handler as a merchant writes it: either library, the secret kassa listen printed, the raw body.
      try {
        const a = new Webhook(secret).verify(r.body, headerRecord(r.headers)) as { id: string };
        const b = Stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), secret);
        assert.equal(a.id, b.id);
        verified.push(b.id);
        return 200;
      } catch {
        return 400;
      }
    });
    const listen = new Running(['listen', '--forward-to', receiver.url, '--poll-interval', '100', '--json'], { env });
    const filtered = new Running(['listen', '--forward-to', receiver.url, '--events', 'payment_intent.succeeded', '--poll-interval', '100', '--json'], { env });
    try {
      const ready = await listen.waitFor((l) => l.json().find((x) => x.ready === true), 'listen to be ready');
      secret = String(ready.secret);
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      const readyFiltered = await filtered.waitFor((l) => l.json().find((x) => x.ready === true), 'the filtered listen');
      assert.deepEqual(readyFiltered.events, ['payment_intent.succeeded']);
      assert.notEqual(readyFiltered.secret, secret, 'each run has its own secret');

      const t = await kassa(['trigger', 'payment_intent.succeeded'], { env });
      assert.equal(t.code, 0, t.stderr);
      const eventId = /Triggered payment_intent\.succeeded: (evt_\w+)/.exec(t.stdout)?.[1];
      assert.ok(eventId, t.stdout);

      const lines = await listen.waitFor((l) => {
        const forwarded = l.json().filter((x) => typeof x.event === 'string');
        return forwarded.length >= 3 ? forwarded : undefined;
      }, 'three forwarded events');
      assert.deepEqual(
        lines.map((l) => l.type),
        ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded'],
        'oldest first, as they happened',
      );
      assert.equal(lines[2]?.event, eventId);
      for (const l of lines) assert.equal(l.status, 200, JSON.stringify(l));
      // The filtered one sent only its type (signed with its own secret, which this handler refuses: 400).
      const other = await filtered.waitFor((l) => l.json().find((x) => typeof x.event === 'string'), 'the filtered event');
      assert.equal(other.type, 'payment_intent.succeeded');
      assert.equal(other.status, 400);

      await receiver.waitFor(4);
      assert.deepEqual(verified, lines.map((l) => l.event));
      const body = parseJson(receiver.requests.find((r) => parseJson(r.body).id === eventId)?.body ?? '');
      assert.equal(body.type, 'payment_intent.succeeded');
      assert.equal(body.pending_webhooks, undefined, 'the body is the event as delivered');

      // Nothing is forwarded twice while more polls go by.
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(listen.json().filter((x) => typeof x.event === 'string').length, 3);

      const stopped = await listen.stop('SIGINT');
      assert.equal(stopped.code, 0, listen.stderr);
      assert.deepEqual(listen.json().at(-1), { stopped: true });
    } finally {
      await listen.stop();
      await filtered.stop();
      await receiver.close();
    }
  });

  it('trigger makes each event it lists, found in /v1/events, and says which', async () => {
    for (const event of ['payment_intent.payment_failed', 'payment_intent.canceled', 'payment_intent.requires_action', 'charge.captured', 'refund.created', 'payment_intent.created']) {
      const r = await kassa(['trigger', event, '--json'], { env });
      assert.equal(r.code, 0, `${event}: ${r.stderr}`);
      const out = parseJson(r.stdout);
      assert.equal(out.event.type, event);
      assert.match(out.event.id, /^evt_/);
      const object = out.event.data.object;
      assert.ok(object.id === out.payment_intent || object.payment_intent === out.payment_intent, event);
    }
  });

  it('reconcile asks the providers, then reports nothing open here (every payment settled), and --no-ask only reads', async () => {
    const asked = await kassa(['reconcile', '--json', '--fail-on-open'], { env });
    assert.equal(asked.code, 0, asked.stderr);
    const r = parseJson(asked.stdout);
    assert.equal(r.object, 'reconciliation_report');
    assert.equal(typeof r.settled, 'number', 'it asked (POST)');
    assert.deepEqual([r.open_calls, r.discrepancies], [[], []]);
    const read = await kassa(['reconcile', '--no-ask'], { env });
    assert.equal(read.code, 0, read.stderr);
    assert.doesNotMatch(read.stdout, /Asked the providers/);
    assert.match(read.stdout, /No open provider calls\.\nNo discrepancies\./);
    const refused = await kassa(['reconcile', '--operator-key', 'op_wrong'], { env });
    assert.equal(refused.code, 3, 'a 4xx from Kassa');
  });

  it('exit codes: 2 for a usage mistake, 3 for a 4xx, 4 when Kassa cannot be reached, 5 for a 5xx, 1 for an answer that is not Kassa’s', async () => {
    const badFlag = await kassa(['payments', 'list', '--no-such-flag'], { env });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /unknown option '--no-such-flag'/);
    assert.equal((await kassa(['payments', 'list', '--limit', '0'], { env })).code, 2);
    assert.equal((await kassa(['nonsense'], { env })).code, 2);
    assert.equal((await kassa(['payments'], { env })).code, 2, 'a group without its subcommand');
    const unknownEvent = await kassa(['trigger', 'customer.exploded'], { env });
    assert.equal(unknownEvent.code, 2);
    assert.match(unknownEvent.stderr, /Allowed choices are .*payment_intent\.succeeded/);
    const noKey = await kassa(['payments', 'list'], { env: cleanEnv({ KASSA_URL: url, KASSA_DATA_DIR: join(dir, 'empty') }) });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no secret key: pass --api-key, set KASSA_SECRET_KEY/);

    const missing = await kassa(['payments', 'get', 'pi_doesnotexist'], { env });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^kassa: No such payment_intent: 'pi_doesnotexist' \(resource_missing, HTTP 404\)/);
    const missingJson = await kassa(['payments', 'get', 'pi_doesnotexist', '--json'], { env });
    assert.equal(missingJson.code, 3);
    const error = parseJson(missingJson.stderr).error;
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, 'resource_missing');
    assert.equal(error.status, 404);
    const wrongKey = await kassa(['merchants', 'list', '--operator-key', 'op_wrong'], { env });
    assert.equal(wrongKey.code, 3);
    assert.match(wrongKey.stderr, /api_key_invalid, HTTP 401/);

    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await kassa(['payments', 'list', '--url', `http://127.0.0.1:${port}`], { env });
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /could not reach Kassa at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    assert.equal((await kassa(['listen', '--forward-to', 'http://127.0.0.1:9/x', '--url', `http://127.0.0.1:${port}`], { env })).code, 4);

    // Something that answers like a failing Kassa, and something that is not Kassa at all.
    const fake = createServer((req, res) => {
      if (req.url?.startsWith('/v1/payment_intents')) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', code: 'provider_unavailable', message: 'The provider did not answer.' } }));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>hello</html>');
      }
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const failing = await kassa(['payments', 'list', '--url', fakeUrl], { env });
      assert.equal(failing.code, 5);
      assert.match(failing.stderr, /The provider did not answer\. \(provider_unavailable, HTTP 502\)/);
      const notKassa = await kassa(['merchants', 'list', '--url', fakeUrl], { env });
      assert.equal(notKassa.code, 1);
      assert.match(notKassa.stderr, /not Kassa's JSON/);
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });

  it('serve: an unknown config key is refused by name; flags beat the environment, which beats the file', async () => {
    const file = join(dir, 'kassa.config.json');
    writeFileSync(file, JSON.stringify({ port: 1111, prot: 2, dataDir: 'var' }));
    const refused = await kassa(['serve', '--print-config'], { cwd: dir });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /kassa\.config\.json: unknown key "prot" \(known keys: port, host, publicUrl, dataDir/);

    writeFileSync(file, JSON.stringify({ port: 1111, host: '0.0.0.0', dataDir: 'var', logLevel: 'debug' }));
    const shown = await kassa(['serve', '--print-config', '--port', '3333'], { cwd: dir, env: cleanEnv({ KASSA_PORT: '2222', KASSA_HOST: '127.0.0.2' }) });
    assert.equal(shown.code, 0, shown.stderr);
    const settings = parseJson(shown.stdout);
    assert.equal(settings.port, 3333);
    assert.equal(settings.host, '127.0.0.2');
    assert.equal(settings.logLevel, 'warn', 'LOG_LEVEL=warn from the environment beats the file');
    assert.equal(settings.dataDir, join(dir, 'var'), "the file's relative path is relative to the file");
    assert.deepEqual(settings.sources, { port: 'flag', host: 'env', publicUrl: 'default', dataDir: 'file', allowedOrigins: 'default', logLevel: 'env', widgetDir: 'default', trustProxy: 'default', providers: 'default' });
    rmSync(file);
  });

  it('serve with a BIN table: its path relative to the file; a broken table or a country rule without one stops the start (exit 2), naming why', async () => {
    const sub = join(dir, 'bins-config');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'kassa.config.json');
    const rule = { name: 'cn-cards', when: { cardCountry: ['CN'] }, use: ['sandbox'] };
    writeFileSync(join(sub, 'bins.csv'), 'bin,country\n62,CN\n42x,US\n');
    writeFileSync(file, JSON.stringify({ dataDir: 'var', providers: { test: { type: 'sandbox' }, routing: { test: [rule] }, binTable: 'bins.csv' } }));
    const shown = await kassa(['serve', '--print-config'], { cwd: sub, env: cleanEnv() });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(parseJson(shown.stdout).binTable, join(sub, 'bins.csv'), "relative to the file");
    const broken = await kassa(['serve', '--port', '0', '--json'], { cwd: sub, env: cleanEnv() });
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, /bins\.csv, line 3: the prefix must be 1 to 8 digits/);
    writeFileSync(file, JSON.stringify({ dataDir: 'var', providers: { test: { type: 'sandbox' }, routing: { test: [rule] } } }));
    const noTable = await kassa(['serve', '--port', '0', '--json'], { cwd: sub, env: cleanEnv() });
    assert.notEqual(noTable.code, 0);
    assert.match(noTable.stderr, /cn-cards \(test mode\) routes by cardCountry, but no BIN table is configured/);
    writeFileSync(join(sub, 'bins.csv'), 'bin,country\n62,CN\n');
    writeFileSync(file, JSON.stringify({ dataDir: 'var', providers: { test: { type: 'sandbox' }, routing: { test: [rule] }, binTable: 'bins.csv' } }));
    const good = new Running(['serve', '--port', '0', '--json'], { cwd: sub, env: cleanEnv() });
    try {
      const start = await good.waitFor((s) => s.json().find((l) => typeof l.listening === 'string'), 'the start line');
      assert.ok(start, good.stderr);
    } finally {
      assert.equal((await good.stop('SIGTERM')).code, 0, good.stderr);
    }
  });

  it('serve, a second start: no keys shown (they exist); SIGTERM stops it cleanly with exit 0', async () => {
    // The first server holds this data directory: stop it, start it again, in human mode this time.
    assert.equal((await server.stop('SIGTERM')).code, 0, server.stderr);
    assert.deepEqual(server.json().at(-1), { stopped: true });
    server = new Running(['serve', '--port', '0', '--data-dir', dataDir]);
    const listening = await server.waitFor((s) => s.lines.find((l) => l.startsWith('Kassa listening on ')), 'listening');
    assert.ok(!server.lines.some((l) => l.includes('sk_test_') || l.includes('op_')), server.lines.join('\n'));
    url = listening.replace('Kassa listening on ', '');
    const after = await kassa(['payments', 'list', '--url', url], { env });
    assert.equal(after.code, 0, 'the keys in the data directory still work');
    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.code, 0, server.stderr);
    assert.equal(server.lines.filter(Boolean).at(-1), 'Stopped.');
  });

  it('serve in human mode prints the test keys and the operator key on the start that makes them', async () => {
    const fresh = join(dir, 'fresh');
    const human = new Running(['serve', '--port', '0', '--data-dir', fresh]);
    try {
      await human.waitFor((s) => s.lines.find((l) => l.startsWith('Kassa listening on ')), 'listening');
      const text = human.lines.join('\n');
      assert.match(text, /Kassa test keys \(shown once/);
      assert.match(text, /secret key\s+sk_test_\w+/);
      assert.match(text, /operator key\s+op_\w+/);
    } finally {
      assert.equal((await human.stop('SIGINT')).code, 0, human.stderr);
    }
  });
});
