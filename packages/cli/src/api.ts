/**
 * One HTTP client for both APIs Kassa serves to the CLI: the merchant API (/v1, a secret key)
 * and the operator API (/operator, the operator key). JSON in and out; Stripe's query encoding
 * for arrays (`types[0]=…`); an `Idempotency-Key` on the POSTs that take one. Every failure
 * becomes a `CliError` with the exit code that names it: Kassa's own error object (4xx, 5xx),
 * or no answer at all.
 */
import { z } from 'zod';
import { ApiError, CliError, ExitCode, UnreachableError, UsageError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:4242';
const TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: Record<string, unknown>;
  idempotencyKey?: string;
}

export interface ApiClient {
  readonly baseUrl: string;
  request(method: 'GET' | 'POST' | 'DELETE', path: string, options?: RequestOptions): Promise<unknown>;
}

const errorEnvelope = z.object({
  error: z
    .object({
      type: z.string(),
      code: z.string().optional(),
      message: z.string(),
      param: z.string().optional(),
      decline_code: z.string().optional(),
      payment_intent: z.object({ id: z.unknown() }).loose().optional(),
    })
    .loose(),
});

/** `--url`: an http(s) base URL (a path prefix is kept, for a Kassa behind a proxy). */
export function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, got "${value}"`);
  return url.href.replace(/\/+$/, '');
}

export function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((v: string, i) => params.append(`${key}[${i}]`, v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A network failure in words, without the stack: `ECONNREFUSED`, `ENOTFOUND`, a timeout. */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export function createClient(options: { baseUrl: string; key: string; userAgent: string; signal?: AbortSignal }): ApiClient {
  const { baseUrl, key } = options;
  return {
    baseUrl,
    async request(method, path, request = {}) {
      const url = `${baseUrl}${path}${encodeQuery(request.query)}`;
      const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json', 'user-agent': options.userAgent };
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
      const signals = [AbortSignal.timeout(TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
          signal: AbortSignal.any(signals),
          redirect: 'manual',
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new UnreachableError(`could not reach Kassa at ${baseUrl}: ${describeNetworkError(error)}`, error);
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        // Not Kassa's JSON: a proxy's page, another program on the port.
        const kind = response.status >= 500 ? ExitCode.ServerError : ExitCode.Failure;
        throw new CliError(`${method} ${url} answered ${response.status} (${response.headers.get('content-type') ?? 'no content type'}), not Kassa's JSON`, kind);
      }
      if (response.ok) return body;
      const parsed = errorEnvelope.safeParse(body);
      if (!parsed.success) {
        throw new CliError(`${method} ${url} answered ${response.status} without an error object`, response.status >= 500 ? ExitCode.ServerError : ExitCode.ApiError);
      }
      throw new ApiError(response.status, parsed.data.error);
    },
  };
}

/** Parses an answer with the shape the command relies on; anything else is Kassa misbehaving. */
export function expect<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliError(`unexpected answer for ${what}: ${z.prettifyError(parsed.error)}`, ExitCode.Failure);
  return parsed.data;
}
