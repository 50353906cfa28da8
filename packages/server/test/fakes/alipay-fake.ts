/**
 * A strict local stand-in for Alipay's OpenAPI 2.0 gateway (the part Kassa's adapter uses), on a
 * real `node:http` server on port 0. Strict where Alipay is, so the adapter cannot pass here and
 * fail there:
 *
 *   - `POST /gateway.do`, form-encoded (parameters in the query string and the body, as the SDKs
 *     send them; one name sent twice is refused); every request's RSA2 signature is verified with
 *     the app's public key over Alipay's canonical string (all parameters but `sign`, empty values
 *     dropped, sorted, `k=v` joined by `&`); `app_id`, `method`, `charset` utf-8, `sign_type` RSA2,
 *     `version` 1.0, `format` JSON and `timestamp` (`yyyy-MM-dd HH:mm:ss`, Beijing time, within 15
 *     minutes of the fake's clock) are checked; unknown parameters are refused;
 *   - `biz_content` is JSON with each method's fields: required ones, unknown ones refused, lengths,
 *     `out_trade_no` of letters, digits and `_` (64 at most), amounts as strings like "12.00" (two
 *     decimals at most, 0.01 to 100000000), timeouts (`15m`, `2h`, `1d`: 1m to 15d), times;
 *   - every answer is `{"<method>_response": {...}, "sign": "..."}` signed with the fake's own
 *     "Alipay" key over the raw text of the inner object (with `/` escaped as Alipay does), so the
 *     adapter's verification is real; gateway errors use Alipay's codes (40001, 40002 isv.*, 40004
 *     ACQ.*), an unknown app an unsigned `error_response`.
 *
 * Trades, as we read Alipay's documentation:
 *   - precreate makes a pre-order with a QR code (`${url}/qr/<code>`); it is no trade yet — query,
 *     close and refund say ACQ.TRADE_NOT_EXIST — until the shopper scans it (WAIT_BUYER_PAY) and
 *     pays (TRADE_SUCCESS). A repeat with the same out_trade_no and parameters returns the same code;
 *     other parameters → ACQ.CONTEXT_INCONSISTENT. The code expires `qr_code_timeout_express` (or
 *     `timeout_express`, default 2h) after the first precreate: an unscanned one can no longer be
 *     scanned (a precreate again → ACQ.TRADE_HAS_CLOSE), a scanned unpaid trade is TRADE_CLOSED.
 *   - wap.pay: `GET /gateway.do?…signed…` is the cashier, a small HTML page with a "Pay" form (no
 *     JavaScript); opening it creates the trade (WAIT_BUYER_PAY) unless `time_expire` has passed.
 *     Paying marks it paid, posts the signed notification to notify_url and 302-redirects to
 *     return_url with Alipay's signed return parameters.
 *   - close closes an unpaid trade (a paid or closed one: ACQ.TRADE_STATUS_ERROR); refund gives back
 *     part of a paid trade, each out_request_no once (a repeat with the same amount answers
 *     `fund_change: N`, another amount ACQ.DISCORDANT_REPEAT_REQUEST; more than is left
 *     ACQ.REFUND_AMT_NOT_EQUAL_TOTAL; refunded in full, the trade is TRADE_CLOSED);
 *     fastpay.refund.query finds a refund by out_request_no (none: an answer without its fields).
 *
 * Fault switches (per method, for the next N requests): HTTP 500, hang or dropped connection before
 * or after acting, ACQ.SYSTEM_ERROR before or after acting, and after acting an answer with a forged
 * signature, no signature, or not JSON. Its clock can be moved (`advance`) to reach expiries. Every
 * request is recorded.
 *
 * Standalone (for an end-to-end test): `node --import tsx test/fakes/alipay-fake.ts --port N` prints
 * one JSON line with the gateway URL and what the server must be configured with.
 */
import { LocalServer } from './local-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPublicKey, createSign, createVerify, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';

// ---- keys and signatures ----

export interface KeyPair {
  /** PKCS#8 PEM. */
  privateKey: string;
  /** SPKI PEM. */
  publicKey: string;
}

export function generateRsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

let shared: { app: KeyPair; alipay: KeyPair } | undefined;
/** Key generation takes a while: one app and one Alipay pair per test process, unless a test brings its own. */
function sharedKeys(): { app: KeyPair; alipay: KeyPair } {
  shared ??= { app: generateRsaKeyPair(), alipay: generateRsaKeyPair() };
  return shared;
}

