/**
 * The OpenAPI 3.1 document, built from the operation table (operations.ts) and the named zod
 * schemas (components.ts) with zod's own JSON Schema output (`z.toJSONSchema`, draft 2020-12,
 * which OpenAPI 3.1 speaks). Built once per public URL and served as `/openapi.json`; the
 * reference page (`/docs`) is rendered from the same object.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ServerErrorCode } from '../../domain/errors.js';
import { BODY_LIMIT, MERCHANT_BODY_LIMIT } from '../body.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency.js';
import { NEWEST_STRIPE_VERSION, OLDEST_STRIPE_VERSION, STRIPE_VERSION_PATTERN } from '../stripe-version.js';
import { EXPANDABLE } from '../routes/merchant.js';
import { TAGS } from './operations.js';
import type { Auth, ErrorStatus, OperationSpec, PathParameter, ResponseSpec } from './operations.js';

/** JSON Schema or any other part of the document: plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What the document describes: operations, and the named schemas they refer to. */
export interface ApiDescription {
  operations: readonly OperationSpec[];
  components: Readonly<Record<string, z.ZodType>>;
}

export interface OpenApiDocument extends JsonObject {
  openapi: '3.1.1';
  info: JsonObject;
  paths: { [path: string]: { [method: string]: JsonObject } };
  components: JsonObject & { schemas: { [name: string]: JsonObject } };
}

const STATUS_TEXT: Readonly<Record<Exclude<ErrorStatus, 413>, string>> = {
  400: 'Bad input, a state that does not allow it, or an Idempotency-Key used with another body (`type: idempotency_error`)',
  401: 'Missing or invalid credentials',
  402: 'The card was declined; nothing was charged',
  403: 'Refused for where the request comes from, or for what the key may do',
  404: 'No such object (unknown, or another merchant\'s), or no such route',
  409: 'A request with this Idempotency-Key is still running: retry shortly',
  415: 'A content type this route does not read',
  429: 'Too many requests',
  502: 'The provider did not answer: the intent is `unknown`; retry with the same Idempotency-Key',
  503: 'Temporarily unable to serve this',
};

/** What a 429 counts, by who calls (http/limits.ts); pages are not rate limited. */
const RATE_LIMITED: Readonly<Record<Exclude<Auth, 'none'>, string>> = {
  secret_key: 'Too many requests for this API key, or too many failed authentications from this address',
  client_secret: 'Too many requests from this address, or (tokenizing a card) too many card tokenizations from it or for this payment',
  operator_key: 'Too many failed authentications from this address',
};

function statusText(status: ErrorStatus, op: OperationSpec): string {
  // bodyParsers: the merchant API reads larger bodies (full-size metadata, form-encoded).
  if (status === 413) return `The body is over ${(op.auth === 'secret_key' ? MERCHANT_BODY_LIMIT : BODY_LIMIT).replace('kb', ' KB')}`;
  if (status === 429 && op.auth !== 'none') return `${RATE_LIMITED[op.auth]}: nothing was done; retry after \`Retry-After\` seconds`;
  return STATUS_TEXT[status];
}

const ERROR_COMPONENT: Readonly<Record<Auth, string>> = {
  secret_key: 'Error',
  client_secret: 'ClientError',
  operator_key: 'PlainError',
  none: 'PlainError',
};

const SECURITY: Readonly<Record<Auth, Json[]>> = {
  secret_key: [{ secretKey: [] }, { secretKeyBasic: [] }],
  client_secret: [{ clientSecret: [] }],
  operator_key: [{ operatorKey: [] }],
  none: [],
};

const BODY_CODES: readonly ServerErrorCode[] = ['parameter_unknown', 'parameter_invalid', 'parameter_missing', 'invalid_json'];
const QUERY_CODES: readonly ServerErrorCode[] = ['parameter_unknown', 'parameter_invalid', 'parameter_missing'];

const ref = (kind: 'schemas' | 'parameters' | 'headers', name: string): JsonObject => ({ $ref: `#/components/${kind}/${name}` });
const codeList = (codes: readonly string[]) => codes.map((c) => `\`${c}\``).join(', ');

