/**
 * The few merchant and shopper calls the benchmarks make outside the load generator: JSON over
 * fetch, and a saved card made the way a shopper makes one. Shared by run.ts and cpu.ts.
 */
import { randomUUID } from 'node:crypto';

export async function json(url: string, init: RequestInit & { auth: string }): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${init.auth}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export const AMOUNT = 100; // ¥1.00: the Visa's 1,000,000.00 balance covers any number of these.

/** Makes the bench customer and saves a Visa for it the way a shopper would (token → confirm with save). */
export async function savedCard(kassa: string, secretKey: string): Promise<{ customer: string; pm: string }> {
  const customer = String((await json(`${kassa}/v1/customers`, { method: 'POST', auth: secretKey, body: JSON.stringify({ name: 'Bench shopper' }) })).id);
  const pi = await json(`${kassa}/v1/payment_intents`, {
    method: 'POST',
    auth: secretKey,
    body: JSON.stringify({ amount: AMOUNT, currency: 'cny', customer, setup_future_usage: 'on_session' }),
  });
  const clientSecret = String(pi.client_secret);
  const token = await json(`${kassa}/client/tokens`, {
    method: 'POST',
    auth: clientSecret,
    body: JSON.stringify({ card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' } }),
  });
  const confirmed = await json(`${kassa}/client/payment_intents/${String(pi.id)}/confirm`, {
    method: 'POST',
    auth: clientSecret,
    headers: { 'idempotency-key': randomUUID() },
    body: JSON.stringify({ payment_method: token.id, setup_future_usage: 'on_session' }),
  });
  if (confirmed.status !== 'succeeded') throw new Error(`saving the card did not succeed: ${JSON.stringify(confirmed)}`);
  const list = await json(`${kassa}/v1/customers/${customer}/payment_methods`, { auth: secretKey });
  const first = (list.data as Array<{ id: string }> | undefined)?.[0];
  if (!first) throw new Error('no saved payment method after confirming with setup_future_usage');
  return { customer, pm: first.id };
}