/** Alipay's string to sign: every parameter except `sign` (and, for what Alipay sends, `sign_type`), empty values dropped, sorted. */
export function signContent(params: Record<string, string>, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== '' && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function rsa2Sign(content: string, privateKey: string): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(content: string, signature: string, publicKey: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** JSON as Alipay's gateway writes it: `/` escaped (the signature is over exactly this text). */
function alipayJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8). */
export function beijing(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function parseBeijing(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3600_000;
  // Reject 2026-02-31 and friends: the date must round-trip.
  return beijing(ms) === value ? ms : undefined;
}

// ---- amounts ----

const MONEY = /^(0|[1-9]\d{0,8})(\.\d{1,2})?$/;

function fenOf(value: string): number {
  const [yuan, fraction = ''] = value.split('.');
  return Number(yuan) * 100 + Number(fraction.padEnd(2, '0'));
}

function yuanOf(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

// ---- methods and their biz_content ----

export type ApiMethod =
  | 'alipay.trade.precreate'
  | 'alipay.trade.query'
  | 'alipay.trade.close'
  | 'alipay.trade.cancel'
  | 'alipay.trade.refund'
  | 'alipay.trade.fastpay.refund.query';
export type PageMethod = 'alipay.trade.wap.pay';
export type AlipayMethod = ApiMethod | PageMethod;

type Field =
  | { kind: 'string'; max: number; required?: boolean; pattern?: RegExp; what?: string }
  | { kind: 'money'; required?: boolean }
  | { kind: 'enum'; values: readonly string[]; required?: boolean }
  | { kind: 'timeout'; required?: boolean }
  | { kind: 'datetime'; required?: boolean }
  | { kind: 'url'; max: number; required?: boolean }
  | { kind: 'strings'; values: readonly string[]; required?: boolean };

const OUT_TRADE_NO: Field = { kind: 'string', max: 64, pattern: /^[A-Za-z0-9_]+$/, what: 'letters, digits and _' };
const req = <F extends Field>(f: F): F => ({ ...f, required: true });
/** Alipay's subject may not contain `/`, `=` or `&`. */
const SUBJECT: Field = { kind: 'string', max: 256, required: true, pattern: /^[^/=&]+$/, what: 'no / = or &' };

const BIZ: Record<AlipayMethod, { fields: Record<string, Field>; oneOf?: readonly string[]; params: readonly string[] }> = {
  'alipay.trade.precreate': {
    fields: {
      out_trade_no: req(OUT_TRADE_NO),
      total_amount: { kind: 'money', required: true },
      subject: SUBJECT,
      product_code: { kind: 'enum', values: ['FACE_TO_FACE_PAYMENT'] },
      body: { kind: 'string', max: 128 },
      timeout_express: { kind: 'timeout' },
      qr_code_timeout_express: { kind: 'timeout' },
    },
    params: ['notify_url'],
  },
  'alipay.trade.wap.pay': {
    fields: {
      out_trade_no: req(OUT_TRADE_NO),
      total_amount: { kind: 'money', required: true },
      subject: SUBJECT,
      product_code: { kind: 'enum', values: ['QUICK_WAP_WAY'], required: true },
      body: { kind: 'string', max: 128 },
      time_expire: { kind: 'datetime' },
      timeout_express: { kind: 'timeout' },
      quit_url: { kind: 'url', max: 400 },
      passback_params: { kind: 'string', max: 512 },
    },
    params: ['notify_url', 'return_url', 'alipay_sdk'],
  },
  'alipay.trade.query': {
    fields: { out_trade_no: OUT_TRADE_NO, trade_no: { kind: 'string', max: 64 }, query_options: { kind: 'strings', values: ['trade_settle_info', 'fund_bill_list', 'voucher_detail_list'] } },
    oneOf: ['out_trade_no', 'trade_no'],
    params: [],
  },
  'alipay.trade.close': {
    fields: { out_trade_no: OUT_TRADE_NO, trade_no: { kind: 'string', max: 64 }, operator_id: { kind: 'string', max: 28 } },
    oneOf: ['out_trade_no', 'trade_no'],
    params: ['notify_url'],
  },
  'alipay.trade.cancel': {
    fields: { out_trade_no: OUT_TRADE_NO, trade_no: { kind: 'string', max: 64 } },
    oneOf: ['out_trade_no', 'trade_no'],
    params: [],
  },
  'alipay.trade.refund': {
    fields: {
      out_trade_no: OUT_TRADE_NO,
      trade_no: { kind: 'string', max: 64 },
      refund_amount: { kind: 'money', required: true },
      out_request_no: { kind: 'string', max: 64 },
      refund_reason: { kind: 'string', max: 256 },
    },
    oneOf: ['out_trade_no', 'trade_no'],
    params: [],
  },
  'alipay.trade.fastpay.refund.query': {
    fields: { out_trade_no: OUT_TRADE_NO, trade_no: { kind: 'string', max: 64 }, out_request_no: req({ kind: 'string', max: 64 } as Field), query_options: { kind: 'strings', values: ['refund_detail_item_list', 'gmt_refund_pay'] } },
    oneOf: ['out_trade_no', 'trade_no'],
    params: [],
  },
};

const METHODS = new Set<string>(Object.keys(BIZ));
const COMMON = new Set(['app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version', 'biz_content']);

class GatewayError extends Error {
  constructor(
    readonly code: '40001' | '40002' | '40004' | '20000',
    readonly subCode: string,
    readonly subMsg: string,
    /** An unknown app: Alipay cannot sign for it, the answer is an unsigned error_response. */
    readonly unsigned = false,
  ) {
    super(`${code} ${subCode}: ${subMsg}`);
  }
}

const MSG: Record<GatewayError['code'], string> = {
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
};

const missing = (name: string): GatewayError => new GatewayError('40001', `isv.missing-${name}`, `缺少${name}参数`);
const invalid = (sub: string, msg: string): GatewayError => new GatewayError('40002', sub, msg);
const business = (sub: string, msg: string): GatewayError => new GatewayError('40004', sub, msg);
const badParam = (field: string, why: string): GatewayError => business('ACQ.INVALID_PARAMETER', `参数无效 (${field}: ${why})`);

function timeoutMs(value: string): number | undefined {
  const m = /^([1-9]\d*)([mhd])$/.exec(value);
  if (!m) return value === '1c' ? 24 * 3600_000 : undefined; // 1c: until the end of the day (treated as a day)
  const n = Number(m[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return n >= 60_000 && n <= 15 * 86_400_000 ? n : undefined;
}

function validateBiz(method: AlipayMethod, biz: Record<string, unknown>): Record<string, string | string[]> {
  const spec = BIZ[method];
  for (const key of Object.keys(biz)) if (!(key in spec.fields)) throw badParam(key, 'unknown field');
  const out: Record<string, string | string[]> = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    const value = biz[name];
    if (value === undefined || value === null || value === '') {
      if (field.required) throw badParam(name, 'required');
      continue;
    }
    const kind = field.kind;
    switch (kind) {
      case 'strings':
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !field.values.includes(v))) throw badParam(name, `one of ${field.values.join(', ')}`);
        out[name] = value as string[];
        continue;
      default:
        if (typeof value !== 'string') throw badParam(name, 'must be a string');
    }
    switch (kind) {
      case 'string':
        if (value.length > field.max) throw badParam(name, `at most ${field.max} characters`);
        if (field.pattern && !field.pattern.test(value)) throw badParam(name, field.what ?? 'format');
        break;
      case 'money':
        if (!MONEY.test(value)) throw badParam(name, 'an amount in yuan with at most two decimals, like 12.00');
        if (fenOf(value) < 1 || fenOf(value) > 10_000_000_000) throw badParam(name, 'from 0.01 to 100000000');
        break;
      case 'enum':
        if (!field.values.includes(value)) throw badParam(name, `one of ${field.values.join(', ')}`);
        break;
      case 'timeout':
        if (timeoutMs(value) === undefined) throw badParam(name, '1m to 15d, like 15m, 2h, 1d or 1c');
        break;
      case 'datetime':
        if (parseBeijing(value) === undefined) throw badParam(name, 'yyyy-MM-dd HH:mm:ss');
        break;
      case 'url':
        if (value.length > field.max || !/^https?:\/\//.test(value)) throw badParam(name, 'an http(s) URL');
        break;
      default: {
        const unknown: never = kind;
        throw new Error(String(unknown));
      }
    }
    out[name] = value;
  }
  if (spec.oneOf && !spec.oneOf.some((k) => out[k] !== undefined)) throw badParam(spec.oneOf.join('/'), 'one of them is required');
  return out;
}

// ---- trades ----

type FakeStatus = 'PRECREATED' | 'EXPIRED_UNSCANNED' | 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export interface FakeTrade {
  outTradeNo: string;
  tradeNo: string;
  flow: 'qr_code' | 'wap';
  totalFen: number;
  subject: string;
  /** What the trade was first asked with (biz_content and notify_url): a repeat must match it. */
  fingerprint: string;
  notifyUrl: string | undefined;
  returnUrl: string | undefined;
  passback: string | undefined;
  status: FakeStatus;
  qrCode: string | undefined;
  expiresAt: number;
  createdAt: number;
  paidAt: number | undefined;
  refunds: Map<string, { fen: number; at: number }>;
  refundedFen: number;
}

export type FaultKind =
  | '500-before'
  | '500-after'
  | 'hang-before'
  | 'hang-after'
  | 'drop-before'
  | 'drop-after'
  | 'system-error-before'
  | 'system-error-after'
  | 'bad-sign'
  | 'unsigned'
  | 'garbage';

export interface RecordedRequest {
  httpMethod: string;
  path: string;
  /** The Alipay method, when one was named. */
  method: string | undefined;
  params: Record<string, string>;
  biz: Record<string, unknown> | undefined;
  /** What the fake answered: the business code and sub code (undefined: it hung, dropped or failed with HTTP). */
  code?: string;
  subCode?: string;
  httpStatus?: number;
  /** Whether the method changed or read state (false: refused, or faulted before acting). */
  acted: boolean;
  /** The client closed the connection before an answer was written (an aborted call). */
  abandoned?: boolean;
}

export interface SentNotification {
  url: string;
  body: string;
  params: Record<string, string>;
  /** The receiver's HTTP status and answer, once delivered; `error` if it could not be. */
  status?: number;
  answer?: string;
  error?: string;
}

export interface AlipayFakeOptions {
  appId?: string;
  /** The app's public key (SPKI PEM) if the test brings its own app key; otherwise the fake makes the app's key pair too. */
  appPublicKey?: string;
  /** The fake's "Alipay" key pair; default one per test process. */
  alipayKeys?: KeyPair;
  /** The base clock; `advance` moves the fake's clock from it. Default Date.now. */
  now?: () => number;
  port?: number;
  host?: string;
}

export class AlipayFake {
  readonly appId: string;
  /** The app's private key (PKCS#8 PEM), when the fake made the app's key pair. */
  readonly appPrivateKey: string | undefined;
  readonly appPublicKey: string;
  /** The fake Alipay's public key: what the adapter is configured with as `alipayPublicKey`. */
  readonly alipayPublicKey: string;
  readonly requests: RecordedRequest[] = [];
  readonly notifications: SentNotification[] = [];
  readonly #alipayPrivateKey: string;
  readonly #http: LocalServer;
  readonly #trades = new Map<string, FakeTrade>();
  readonly #byQr = new Map<string, string>();
  readonly #faults: { method: AlipayMethod | '*'; kind: FaultKind; times: number }[] = [];
  readonly #baseNow: () => number;
  readonly #deliveries = new Set<Promise<void>>();
  #offset = 0;
  #host = '127.0.0.1';

  private constructor(options: AlipayFakeOptions) {
    const keys = sharedKeys();
    this.appId = options.appId ?? `2021${String(randomInt(1e11)).padStart(12, '0')}`;
    if (options.appPublicKey) {
      this.appPublicKey = createPublicKey(options.appPublicKey).export({ type: 'spki', format: 'pem' }).toString();
      this.appPrivateKey = undefined;
    } else {
      this.appPublicKey = keys.app.publicKey;
      this.appPrivateKey = keys.app.privateKey;
    }
    const alipay = options.alipayKeys ?? keys.alipay;
    this.alipayPublicKey = alipay.publicKey;
    this.#alipayPrivateKey = alipay.privateKey;
    this.#baseNow = options.now ?? Date.now;
    this.#http = new LocalServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: AlipayFakeOptions = {}): Promise<AlipayFake> {
    const fake = new AlipayFake(options);
    fake.#host = options.host ?? '127.0.0.1';
    await fake.#http.listen(options.port ?? 0, fake.#host);
    return fake;
  }

  get url(): string {
    return `http://${this.#host}:${this.#http.port}`;
  }

  /** What the adapter is configured with as `gateway`. */
  get gateway(): string {
    return `${this.url}/gateway.do`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#deliveries]);
    await this.#http.close();
  }

  /** The fake's clock (ms since the epoch). */
  now(): number {
    return this.#baseNow() + this.#offset;
  }

  /** Moves the fake's clock forward (expiry of QR codes and cashiers, timestamp freshness). */
  advance(ms: number): void {
    this.#offset += ms;
  }

  /** The next `times` requests to `method` (or any) meet this fault. */
  fault(method: AlipayMethod | '*', kind: FaultKind, times = 1): void {
    this.#faults.push({ method, kind, times });
  }

  trade(outTradeNo: string): Readonly<FakeTrade> | undefined {
    const t = this.#trades.get(outTradeNo);
    if (t) this.#refresh(t);
    return t;
  }

  trades(): Readonly<FakeTrade>[] {
    return [...this.#trades.values()].map((t) => (this.#refresh(t), t));
  }

  /** How many requests to a method were acted on (not refused, not faulted before acting). */
  acted(method: AlipayMethod): number {
    return this.requests.filter((r) => r.method === method && r.acted).length;
  }

  /** Notifications sent so far, and all deliveries finished. */
  async delivered(): Promise<SentNotification[]> {
    await Promise.allSettled([...this.#deliveries]);
    return this.notifications;
  }

  /** The shopper scans a precreated code with the Alipay app: the trade now exists, waiting for payment. */
  scan(outTradeNo: string): FakeTrade {
    const t = this.#trades.get(outTradeNo);
    if (!t) throw new Error(`no pre-order ${outTradeNo}`);
    this.#refresh(t);
    if (t.status === 'EXPIRED_UNSCANNED') throw new Error(`the QR code of ${outTradeNo} has expired`);
    if (t.status === 'PRECREATED') t.status = 'WAIT_BUYER_PAY';
    return t;
  }

  /** The shopper pays (after scanning, for a QR code): paid, and the notification is sent. */
  async pay(outTradeNo: string): Promise<FakeTrade> {
    const t = this.#trades.get(outTradeNo);
    if (!t) throw new Error(`no trade ${outTradeNo}`);
    if (t.flow === 'qr_code') this.scan(outTradeNo);
    this.#refresh(t);
    if (t.status !== 'WAIT_BUYER_PAY') throw new Error(`trade ${outTradeNo} is ${t.status}, not payable`);
    t.status = 'TRADE_SUCCESS';
    t.paidAt = this.now();
    await this.#notify(t);
    return t;
  }

  /**
   * The shopper's browser on a cashier URL (wap.pay): opens it, presses "Pay", and follows nothing
   * further. Returns where Alipay sent the browser back (return_url with the signed parameters).
   */
  async payCashier(cashierUrl: string): Promise<{ location: string; details: Record<string, string> }> {
    const page = await fetch(cashierUrl);
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (page.status !== 200 || !action) throw new Error(`the cashier did not offer to pay: ${page.status} ${html.slice(0, 300)}`);
    const paid = await fetch(new URL(action.replace(/&amp;/g, '&'), this.url), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=1' });
    const location = paid.headers.get('location');
    if (paid.status !== 302 || !location) throw new Error(`paying at the cashier failed: ${paid.status} ${(await paid.text()).slice(0, 300)}`);
    return { location, details: Object.fromEntries(new URL(location).searchParams) };
  }

  /** Signs parameters as Alipay signs what it sends (notifications, return parameters): without sign and sign_type. */
  signParams(params: Record<string, string>): string {
    return rsa2Sign(signContent(params, ['sign', 'sign_type']), this.#alipayPrivateKey);
  }

  // ---- request handling ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const httpMethod = req.method ?? 'GET';
    try {
      if (url.pathname === '/gateway.do') return await this.#gateway(req, res, httpMethod, url, rawBody);
      const qr = /^\/qr\/([A-Za-z0-9]+)(?:\/(pay|scan))?$/.exec(url.pathname);
      if (qr) return await this.#qrPage(res, httpMethod, qr[1]!, qr[2] as 'pay' | 'scan' | undefined);
      const cashier = /^\/cashier\/(\d+)\/pay$/.exec(url.pathname);
      if (cashier && httpMethod === 'POST') return await this.#cashierPay(res, cashier[1]!);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async #gateway(req: IncomingMessage, res: ServerResponse, httpMethod: string, url: URL, rawBody: string): Promise<void> {
    const record: RecordedRequest = { httpMethod, path: url.pathname + url.search, method: undefined, params: {}, biz: undefined, acted: false };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    const page = httpMethod === 'GET';
    let method: AlipayMethod | undefined;
    const answer = (body: Record<string, unknown>, how: { unsigned?: boolean; forged?: boolean; key?: string } = {}): void => {
      record.code = String(body.code);
      record.subCode = body.sub_code as string | undefined;
      record.httpStatus = 200;
      const key = how.key ?? `${(method ?? 'error').replaceAll('.', '_')}_response`;
      const json = alipayJson(body);
      const sign = how.unsigned ? undefined : rsa2Sign(json, how.forged ? generateRsaKeyPair().privateKey : this.#alipayPrivateKey);
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      res.end(sign === undefined ? `{"${key}":${json}}` : `{"${key}":${json},"sign":"${sign}"}`);
    };
    const refuse = (e: GatewayError): void => {
      const body = { code: e.code, msg: MSG[e.code], sub_code: e.subCode, sub_msg: e.subMsg };
      if (page) return this.#errorPage(res, record, body);
      if (e.unsigned) return answer(body, { unsigned: true, key: 'error_response' });
      answer(body);
    };

    try {
      const params = this.#params(req, httpMethod, url, rawBody);
      record.params = params;
      method = this.#method(params, page);
      record.method = method;
      const fault = page ? undefined : this.#takeFault(method);
      if (fault) {
        switch (fault.kind) {
          case '500-before':
            record.httpStatus = 500;
            return void res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>500 Internal Server Error</body></html>');
          case 'hang-before':
            return; // the socket is destroyed at close
          case 'drop-before':
            return void res.socket?.destroy();
          case 'system-error-before':
            return refuse(business('ACQ.SYSTEM_ERROR', '系统错误'));
          default:
            break;
        }
      }
      this.#authenticate(params, page);
      const biz = this.#biz(method, params);
      record.biz = biz;
      if (method === 'alipay.trade.wap.pay') return this.#cashier(res, record, params, biz);
      let body: Record<string, unknown>;
      try {
        body = { code: '10000', msg: 'Success', ...this.#run(method, params, biz) };
        record.acted = true;
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        // A business refusal is an answer of the method (it read the trade): acted, nothing changed.
        record.acted = e.code === '40004';
        if (!fault || fault.kind.endsWith('-before')) return refuse(e);
        body = { code: e.code, msg: MSG[e.code], sub_code: e.subCode, sub_msg: e.subMsg };
      }
      switch (fault?.kind) {
        case '500-after':
          record.httpStatus = 500;
          return void res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>500 Internal Server Error</body></html>');
        case 'hang-after':
          return;
        case 'drop-after':
          return void res.socket?.destroy();
        case 'system-error-after':
          return refuse(business('ACQ.SYSTEM_ERROR', '系统错误'));
        case 'bad-sign':
          return answer(body, { forged: true });
        case 'unsigned':
          return answer(body, { unsigned: true });
        case 'garbage':
          record.httpStatus = 200;
          return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>upstream busy</body></html>');
        default:
          return answer(body);
      }
    } catch (e) {
      if (e instanceof GatewayError) return refuse(e);
      throw e;
    }
  }

  /** The request's parameters: the query string and (for a POST) the form body, each name once. */
  #params(req: IncomingMessage, httpMethod: string, url: URL, rawBody: string): Record<string, string> {
    const params: Record<string, string> = {};
    const add = (source: URLSearchParams): void => {
      for (const [k, v] of source) {
        if (Object.hasOwn(params, k)) throw invalid('isv.invalid-parameter', `参数重复: ${k}`);
        params[k] = v;
      }
    };
    add(url.searchParams);
    if (httpMethod === 'POST') {
      const type = String(req.headers['content-type'] ?? '');
      if (rawBody && !/^application\/x-www-form-urlencoded\s*(;\s*charset=utf-8\s*)?$/i.test(type)) throw invalid('isv.invalid-content-type', `不支持的Content-Type: ${type}`);
      add(new URLSearchParams(rawBody));
    } else if (httpMethod !== 'GET' || rawBody) {
      throw invalid('isv.invalid-http-method', `不支持的HTTP方法: ${httpMethod}`);
    }
    return params;
  }

  #method(params: Record<string, string>, page: boolean): AlipayMethod {
    const method = params.method;
    if (!method) throw missing('method');
    if (!METHODS.has(method)) throw new GatewayError('40002', 'isv.invalid-method', `不存在的方法名: ${method}`, true);
    // The cashier is a page for the shopper's browser; the other methods are server calls.
    if (page !== (method === 'alipay.trade.wap.pay')) throw invalid('isv.invalid-http-method', `${method} 不支持该请求方式`);
    return method as AlipayMethod;
  }

  #authenticate(params: Record<string, string>, page: boolean): void {
    if (!params.app_id) throw missing('app-id');
    if (params.app_id !== this.appId) throw new GatewayError('40002', 'isv.invalid-app-id', '无效的AppID参数', true);
    const allowed = new Set([...COMMON, ...BIZ[params.method as AlipayMethod].params]);
    for (const key of Object.keys(params)) if (!allowed.has(key)) throw invalid('isv.invalid-parameter', `不支持的参数: ${key}`);
    if (params.charset === undefined) throw missing('charset');
    if (params.charset.toLowerCase() !== 'utf-8') throw invalid('isv.invalid-charset', `字符集错误: ${params.charset}`);
    if (params.format !== undefined && params.format !== 'JSON') throw invalid('isv.invalid-format', `无效的数据格式: ${params.format}`);
    if (!params.sign_type) throw missing('signature-type');
    if (params.sign_type !== 'RSA2') throw invalid('isv.invalid-signature-type', `签名类型错误: 应用配置为RSA2, 请求为${params.sign_type}`);
    if (!params.sign) throw missing('signature');
    if (!params.timestamp) throw missing('timestamp');
    const ts = parseBeijing(params.timestamp);
    const now = this.now();
    // A server call within 15 minutes of Alipay's clock; a cashier URL may be opened later, never "from the future".
    if (ts === undefined || ts > now + 15 * 60_000 || (!page && ts < now - 15 * 60_000)) throw invalid('isv.invalid-timestamp', `非法的时间戳参数: ${params.timestamp}`);
    if (!params.version) throw missing('version');
    if (params.version !== '1.0') throw invalid('isv.invalid-version', `版本号错误: ${params.version}`);
    for (const url of [params.notify_url, params.return_url]) {
      if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) throw invalid('isv.invalid-parameter', `无效的URL: ${url}`);
    }
    const content = signContent(params);
    if (!rsa2Verify(content, params.sign, this.appPublicKey)) {
      throw invalid('isv.invalid-signature', `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`);
    }
  }

  #biz(method: AlipayMethod, params: Record<string, string>): Record<string, string | string[]> {
    const raw = params.biz_content;
    if (raw === undefined || raw === '') throw missing('biz-content');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('isv.invalid-biz-content', 'biz_content 不是合法的JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('isv.invalid-biz-content', 'biz_content 必须是JSON对象');
    return validateBiz(method, parsed as Record<string, unknown>);
  }

  #takeFault(method: AlipayMethod): { kind: FaultKind } | undefined {
    const i = this.#faults.findIndex((f) => f.method === method || f.method === '*');
    if (i < 0) return undefined;
    const f = this.#faults[i]!;
    if (--f.times <= 0) this.#faults.splice(i, 1);
    return f;
  }

  // ---- the methods ----

  #run(method: ApiMethod, params: Record<string, string>, biz: Record<string, string | string[]>): Record<string, unknown> {
    switch (method) {
      case 'alipay.trade.precreate':
        return this.#precreate(params, biz);
      case 'alipay.trade.query': {
        const t = this.#find(biz);
        return {
          trade_no: t.tradeNo,
          out_trade_no: t.outTradeNo,
          buyer_logon_id: '159******20',
          trade_status: t.status,
          total_amount: yuanOf(t.totalFen),
          buyer_pay_amount: t.paidAt === undefined ? '0.00' : yuanOf(t.totalFen),
          point_amount: '0.00',
          invoice_amount: t.paidAt === undefined ? '0.00' : yuanOf(t.totalFen),
          receipt_amount: t.paidAt === undefined ? '0.00' : yuanOf(t.totalFen),
          ...(t.paidAt === undefined ? {} : { send_pay_date: beijing(t.paidAt) }),
          buyer_user_id: '2088102177846880',
        };
      }
      case 'alipay.trade.close': {
        const t = this.#find(biz);
        if (t.status !== 'WAIT_BUYER_PAY') throw business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        t.status = 'TRADE_CLOSED';
        return { trade_no: t.tradeNo, out_trade_no: t.outTradeNo };
      }
      case 'alipay.trade.cancel':
        return this.#cancel(biz);
      case 'alipay.trade.refund':
        return this.#refund(biz);
      case 'alipay.trade.fastpay.refund.query': {
        const t = this.#find(biz);
        const r = t.refunds.get(biz.out_request_no as string);
        // Alipay: no refund under that number is an answer without the refund's fields.
        if (!r) return {};
        return { trade_no: t.tradeNo, out_trade_no: t.outTradeNo, out_request_no: biz.out_request_no, total_amount: yuanOf(t.totalFen), refund_amount: yuanOf(r.fen), refund_status: 'REFUND_SUCCESS' };
      }
      default: {
        const unknown: never = method;
        throw new Error(String(unknown));
      }
    }
  }

  #precreate(params: Record<string, string>, biz: Record<string, string | string[]>): Record<string, unknown> {
    const outTradeNo = biz.out_trade_no as string;
    const fingerprint = canonical({ ...biz, notify_url: params.notify_url ?? '' });
    const existing = this.#trades.get(outTradeNo);
    if (existing) {
      this.#refresh(existing);
      if (existing.flow !== 'qr_code' || existing.fingerprint !== fingerprint) throw business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      if (existing.status === 'TRADE_SUCCESS') throw business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
      if (existing.status === 'TRADE_CLOSED' || existing.status === 'EXPIRED_UNSCANNED') throw business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
      return { out_trade_no: outTradeNo, qr_code: existing.qrCode };
    }
    const code = randomBytes(12).toString('hex');
    const now = this.now();
    const ttl = timeoutMs((biz.qr_code_timeout_express ?? biz.timeout_express ?? '2h') as string)!;
    const trade = this.#newTrade({
      outTradeNo,
      flow: 'qr_code',
      totalFen: fenOf(biz.total_amount as string),
      subject: biz.subject as string,
      fingerprint,
      notifyUrl: params.notify_url,
      returnUrl: undefined,
      passback: undefined,
      status: 'PRECREATED',
      qrCode: `${this.url}/qr/${code}`,
      expiresAt: now + ttl,
    });
    this.#byQr.set(code, trade.outTradeNo);
    return { out_trade_no: outTradeNo, qr_code: trade.qrCode };
  }

  /**
   * alipay.trade.cancel (face-to-face trades only): an unpaid trade is closed (`action: close`), a
   * paid one refunded in full within 24 hours (`action: refund`). Of a code nobody scanned Alipay
   * documents only that `action` is absent ("returned when the trade exists"); this fake assumes the
   * cancel is recorded and the code can no longer be paid (query: TRADE_CLOSED) — the adapter also
   * copes with the other reading (no trace: it answers that the code is still payable).
   */
  #cancel(biz: Record<string, string | string[]>): Record<string, unknown> {
    const t = typeof biz.out_trade_no === 'string' ? this.#trades.get(biz.out_trade_no) : [...this.#trades.values()].find((x) => x.tradeNo === biz.trade_no);
    if (!t) return { out_trade_no: biz.out_trade_no, retry_flag: 'N' };
    this.#refresh(t);
    if (t.flow !== 'qr_code') throw business('ACQ.CANCEL_NOT_ALLOWED', '交易不允许撤销');
    const answer = (action?: 'close' | 'refund'): Record<string, unknown> => ({ trade_no: t.tradeNo, out_trade_no: t.outTradeNo, retry_flag: 'N', ...(action ? { action } : {}) });
    switch (t.status) {
      case 'PRECREATED':
      case 'EXPIRED_UNSCANNED':
        t.status = 'TRADE_CLOSED';
        return { out_trade_no: t.outTradeNo, retry_flag: 'N' };
      case 'WAIT_BUYER_PAY':
        t.status = 'TRADE_CLOSED';
        return answer('close');
      case 'TRADE_SUCCESS':
        if (this.now() - (t.paidAt ?? 0) > 24 * 3600_000) throw business('ACQ.TRADE_CANCEL_TIME_OUT', '超过撤销时间范围');
        if (t.refundedFen > 0) throw business('ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效');
        t.refunds.set(`cancel:${t.outTradeNo}`, { fen: t.totalFen, at: this.now() });
        t.refundedFen = t.totalFen;
        t.status = 'TRADE_CLOSED';
        return answer('refund');
      case 'TRADE_CLOSED':
        return answer();
      default: {
        const unknown: never = t.status;
        throw new Error(String(unknown));
      }
    }
  }

  #refund(biz: Record<string, string | string[]>): Record<string, unknown> {
    const t = this.#find(biz);
    const fen = fenOf(biz.refund_amount as string);
    const outRequestNo = (biz.out_request_no as string | undefined) ?? t.outTradeNo;
    const answer = (fundChange: 'Y' | 'N'): Record<string, unknown> => ({
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      buyer_logon_id: '159******20',
      fund_change: fundChange,
      refund_fee: yuanOf(t.refundedFen), // Alipay: the trade's refunded total, not this refund's
      gmt_refund_pay: beijing(this.now()),
      buyer_user_id: '2088102177846880',
    });
    const earlier = t.refunds.get(outRequestNo);
    if (earlier) {
      if (earlier.fen !== fen) throw business('ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致');
      return answer('N');
    }
    if (t.status !== 'TRADE_SUCCESS') throw business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (fen > t.totalFen - t.refundedFen) throw business('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    // Alipay requires an out_request_no for a partial refund (it defaults to out_trade_no for a full one).
    if (biz.out_request_no === undefined && fen !== t.totalFen) throw badParam('out_request_no', 'required for a partial refund');
    t.refunds.set(outRequestNo, { fen, at: this.now() });
    t.refundedFen += fen;
    if (t.refundedFen === t.totalFen) t.status = 'TRADE_CLOSED';
    return answer('Y');
  }

  /** A trade by out_trade_no or trade_no; a pre-order nobody scanned is no trade at Alipay. */
  #find(biz: Record<string, string | string[]>): FakeTrade {
    const byNo = typeof biz.out_trade_no === 'string' ? this.#trades.get(biz.out_trade_no) : [...this.#trades.values()].find((t) => t.tradeNo === biz.trade_no);
    if (byNo && typeof biz.trade_no === 'string' && byNo.tradeNo !== biz.trade_no) throw business('ACQ.TRADE_NOT_EXIST', '交易不存在');
    if (byNo) this.#refresh(byNo);
    if (!byNo || byNo.status === 'PRECREATED' || byNo.status === 'EXPIRED_UNSCANNED') throw business('ACQ.TRADE_NOT_EXIST', '交易不存在');
    return byNo;
  }

  #newTrade(t: Omit<FakeTrade, 'tradeNo' | 'createdAt' | 'paidAt' | 'refunds' | 'refundedFen'>): FakeTrade {
    const now = this.now();
    const trade: FakeTrade = {
      ...t,
      tradeNo: `${beijing(now).slice(0, 10).replaceAll('-', '')}22001${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`,
      createdAt: now,
      paidAt: undefined,
      refunds: new Map(),
      refundedFen: 0,
    };
    this.#trades.set(trade.outTradeNo, trade);
    return trade;
  }

  /** Expiry, applied when a trade is looked at. */
  #refresh(t: FakeTrade): void {
    if (this.now() < t.expiresAt) return;
    if (t.status === 'PRECREATED') t.status = 'EXPIRED_UNSCANNED';
    if (t.status === 'WAIT_BUYER_PAY') t.status = 'TRADE_CLOSED';
  }

  async #notify(t: FakeTrade): Promise<void> {
    if (!t.notifyUrl) return;
    const now = this.now();
    const params: Record<string, string> = {
      gmt_create: beijing(t.createdAt),
      charset: 'utf-8',
      seller_email: 'merchant@example.com',
      subject: t.subject,
      buyer_id: '2088102177846880',
      invoice_amount: yuanOf(t.totalFen),
      notify_id: `2026${randomBytes(16).toString('hex')}`,
      fund_bill_list: JSON.stringify([{ amount: yuanOf(t.totalFen), fundChannel: 'ALIPAYACCOUNT' }]),
      notify_type: 'trade_status_sync',
      trade_status: t.status,
      receipt_amount: yuanOf(t.totalFen),
      buyer_pay_amount: yuanOf(t.totalFen),
      app_id: this.appId,
      seller_id: '2088102177649450',
      gmt_payment: beijing(t.paidAt ?? now),
      notify_time: beijing(now),
      version: '1.0',
      out_trade_no: t.outTradeNo,
      total_amount: yuanOf(t.totalFen),
      trade_no: t.tradeNo,
      auth_app_id: this.appId,
      buyer_logon_id: '159******20',
      point_amount: '0.00',
      ...(t.passback ? { passback_params: t.passback } : {}),
    };
    params.sign = this.signParams(params);
    params.sign_type = 'RSA2';
    const sent: SentNotification = { url: t.notifyUrl, body: new URLSearchParams(params).toString(), params };
    this.notifications.push(sent);
    const delivery = (async () => {
      try {
        const r = await fetch(sent.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: sent.body, signal: AbortSignal.timeout(3000) });
        sent.status = r.status;
        sent.answer = await r.text();
      } catch (e) {
        sent.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    })();
    this.#deliveries.add(delivery);
    await delivery;
    this.#deliveries.delete(delivery);
  }

  // ---- pages ----

  /** The cashier (wap.pay, signed GET): opening it creates the trade, unless its time has passed. */
  #cashier(res: ServerResponse, record: RecordedRequest, params: Record<string, string>, biz: Record<string, string | string[]>): void {
    const outTradeNo = biz.out_trade_no as string;
    const fingerprint = canonical({ ...biz, notify_url: params.notify_url ?? '', return_url: params.return_url ?? '' });
    const now = this.now();
    let t = this.#trades.get(outTradeNo);
    if (t) {
      this.#refresh(t);
      // A cashier URL built again for the same payment (a later time_expire, a new timestamp) is the
      // same trade as long as what is paid is the same.
      if (t.flow !== 'wap' || t.totalFen !== fenOf(biz.total_amount as string) || t.subject !== biz.subject) {
        return this.#errorPage(res, record, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.CONTEXT_INCONSISTENT', sub_msg: '交易信息被篡改' });
      }
    } else {
      const expiresAt = typeof biz.time_expire === 'string' ? parseBeijing(biz.time_expire)! : now + (timeoutMs((biz.timeout_express as string | undefined) ?? '15d') ?? 0);
      if (expiresAt <= now) return this.#errorPage(res, record, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_HAS_CLOSE', sub_msg: '订单已过期' });
      t = this.#newTrade({
        outTradeNo,
        flow: 'wap',
        totalFen: fenOf(biz.total_amount as string),
        subject: biz.subject as string,
        fingerprint,
        notifyUrl: params.notify_url,
        returnUrl: params.return_url,
        passback: biz.passback_params as string | undefined,
        status: 'WAIT_BUYER_PAY',
        qrCode: undefined,
        expiresAt,
      });
    }
    record.acted = true;
    record.code = '10000';
    record.httpStatus = 200;
    const payable = t.status === 'WAIT_BUYER_PAY';
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
    res.end(
      html(
        'Alipay cashier (fake)',
        `<h1>支付宝 Alipay</h1><p id="subject">${esc(t.subject)}</p><p id="amount">¥${yuanOf(t.totalFen)}</p><p id="status">${t.status}</p>` +
          (payable ? `<form method="post" action="/cashier/${t.tradeNo}/pay"><input type="hidden" name="confirm" value="1"><button type="submit" id="pay">Pay</button></form>` : '<p>This trade cannot be paid.</p>'),
      ),
    );
  }

  async #cashierPay(res: ServerResponse, tradeNo: string): Promise<void> {
    const t = [...this.#trades.values()].find((x) => x.tradeNo === tradeNo && x.flow === 'wap');
    if (!t) return void res.writeHead(404, { 'content-type': 'text/html;charset=utf-8' }).end(html('Not found', '<p>No such trade.</p>'));
    this.#refresh(t);
    if (t.status !== 'WAIT_BUYER_PAY') return void res.writeHead(409, { 'content-type': 'text/html;charset=utf-8' }).end(html('Cannot pay', `<p id="status">${t.status}</p>`));
    t.status = 'TRADE_SUCCESS';
    t.paidAt = this.now();
    await this.#notify(t);
    if (!t.returnUrl) return void res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' }).end(html('Paid', '<p id="status">TRADE_SUCCESS</p>'));
    const back: Record<string, string> = {
      charset: 'utf-8',
      out_trade_no: t.outTradeNo,
      method: 'alipay.trade.wap.pay.return',
      total_amount: yuanOf(t.totalFen),
      trade_no: t.tradeNo,
      auth_app_id: this.appId,
      version: '1.0',
      app_id: this.appId,
      seller_id: '2088102177649450',
      timestamp: beijing(this.now()),
    };
    back.sign = this.signParams(back);
    back.sign_type = 'RSA2';
    const location = new URL(t.returnUrl);
    for (const [k, v] of Object.entries(back)) location.searchParams.set(k, v);
    res.writeHead(302, { location: location.toString(), 'content-type': 'text/html;charset=utf-8' }).end();
  }

  /** A precreated code's page (what the Alipay app shows after a scan), and the scan / payment itself. */
  async #qrPage(res: ServerResponse, httpMethod: string, code: string, step: 'pay' | 'scan' | undefined): Promise<void> {
    const outTradeNo = this.#byQr.get(code);
    const t = outTradeNo ? this.#trades.get(outTradeNo) : undefined;
    if (!t) return void res.writeHead(404, { 'content-type': 'text/html;charset=utf-8' }).end(html('Not found', '<p>No such code.</p>'));
    this.#refresh(t);
    if (step === undefined && httpMethod === 'GET') {
      const payable = t.status === 'PRECREATED' || t.status === 'WAIT_BUYER_PAY';
      return void res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' }).end(
        html(
          'Alipay (fake app)',
          `<p id="subject">${esc(t.subject)}</p><p id="amount">¥${yuanOf(t.totalFen)}</p><p id="status">${t.status}</p>` +
            (payable ? `<form method="post" action="/qr/${code}/pay"><button type="submit" id="pay">Pay</button></form>` : ''),
        ),
      );
    }
    if (httpMethod !== 'POST' || step === undefined) return void res.writeHead(405).end();
    if (t.status === 'EXPIRED_UNSCANNED' || t.status === 'TRADE_CLOSED') return void res.writeHead(410, { 'content-type': 'text/html;charset=utf-8' }).end(html('Expired', `<p id="status">${t.status}</p>`));
    if (t.status === 'TRADE_SUCCESS') return void res.writeHead(409, { 'content-type': 'text/html;charset=utf-8' }).end(html('Paid', '<p id="status">TRADE_SUCCESS</p>'));
    this.scan(t.outTradeNo);
    if (step === 'pay') await this.pay(t.outTradeNo);
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' }).end(html('Alipay (fake app)', `<p id="status">${t.status}</p>`));
  }

  #errorPage(res: ServerResponse, record: RecordedRequest, body: Record<string, string>): void {
    record.code = body.code;
    record.subCode = body.sub_code;
    record.httpStatus = 200;
    // Alipay shows its errors to the shopper as a page (HTTP 200), with the codes in it.
    res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
    res.end(html('Alipay error (fake)', `<p id="error" data-code="${esc(body.code ?? '')}" data-sub-code="${esc(body.sub_code ?? '')}">${esc(body.sub_code ?? '')}: ${esc(body.sub_msg ?? '')}</p>`));
  }
}

function canonical(value: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(value).sort().map((k) => [k, value[k]]));
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>${body}</body></html>`;
}

// ---- standalone ----

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--port');
  const port = at >= 0 ? Number(process.argv[at + 1]) : 0;
  const fake = await AlipayFake.start({ port });
  // What the server is configured with: the gateway, the app id, the app's private key, Alipay's public key.
  process.stdout.write(`${JSON.stringify({ gateway: fake.gateway, url: fake.url, appId: fake.appId, appPrivateKey: fake.appPrivateKey, alipayPublicKey: fake.alipayPublicKey })}\n`);
  const stop = (): void => void fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
