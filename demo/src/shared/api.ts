/** The pages' client for the demo backend's JSON API (same origin). */
import type { ApiErrorBody, CheckoutRequestBody, CheckoutResult, Order } from '../api-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, 'network_error', 'The shop’s server did not answer.');
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as Partial<ApiErrorBody> | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? `HTTP ${response.status}`);
  }
  return body as T;
}

export function createCheckout(body: CheckoutRequestBody): Promise<CheckoutResult> {
  return call('/api/checkout', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function getOrder(id: string): Promise<Order> {
  return call(`/api/orders/${encodeURIComponent(id)}`);
}