/** The JSON Schema of a zod schema without the `$schema` / `$id` a standalone schema carries. */
function bare(schema: JsonObject): JsonObject {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** Every named schema, converted together so that they refer to each other by `$ref`. */
function componentSchemas(components: ApiDescription['components']): { [name: string]: JsonObject } {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  // Request schemas are described as they are sent (input: defaults are optional); the response
  // schemas have no transforms, so input and output read the same for them.
  const converted = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'throw' });
  const out: { [name: string]: JsonObject } = {};
  for (const name of Object.keys(components)) {
    const schema = converted.schemas[name];
    if (!schema) throw new Error(`component ${name} was not converted`);
    out[name] = bare(schema as JsonObject);
  }
  return out;
}

/** A strict query schema as one parameter per key. */
function queryParameters(schema: z.ZodObject): JsonObject[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonObject;
  const properties = (json.properties ?? {}) as { [name: string]: JsonObject };
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
      ...(propertySchema.type === 'array' ? { style: 'form', explode: true } : {}),
    };
  });
}

const EXPAND_PARAMETER: JsonObject = {
  name: 'expand[]',
  in: 'query',
  required: false,
  description: 'Related objects to return in place of their ids, one level. Also spelled `expand[0]`, `expand[1]`, … (as the stripe SDK sends it) or `expand`.',
  schema: { type: 'array', items: { type: 'string', enum: [...EXPANDABLE] }, maxItems: EXPANDABLE.length },
  style: 'form',
  explode: true,
};

function pathParameters(op: OperationSpec): JsonObject[] {
  const names = [...op.path.matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1] ?? '');
  return names.map((name) => {
    const given = op.params?.[name];
    if (given === undefined) throw new Error(`${op.operationId}: path parameter {${name}} has no description`);
    const p: Partial<PathParameter> & { description: string } = typeof given === 'string' ? { description: given } : given;
    const schema: JsonObject = {
      type: 'string',
      minLength: 1,
      ...(p.pattern !== undefined ? { pattern: `^${p.pattern}$` } : {}),
      ...(p.enum !== undefined ? { enum: [...p.enum] } : {}),
    };
    return { name, in: 'path', required: true, description: p.description, schema, ...(p.example !== undefined ? { example: p.example } : {}) };
  });
}

/** Whether a property is an object on the wire, which a form body spells `key[sub]=…` (deepObject). */
function isObjectProperty(schema: JsonObject, schemas: { [name: string]: JsonObject }): boolean {
  const target = typeof schema.$ref === 'string' ? schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  if (!target) return false;
  if (target.type === 'object') return true;
  const branches = (target.anyOf ?? target.oneOf ?? []) as JsonObject[];
  return branches.some((b) => isObjectProperty(b, schemas));
}

function requestBody(op: OperationSpec, schemas: { [name: string]: JsonObject }): JsonObject | null {
  if (!op.body) return null;
  const name = op.body.component;
  const schema = schemas[name];
  if (!schema) throw new Error(`${op.operationId}: no component ${name}`);
  const properties = (schema.properties ?? {}) as { [key: string]: JsonObject };
  const deep: JsonObject = {};
  for (const [key, property] of Object.entries(properties)) {
    if (isObjectProperty(property, schemas)) deep[key] = { style: 'deepObject', explode: true };
  }
  const content: JsonObject = {};
  for (const media of op.body.media) {
    content[media] =
      media === 'application/x-www-form-urlencoded' && Object.keys(deep).length > 0
        ? { schema: ref('schemas', name), encoding: deep }
        : { schema: ref('schemas', name) };
  }
  return { required: Array.isArray(schema.required) && schema.required.length > 0, content };
}

/** The headers an answer carries beyond the route's own: which of the shared ones apply. */
interface AnswerHeaders {
  /** A stored answer replayed for the same Idempotency-Key says so. */
  replayable: boolean;
  /** Every /v1 answer names the Stripe API version it is in (stripe-version.ts). */
  stripeVersion: boolean;
  /** A 429. */
  retryAfter: boolean;
}

