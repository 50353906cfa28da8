/**
 * `kassa serve`'s settings: flags > environment > config file > defaults, each layer checked by
 * the same rules, unknown config keys refused by name, relative paths from where they were written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ALLOWED_ORIGINS, DEFAULT_PORT } from '@kassa/server/config';
import { UsageError } from '../src/errors.js';
import { resolveServeSettings } from '../src/serve-config.js';

describe('serve settings', () => {
  let dir = '';
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const resolve = (flags: Record<string, string> = {}, env: Record<string, string> = {}, cwd = dir) => resolveServeSettings({ flags, env, cwd });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-serve-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without anything: the server defaults, the data directory under the working directory', () => {
    const s = resolve({}, {}, join(dir, 'nowhere'));
    assert.equal(s.port, DEFAULT_PORT);
    assert.equal(s.host, '127.0.0.1');
    assert.deepEqual(s.allowedOrigins, DEFAULT_ALLOWED_ORIGINS);
    assert.equal(s.dataDir, join(dir, 'nowhere', '.kassa'));
    assert.equal(s.logLevel, 'info');
    assert.equal(s.publicUrl, undefined);
    assert.equal(s.configFile, null);
    assert.ok(Object.values(s.sources).every((v) => v === 'default'));
  });

  it('each layer beats the one below it, setting by setting', () => {
    const conf = join(dir, 'etc');
    mkdirSync(conf, { recursive: true });
    const file = join(conf, 'k.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '10.0.0.1', publicUrl: 'https://pay.example/', dataDir: '../var/kassa', allowedOrigins: ['https://shop.example'], widgetDir: 'widget', trustProxy: 'loopback' }));
    const s = resolve({ config: file, port: '3333' }, { KASSA_PORT: '2222', KASSA_HOST: '10.0.0.2', LOG_LEVEL: 'debug' }, join(dir, 'work'));
    assert.equal(s.port, 3333);
    assert.equal(s.host, '10.0.0.2');
    assert.equal(s.logLevel, 'debug');
    assert.equal(s.publicUrl, 'https://pay.example');
    assert.equal(s.dataDir, join(dir, 'var', 'kassa'), 'relative to the file');
    assert.equal(s.widgetDir, join(conf, 'widget'));
    assert.deepEqual(s.allowedOrigins, ['https://shop.example']);
    assert.equal(s.configFile, file);
    assert.equal(s.trustProxy, 'loopback');
    assert.deepEqual(s.sources, { port: 'flag', host: 'env', publicUrl: 'file', dataDir: 'file', allowedOrigins: 'file', logLevel: 'env', widgetDir: 'file', trustProxy: 'file', providers: 'default' });

    // Paths from the command line and the environment are the working directory's.
    const t = resolve({ config: file, dataDir: 'here' }, { KASSA_WIDGET_DIR: 'w', KASSA_ALLOWED_ORIGINS: 'http://a.example, http://b.example:8080', KASSA_TRUST_PROXY: '2' }, join(dir, 'work'));
    assert.equal(t.trustProxy, 2, 'a hop count from the environment is a number');
    assert.equal(resolve({ trustProxy: 'true' }, {}, dir).trustProxy, true);
    assert.equal(t.dataDir, join(dir, 'work', 'here'));
    assert.equal(t.widgetDir, join(dir, 'work', 'w'));
    assert.deepEqual(t.allowedOrigins, ['http://a.example', 'http://b.example:8080']);
  });

  it('finds kassa.config.json in the working directory, or the file KASSA_CONFIG names; an empty variable is unset', () => {
    const cwd = join(dir, 'implicit');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'kassa.config.json'), JSON.stringify({ port: 4000 }));
    assert.equal(resolve({}, {}, cwd).port, 4000);
    assert.equal(resolve({}, { KASSA_PORT: '' }, cwd).port, 4000);
    const other = write('other.json', { port: 5000 });
    assert.equal(resolve({}, { KASSA_CONFIG: other }, cwd).port, 5000);
    assert.equal(resolve({ config: other }, { KASSA_CONFIG: join(cwd, 'kassa.config.json') }, cwd).port, 5000, 'the flag names the file first');
  });

  it('refuses an unknown key by name, a value of the wrong shape, a file that is not a JSON object, a missing file', () => {
    const refuses = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(e.message) && e.exitCode === 2);
    refuses(() => resolve({ config: write('a.json', { port: 1, Port: 2, data_dir: 'x' }) }), /unknown keys "Port", "data_dir" \(known keys: port, host, publicUrl, dataDir, allowedOrigins, logLevel, widgetDir, trustProxy, providers\)/);
    refuses(() => resolve({ config: write('b.json', { port: 70000 }) }), /b\.json: "port": /);
    refuses(() => resolve({ config: write('c.json', { allowedOrigins: ['https://shop.example/path'] }) }), /"allowedOrigins": must be an origin/);
    refuses(() => resolve({ config: write('d.json', { logLevel: 'loud' }) }), /"logLevel"/);
    refuses(() => resolve({ config: write('e.json', { publicUrl: 'ftp://x' }) }), /"publicUrl"/);
    refuses(() => resolve({ config: write('f.json', '[1, 2]') }), /must hold a JSON object/);
    refuses(() => resolve({ config: write('g.json', '{ "port": 1, }') }), /g\.json is not valid JSON/);
    refuses(() => resolve({ config: join(dir, 'absent.json') }), /cannot read the config file .*absent\.json: ENOENT/);
  });

  it('checks the environment and the flags as strictly as the file, naming the variable or flag', () => {
    const refuses = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(e.message));
    refuses(() => resolve({}, { KASSA_PORT: 'http' }), /^KASSA_PORT: /);
    refuses(() => resolve({}, { KASSA_PORT: '99999' }), /^KASSA_PORT: /);
    refuses(() => resolve({ port: '-1' }), /^--port: /);
    refuses(() => resolve({}, { KASSA_ALLOWED_ORIGINS: 'localhost:3000' }), /^KASSA_ALLOWED_ORIGINS: invalid origin/);
    refuses(() => resolve({ publicUrl: 'not a url' }), /^--public-url: /);
    refuses(() => resolve({}, { LOG_LEVEL: 'verbose' }), /^LOG_LEVEL: /);
  });

  it('providers: the file (or KASSA_PROVIDERS) names each mode\'s provider, the environment alone gives its keys, and they never print', () => {
    const file = write('providers.json', { publicUrl: 'https://pay.example', providers: { test: { type: 'stripe', apiBase: 'http://127.0.0.1:9999' }, live: { type: 'adyen', merchantAccount: 'ShopECOM' } } });
    const env = { KASSA_TEST_STRIPE_SECRET_KEY: 'sk_test_from_env', KASSA_TEST_STRIPE_WEBHOOK_SECRET: 'whsec_test_from_env', KASSA_LIVE_ADYEN_API_KEY: 'AQE_live_key', KASSA_LIVE_ADYEN_HMAC_KEY: '00ff' };
    const s = resolve({ config: file }, env);
    const [test] = s.providers.test ?? [];
    const [live] = s.providers.live ?? [];
    assert.equal(test?.type, 'stripe');
    assert.equal(live?.type, 'adyen');
    if (test?.type !== 'stripe' || live?.type !== 'adyen') return;
    assert.equal(test.secretKey.reveal(), 'sk_test_from_env');
    assert.equal(test.webhookSecret?.reveal(), 'whsec_test_from_env');
    assert.equal(test.apiBase, 'http://127.0.0.1:9999');
    assert.equal(live.apiKey.reveal(), 'AQE_live_key');
    assert.equal(live.hmacKey?.reveal(), '00ff');
    const printed = JSON.stringify(s);
    for (const secret of Object.values(env)) assert.ok(!printed.includes(secret), 'a key never prints');
    assert.match(printed, /\[redacted\]/);

    assert.deepEqual(resolve({}, {}, join(dir, 'nowhere')).providers, {}, 'nothing named: the defaults (sandbox for test, none for live)');
    const fromEnv = resolve({}, { KASSA_PROVIDERS: JSON.stringify({ test: { type: 'sandbox' } }) }, join(dir, 'nowhere'));
    assert.deepEqual(fromEnv.providers, { test: [{ type: 'sandbox' }] });
    assert.equal(fromEnv.sources.providers, 'env');

    assert.throws(() => resolve({ config: file }, {}), (e: unknown) => e instanceof UsageError && /set KASSA_TEST_STRIPE_SECRET_KEY/.test(e.message));
    // The webhook secret is optional (events are then refused), and one mode's never serves the other.
    const { KASSA_TEST_STRIPE_WEBHOOK_SECRET: _, ...withoutWebhookSecret } = env;
    const [bare] = resolve({ config: file }, { ...withoutWebhookSecret, KASSA_LIVE_STRIPE_WEBHOOK_SECRET: 'whsec_live_only' }).providers.test ?? [];
    assert.equal(bare?.type === 'stripe' && bare.webhookSecret, undefined, "test mode does not take live mode's webhook secret");
    const unknownType = write('bad-type.json', { providers: { test: { type: 'worldpay' } } });
    assert.throws(() => resolve({ config: unknownType }), UsageError);
    const keyInFile = write('key-in-file.json', { providers: { test: { type: 'stripe', secretKey: 'sk_test_in_a_file' } } });
    assert.throws(() => resolve({ config: keyInFile }, env), (e: unknown) => e instanceof UsageError && /providers/.test(e.message), 'a key in the file is refused, not used');
    assert.throws(() => resolve({}, { KASSA_PROVIDERS: '{not json' }, join(dir, 'nowhere')), (e: unknown) => e instanceof UsageError && /KASSA_PROVIDERS/.test(e.message));
  });

  it('providers: several per mode in the order tried, named, with routing rules checked like every other setting', () => {
    const file = write('routing.json', {
      providers: {
        test: [{ type: 'sandbox' }, { type: 'stripe', name: 'stripe-eu', apiBase: 'http://127.0.0.1:9999' }],
        routing: { test: [{ name: 'eur-to-stripe', when: { currency: ['eur'], minAmount: 100 }, use: ['stripe-eu', 'sandbox'] }] },
      },
    });
    const s = resolve({ config: file }, { KASSA_TEST_STRIPE_SECRET_KEY: 'sk_test_x' });
    assert.deepEqual(s.providers.test?.map((p) => [p.type, p.name]), [['sandbox', undefined], ['stripe', 'stripe-eu']]);
    assert.deepEqual(s.routing.test?.[0]?.use, ['stripe-eu', 'sandbox']);
    assert.deepEqual(s.routing.live, undefined);
    const twoOfAType = write('two-stripe.json', { providers: { test: [{ type: 'stripe' }, { type: 'stripe', name: 'other' }] } });
    assert.throws(() => resolve({ config: twoOfAType }, { KASSA_TEST_STRIPE_SECRET_KEY: 'sk_test_x' }), (e: unknown) => e instanceof UsageError && /two stripe providers/.test(e.message));
    const badRule = write('bad-rule.json', { providers: { test: { type: 'sandbox' }, routing: { test: [{ name: 'r', when: { currency: ['xxx'] }, use: ['sandbox'] }] } } });
    assert.throws(() => resolve({ config: badRule }), (e: unknown) => e instanceof UsageError && /providers/.test(e.message), 'an unknown currency in a rule is refused');
    const wallets = write('wallets.json', {
      publicUrl: 'https://pay.example',
      providers: { test: [{ type: 'paypal', clientId: 'AZclient', webhookId: 'WH-1' }, { type: 'alipay', appId: '2021000000000001', alipayPublicKey: 'M'.repeat(200) }] },
    });
    const w = resolve({ config: wallets }, { KASSA_TEST_PAYPAL_CLIENT_SECRET: 'EKpaypal-secret', KASSA_TEST_ALIPAY_PRIVATE_KEY: 'MIIEvQ-private' });
    const [pp, ali] = w.providers.test ?? [];
    assert.equal(pp?.type === 'paypal' && pp.clientSecret.reveal(), 'EKpaypal-secret');
    assert.equal(ali?.type === 'alipay' && ali.privateKey.reveal(), 'MIIEvQ-private');
    assert.ok(!JSON.stringify(w).includes('EKpaypal-secret') && !JSON.stringify(w).includes('MIIEvQ-private'), 'wallet keys never print');
    assert.throws(() => resolve({ config: wallets }, { KASSA_TEST_PAYPAL_CLIENT_SECRET: 'x' }), (e: unknown) => e instanceof UsageError && /KASSA_TEST_ALIPAY_PRIVATE_KEY/.test(e.message));
    const badName = write('bad-name.json', { providers: { test: { type: 'sandbox', name: 'Has Spaces' } } });
    assert.throws(() => resolve({ config: badName }), UsageError);
  });
});
