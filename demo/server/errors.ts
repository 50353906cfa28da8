/**
 * The demo backend answers errors the way Kassa (and Stripe) do — `{ error: { type, code,
 * message, param? } }` — so the shop's pages can show one kind of error whatever went wrong.
 */
import type { z } from 'zod';

export interface DemoErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'authentication_error';
  code: string;
  message: string;
  param?: string;
}

export class DemoError extends Error {
  constructor(
    readonly status: number,
    readonly body: DemoErrorBody,
  ) {
    super(body.message);
    this.name = 'DemoError';
  }
}

export function badRequest(code: string, message: string, param?: string): DemoError {
  return new DemoError(400, { type: 'invalid_request_error', code, message, ...(param ? { param } : {}) });
}

/** `['items', 0, 'quantity']` → `items[0].quantity`, as Stripe names nested parameters. */
function paramName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === 'number') return `${name}[${part}]`;
    return name ? `${name}.${String(part)}` : String(part);
  }, '');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/**
 * The first zod issue as a 400: unknown field, missing field, or a bad value. Needs the body
 * because zod 4 does not keep the offending input on its issues by default.
 */
export function fromZodError(error: z.ZodError, body: unknown): DemoError {
  const issue = error.issues[0];
  if (!issue) return badRequest('parameter_invalid', 'Invalid request body.');
  if (issue.code === 'unrecognized_keys') {
    const param = paramName([...issue.path, issue.keys[0] ?? '']);
    return badRequest('parameter_unknown', `Received unknown parameter: ${param}`, param);
  }
  const param = paramName(issue.path);
  if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) {
    return badRequest('parameter_missing', `Missing required parameter: ${param}`, param);
  }
  return badRequest('parameter_invalid', `Invalid ${param || 'request body'}: ${issue.message}`, param || undefined);
}