function headerObjects(headers: Readonly<Record<string, string>> | undefined, which: AnswerHeaders): JsonObject {
  const out: JsonObject = { 'Request-Id': ref('headers', 'RequestId') };
  if (which.replayable) out['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
  if (which.stripeVersion) out['Stripe-Version'] = ref('headers', 'StripeVersion');
  if (which.retryAfter) out['Retry-After'] = ref('headers', 'RetryAfter');
  for (const [name, description] of Object.entries(headers ?? {})) {
    if (name === 'Idempotent-Replayed') continue;
    out[name] = { description, schema: { type: 'string' } };
  }
  return out;
}

function successResponse(r: ResponseSpec, op: OperationSpec): JsonObject {
  const content: JsonObject = {};
  if (r.json) content['application/json'] = { schema: ref('schemas', r.json) };
  for (const media of r.media ?? []) content[media] = {};
  return {
    description: r.description,
    headers: headerObjects(r.headers, { replayable: op.idempotent === true && r.status === 200, stripeVersion: op.auth === 'secret_key', retryAfter: false }),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

/** The error codes an operation can answer, by status: those of its kind, then its own. */
export function errorCodes(op: OperationSpec): Map<ErrorStatus, ServerErrorCode[]> {
  const codes = new Map<ErrorStatus, ServerErrorCode[]>();
  const add = (status: ErrorStatus, more: readonly ServerErrorCode[]) => {
    const list = codes.get(status) ?? [];
    for (const code of more) if (!list.includes(code)) list.push(code);
    codes.set(status, list);
  };
  if (op.query || op.expand) add(400, op.queryCodes ?? QUERY_CODES);
  if (op.body) {
    add(400, BODY_CODES);
    add(413, ['body_too_large']);
    add(415, ['unsupported_media_type']);
  }
  if (op.idempotent) {
    add(400, ['parameter_invalid']); // a malformed Idempotency-Key
    add(409, ['idempotency_key_in_use']);
    add(400, ['idempotency_key_reused']); // Stripe's status for it (stripe-node: StripeIdempotencyError)
  }
  if (op.auth === 'secret_key') {
    add(400, ['api_version_unsupported']); // a Stripe-Version Kassa does not speak
    add(401, ['api_key_invalid']);
    add(403, ['permission_denied']); // a publishable key, or a restricted key without this resource
  }
  if (op.auth === 'client_secret') add(401, ['client_secret_invalid']);
  if (op.auth === 'operator_key') add(401, ['api_key_invalid']);
  if (op.auth !== 'none' && op.path.includes('{id}')) add(404, ['resource_missing']);
  // Every API is rate limited (http/limits.ts); the pages are not.
  if (op.auth !== 'none') add(429, ['rate_limit']);
  for (const [status, list] of Object.entries(op.errors ?? {})) add(Number(status) as ErrorStatus, list);
  return new Map([...codes.entries()].sort(([a], [b]) => a - b));
}

/**
 * Error answers that read the same wherever they occur (401, 403, 409, 413, 415, 429, the unexpected
 * one) are written once under `components.responses` and referred to; the others name their
 * operation's own codes and stay inline.
 */
class Shared {
  readonly byName: { [name: string]: JsonObject } = {};

  constructor(private readonly kind: 'responses' | 'parameters') {}

  use(name: string, object: JsonObject): JsonObject {
    const existing = this.byName[name];
    if (existing === undefined) this.byName[name] = object;
    else if (JSON.stringify(existing) !== JSON.stringify(object)) return object;
    return { $ref: `#/components/${this.kind}/${name}` };
  }
}

/** The query parameters of the list convention (http/lists.ts) read the same on every list. */
const SHARED_PARAMETERS: ReadonlySet<string> = new Set(['limit', 'starting_after', 'ending_before', 'created', 'created[gt]', 'created[gte]', 'created[lt]', 'created[lte]']);
const parameterName = (name: string) => name.replace(/\[(\w+)\]/g, '_$1');

const SHARED_STATUSES: ReadonlySet<ErrorStatus> = new Set([401, 403, 409, 413, 415, 429]);

/**
 * Stored answers are replayed, errors included, but only those the handler made under the key:
 * these are answered before the key is taken (authentication, rate limits, reading the body) or
 * by the key itself (in use, reused with another body), so they never carry Idempotent-Replayed.
 */
const NEVER_REPLAYED: ReadonlySet<ErrorStatus> = new Set([401, 403, 409, 413, 415, 429]);

function operationObject(op: OperationSpec, schemas: { [name: string]: JsonObject }, shared: { responses: Shared; parameters: Shared }): JsonObject {
  const parameters: Json[] = [
    ...pathParameters(op),
    ...(op.query
      ? queryParameters(op.query).map((p) =>
          typeof p.name === 'string' && SHARED_PARAMETERS.has(p.name) ? shared.parameters.use(parameterName(p.name), p) : p,
        )
      : []),
    ...(op.expand ? [EXPAND_PARAMETER] : []),
    ...(op.idempotent ? [ref('parameters', 'IdempotencyKey')] : []),
    ...(op.auth === 'secret_key' ? [ref('parameters', 'StripeVersion')] : []),
  ];
  const responses: JsonObject = {};
  for (const r of op.responses) responses[String(r.status)] = successResponse(r, op);
  const errorComponent = ERROR_COMPONENT[op.auth];
  const errorSchema = ref('schemas', errorComponent);
  const stripeVersion = op.auth === 'secret_key';
  for (const [status, codes] of errorCodes(op)) {
    const replayable = op.idempotent === true && !NEVER_REPLAYED.has(status);
    const response = {
      description: `${statusText(status, op)}. \`code\`: ${codeList(codes)}`,
      headers: headerObjects(undefined, { replayable, stripeVersion, retryAfter: status === 429 }),
      content: { 'application/json': { schema: errorSchema } },
    };
    responses[String(status)] = SHARED_STATUSES.has(status)
      ? shared.responses.use(`${errorComponent}${status}${replayable ? 'Replayable' : ''}`, response)
      : response;
  }
  responses.default = shared.responses.use(`${errorComponent}Unexpected`, {
    description: 'An unexpected error (`api_error`); it says nothing about internals and is logged',
    headers: headerObjects(undefined, { replayable: false, stripeVersion, retryAfter: false }),
    content: { 'application/json': { schema: errorSchema } },
  });
  const body = requestBody(op, schemas);
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.auth],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

const INTRODUCTION = `Kassa's HTTP API: the merchant API (\`/v1\`, Stripe-shaped, secret key), the widget API (\`/client\`, client secret), the operator API (\`/operator\`, operator key), and what browsers load from the Kassa origin.

- **Bodies**: JSON; on \`/v1\` also \`application/x-www-form-urlencoded\` (the stripe SDK's encoding: \`metadata[key]=value\`, numbers and booleans as strings). At most 256 KB on \`/v1\`, 16 KB elsewhere. Money is an integer in the currency's minor units.
- **Strict input**: an unknown body field is a 400 \`parameter_unknown\` naming it (\`param\`), and so is an unknown query parameter of a \`/v1\` or \`/operator\` \`GET\` or \`DELETE\` (and of every operation that lists query parameters here). A method a path does not serve is a 405 \`method_not_allowed\` with \`Allow\`; an unknown path a 404 \`route_not_found\`.
- **Errors**: Stripe's shape, \`{ "error": { "type", "code", "message", "param"?, "decline_code"?, "payment_intent"? } }\`, never a 5xx for bad input.
- **Rate limits**: the APIs answer too many requests with a 429 \`rate_limit_error\` and \`Retry-After\` (seconds), before anything is done or stored: per secret key on \`/v1\`, per address on \`/client\` (and card tokenizations per address and per payment), and per address for failed authentications on \`/v1\` and \`/operator\`.
- **Stripe-Version**: \`/v1\` takes the header as a Stripe client sends it and echoes it in every answer (without it, the newest version Kassa speaks).
- **Idempotency**: every POST of \`/v1\` takes \`Idempotency-Key\`, and so does the widget's confirm (operator POSTs do not). The same key and body answer the stored response again (\`Idempotent-Replayed: true\`); another body is a 400 of \`type: idempotency_error\` (Stripe's answer); a request still running with it a 409. A retry after a 502 or a crash resumes the first request: one charge, never two.
- **Lists**: newest first; \`limit\` 1–100 (default 10), \`starting_after\` / \`ending_before\` (an id of the list; not both); a cursor that names nothing of the merchant's is a 404 with \`param\` the cursor.
- **Objects** are described exactly as sent today (no other fields). New fields may come in later versions: ignore those you do not know.`;

/** The version of @kassa/server's package.json, for `info.version`. */
function serverVersion(): string {
  // src/http/openapi/document.ts → packages/server/package.json
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export function openApiDocument(api: ApiDescription, options: { serverUrl: string }): OpenApiDocument {
  const schemas = componentSchemas(api.components);
  const paths: OpenApiDocument['paths'] = {};
  const shared = { responses: new Shared('responses'), parameters: new Shared('parameters') };
  const seen = new Set<string>();
  for (const op of api.operations) {
    const key = `${op.method} ${op.path}`;
    if (seen.has(key)) throw new Error(`operation described twice: ${key}`);
    seen.add(key);
    paths[op.path] ??= {};
    paths[op.path]![op.method] = operationObject(op, schemas, shared);
  }
  const used = new Set(api.operations.map((op) => op.tag));
  return {
    openapi: '3.1.1',
    info: {
      title: 'Kassa API',
      version: serverVersion(),
      summary: 'A self-hosted, Stripe-shaped checkout.',
      description: INTRODUCTION,
    },
    servers: [{ url: options.serverUrl }],
    tags: Object.entries(TAGS)
      .filter(([name]) => used.has(name as keyof typeof TAGS))
      .map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas,
      responses: shared.responses.byName,
      parameters: {
        ...shared.parameters.byName,
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Makes the POST safe to retry: 1–255 printable ASCII characters, scoped to the merchant (and to the intent on /client).',
          schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
        },
        StripeVersion: {
          name: 'Stripe-Version',
          in: 'header',
          required: false,
          description: `The Stripe API version the client expects (the stripe SDK sends its own): ${OLDEST_STRIPE_VERSION} to ${NEWEST_STRIPE_VERSION} are answered in the one shape Kassa has and echoed; any other is a 400 \`api_version_unsupported\`.`,
          schema: { type: 'string', pattern: STRIPE_VERSION_PATTERN.source },
        },
      },
      headers: {
        RequestId: { description: 'This request\'s id (`req_…`), as logged: quote it in support questions', schema: { type: 'string' } },
        IdempotentReplayed: { description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key', schema: { type: 'string', const: 'true' } },
        StripeVersion: {
          description: `The Stripe API version of this answer: the one asked for, else the newest Kassa speaks (\`${NEWEST_STRIPE_VERSION}\`)`,
          schema: { type: 'string', pattern: STRIPE_VERSION_PATTERN.source },
        },
        RetryAfter: { description: 'Seconds to wait before trying again', required: true, schema: { type: 'integer', minimum: 1 } },
      },
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', bearerFormat: 'sk_test_…', description: "The merchant's secret key: `Authorization: Bearer sk_test_…`" },
        secretKeyBasic: { type: 'http', scheme: 'basic', description: 'The secret key as the user name and an empty password, as Stripe accepts it' },
        clientSecret: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "A payment intent's `client_secret` (HS256, 15 minutes), naming that one intent" },
        operatorKey: { type: 'http', scheme: 'bearer', bearerFormat: 'op_…', description: 'The operator key, made on the first start and shown once: `Authorization: Bearer op_…`. No merchant key works on /operator, nor it on /v1.' },
      },
    },
  };
}
