/**
 * Input parsing at the edge: zod `.strict()` schemas from @kassa/core/wire, errors named the
 * Stripe way (`param: "metadata[order]"`). Form bodies (the stripe SDK's encoding) arrive as
 * strings, so numbers and booleans are coerced there — and only there — guided by the schema.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { KassaError, FailureKind } from '../domain/errors.js';

/** Stripe's spelling of a nested field: card[number], metadata[order_id]. */
export function formatParam(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return `${head ?? ''}${rest.map((p) => `[${p}]`).join('')}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key as string];
  }
  return cur;
}

type Issue = z.core.$ZodIssue;

/**
 * Where Stripe code sends raw card details to a server API. Kassa never takes them there: the
 * card is typed into the secure frame and arrives as a token, so a PAN never passes through the
 * merchant's backend (and its PCI scope). The message says so and points at the test ids.
 */
const RAW_CARD_PARAM = /^(payment_method_data|card|source|number|cvc)(\[|$)/;
const RAW_CARD_HINT =
  'card details are never sent to the merchant API: shoppers type them into the secure frame, which returns a token; on a server, test with payment methods such as pm_card_visa';

/**
 * The issue to report. A union (`'' | address`: Stripe's "empty string unsets") fails as a whole;
 * the branch that got furthest into the input names the real problem (`shipping[name]` missing,
 * not "shipping is invalid").
 */
function specific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  if (!best || best.path.length === 0) return issue;
  return specific({ ...best, path: [...issue.path, ...best.path] } as Issue);
}

export function zodError(error: z.ZodError, input: unknown): KassaError {
  // Card details where a token belongs (`payment_method_data[card][number]`) are the problem to
  // name, even when a missing token is reported first.
  const rawCard = error.issues.find((i) => i.code === 'unrecognized_keys' && RAW_CARD_PARAM.test(formatParam([...i.path, i.keys[0] ?? ''])));
  const first = rawCard ?? error.issues[0];
  const issue = first ? specific(first) : undefined;
  if (!issue) return new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', 'Invalid request.');
  if (issue.code === 'unrecognized_keys') {
    const param = formatParam([...issue.path, issue.keys[0] ?? '']);
    // Stripe code often asks to expand; say why it is refused rather than only that it is.
    const hint = /^expand(\[|$)/.test(param)
      ? ' (this route expands nothing; related objects are returned as ids)'
      : RAW_CARD_PARAM.test(param)
        ? ` (${RAW_CARD_HINT})`
        : '';
    return new KassaError(FailureKind.InvalidRequest, 'parameter_unknown', `Received unknown parameter: ${param}${hint}`, { param });
  }
  const param = formatParam(issue.path);
  if (issue.path.length === 0) {
    return new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', 'The request body must be an object.');
  }
  if (valueAt(input, issue.path) === undefined) {
    return new KassaError(FailureKind.InvalidRequest, 'parameter_missing', `Missing required param: ${param}.`, { param });
  }
  // zod's messages describe the rule, never the offending value.
  return new KassaError(FailureKind.InvalidRequest, 'parameter_invalid', `Invalid ${param}: ${issue.message}`, { param });
}

interface SchemaDef {
  type: string;
  innerType?: SchemaLike;
  shape?: Record<string, SchemaLike>;
  in?: SchemaLike;
  options?: SchemaLike[];
}
interface SchemaLike {
  _zod: { def: SchemaDef };
}

/** Follows optional/default/nullable wrappers down to the schema that decides the type. */
function unwrap(schema: SchemaLike): SchemaLike {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** Turns form strings into the numbers and booleans the schema expects; leaves the rest to zod. */
export function coerceForm(schema: SchemaLike, value: unknown): unknown {
  const s = unwrap(schema);
  const def = s._zod.def;
  // A union (`true | 'one_off'`, `'' | address`): the first option that changes the value decides.
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const coerced = coerceForm(option, value);
      if (coerced !== value) return coerced;
    }
    return value;
  }
  if (typeof value === 'string') {
    if (def.type === 'number' && /^-?\d{1,16}$/.test(value)) return Number(value);
    if (def.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  }
  if (def.type === 'object' && def.shape && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
      out[key] = field ? coerceForm(field, v) : v;
    }
    return out;
  }
  return value;
}

/** Parses the request body with a strict schema; form bodies are coerced first. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request, res: Response): z.output<S> {
  const raw: unknown = req.body ?? {};
  const input = res.locals.bodyFormat === 'form' ? coerceForm(schema as unknown as SchemaLike, raw) : raw;
  const result = schema.safeParse(input);
  if (!result.success) throw zodError(result.error, input);
  return result.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Pick<Request, 'query'> | { query: unknown }): z.output<S> {
  const result = schema.safeParse(req.query);
  if (!result.success) throw zodError(result.error, req.query);
  return result.data;
}
