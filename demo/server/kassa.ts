/**
 * The demo merchant's client for Kassa's merchant API (`/v1`, secret key). Everything Kassa
 * answers is parsed before use: to the merchant backend it is input like any other.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { currencySchema, paymentStatusSchema } from '@kassa/core/wire';
import { DemoError } from './errors.js';

const paymentIntentSchema = z.looseObject({
  id: z.string().regex(/^pi_[A-Za-z0-9]+$/),
  object: z.literal('payment_intent'),
  amount: z.number().int(),
  amount_received: z.number().int().default(0),
  currency: currencySchema,
  status: paymentStatusSchema,
  client_secret: z.string().min(1),
  customer: z.string().nullable().default(null),
  metadata: z.record(z.string(), z.string()).default({}),
  last_payment_error: z
    .looseObject({ code: z.string(), message: z.string(), decline_code: z.string().optional() })
    .nullable()
    .default(null),
});
export type PaymentIntent = z.infer<typeof paymentIntentSchema>;

const customerSchema = z.looseObject({ id: z.string().min(1), object: z.literal('customer') });

const kassaErrorSchema = z.object({
  error: z.looseObject({ type: z.string(), code: z.string().optional(), message: z.string().optional() }),
});

const keysFileSchema = z.looseObject({ secret_key: z.string().regex(/^sk_test_/) });

export type SecretKeySource = { secretKey: string } | { keysFile: string };

export interface CreateIntentParams {
  amount: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  customer?: string;
  setup_future_usage?: 'on_session';
}

export class KassaClient {
  readonly #baseUrl: string;
  readonly #source: SecretKeySource;
  #secretKey: string | undefined;

  constructor(baseUrl: string, source: SecretKeySource) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#source = source;
  }

  createPaymentIntent(params: CreateIntentParams, idempotencyKey: string): Promise<PaymentIntent> {
    return this.#request(paymentIntentSchema, 'POST', '/v1/payment_intents', params, idempotencyKey);
  }

  retrievePaymentIntent(id: string): Promise<PaymentIntent> {
    return this.#request(paymentIntentSchema, 'GET', `/v1/payment_intents/${encodeURIComponent(id)}`);
  }

  /**
   * The customer record of a shopper of this shop, made once: the shop's own reference is the
   * Idempotency-Key, so asking again (after a restart too) gives the same customer.
   */
  async customerFor(reference: string, name: string): Promise<string> {
    const customer = await this.#request(customerSchema, 'POST', '/v1/customers', { name, metadata: { shop_reference: reference } }, `demo-customer:${reference}`);
    return customer.id;
  }

  /**
   * Read lazily and cached once found: Kassa writes its keys file on first start, so the demo
   * may well start before it exists.
   */
  async #key(): Promise<string> {
    if (this.#secretKey) return this.#secretKey;
    if ('secretKey' in this.#source) return (this.#secretKey = this.#source.secretKey);
    let text: string;
    try {
      text = await readFile(this.#source.keysFile, 'utf8');
    } catch {
      throw upstream('kassa_keys_missing', `Cannot read Kassa's keys file (${this.#source.keysFile}); start the Kassa server first or set KASSA_SECRET_KEY.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const keys = keysFileSchema.safeParse(parsed);
    if (!keys.success) {
      throw upstream('kassa_keys_invalid', `The keys file ${this.#source.keysFile} has no "secret_key" starting with sk_test_.`);
    }
    return (this.#secretKey = keys.data.secret_key);
  }

  async #request<S extends z.ZodType>(schema: S, method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<z.output<S>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.#key()}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw upstream('kassa_unreachable', `Kassa did not answer at ${this.#baseUrl}; is the server running?`);
    }
    const json: unknown = await response.json().catch(() => undefined);
    if (response.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw upstream('kassa_bad_response', `Kassa answered ${method} ${path} with something unexpected.`);
      return parsed.data;
    }
    const parsed = kassaErrorSchema.safeParse(json);
    const error = parsed.success ? parsed.data.error : { type: 'api_error', code: undefined, message: undefined };
    // What the shopper's request could have caused passes through: an unknown order (404) and
    // a checkout id reused for a different cart (400) or still in flight (409), both of type
    // idempotency_error. Anything else
    // means the demo itself is misconfigured (bad key) or broken: a gateway error, not the
    // shopper's fault.
    if (response.status === 404) {
      throw new DemoError(404, { type: 'invalid_request_error', code: 'resource_missing', message: 'No such order.' });
    }
    if ((response.status === 409 || response.status === 400) && error.type === 'idempotency_error') {
      throw new DemoError(response.status, {
        type: 'idempotency_error',
        code: error.code ?? 'idempotency_error',
        message: error.message ?? 'This checkout is already being processed.',
      });
    }
    if (response.status === 401) this.#secretKey = undefined; // the keys file may have been rewritten
    throw upstream(
      'kassa_error',
      `Kassa refused the request (${response.status} ${error.code ?? error.type}): ${error.message ?? 'no message'}`,
    );
  }
}

function upstream(code: string, message: string): DemoError {
  return new DemoError(502, { type: 'api_error', code, message });
}
