/**
 * Holds real HTTP answers to the OpenAPI document the server serves: every answer must be a
 * status the document lists for its operation, with a documented media type, a JSON body that
 * its schema accepts, and the headers it declares required, each documented header's value
 * matching its schema — checked by ajv (JSON Schema 2020-12, strict), never by Kassa's own code.
 * Records which operations were seen answering, so a test can require all of them.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with its function as `default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonObject = { [key: string]: unknown };

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON for a JSON answer, else the text. */
  body: unknown;
}

interface Template {
  path: string;
  /** One group per path parameter, in `names` order. */
  regex: RegExp;
  names: string[];
  /** Literal characters: where two templates match, the one with more of them wins (`/search` over `/{id}`). */
  literal: number;
}

const DOC_ID = 'https://kassa.invalid/openapi.json';
const mediaBase = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class Contract {
  readonly ajv: Ajv2020;
  readonly templates: Template[];
  /** `METHOD template` → statuses seen (checked). */
  readonly seen = new Map<string, Set<number>>();
  /** `METHOD template` → a concrete path (and query) that answered with success. */
  readonly examples = new Map<string, string>();
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #inlineValidators = new Map<string, ValidateFunction>();

  constructor(readonly doc: JsonObject & { paths: Record<string, Record<string, JsonObject>> }) {
    this.ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(this.ajv);
    // The document's own top-level fields are not JSON Schema keywords; declared so strict mode
    // knows them. Schemas are only ever compiled through `#/components/schemas/…` references.
    this.ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security', 'webhooks', 'jsonSchemaDialect', 'externalDocs']);
    this.ajv.addSchema(doc, DOC_ID);
    this.templates = Object.keys(doc.paths).map((path) => ({
      path,
      // Regex characters escaped (braces are not among them), then each {param} is one segment's worth.
      regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`),
      names: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
      literal: path.replace(/\{[^}]+\}/g, '').length,
    }));
  }

  /** The documented path template a concrete path belongs to, as Express would pick it. */
  template(path: string): string {
    const found = this.templates.filter((t) => t.regex.test(path)).sort((a, b) => b.literal - a.literal)[0];
    assert.ok(found, `no documented path matches ${path}`);
    return found.path;
  }

  operation(method: string, template: string): JsonObject {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in the document`);
    return op;
  }

  /** A validator for a schema inside the document, by JSON pointer. */
  validator(at: string): ValidateFunction {
    let v = this.#validators.get(at);
    if (!v) {
      v = this.ajv.compile({ $ref: `${DOC_ID}#${at}` });
      this.#validators.set(at, v);
    }
    return v;
  }

  validate(at: string, value: unknown, label: string): void {
    const v = this.validator(at);
    if (!v(value)) {
      assert.fail(`${label} does not match ${at}: ${this.ajv.errorsText(v.errors, { separator: '\n  ' })}\n${JSON.stringify(value).slice(0, 1500)}`);
    }
  }

  /** The response object documented for a status (following a `$ref` to components.responses). */
  private response(op: JsonObject, status: number, label: string): JsonObject {
    const responses = op.responses as Record<string, JsonObject>;
    const r = responses[String(status)] ?? (status >= 500 ? responses.default : undefined);
    assert.ok(r, `${label}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`);
    const ref = r.$ref;
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/responses/', '');
      const shared = (this.doc.components as { responses: Record<string, JsonObject> }).responses[name];
      assert.ok(shared, `${label}: dangling ${ref}`);
      return shared;
    }
    return r;
  }

  /** A documented header, following a `$ref` to components.headers. */
  private header(value: JsonObject, label: string): JsonObject {
    const ref = value.$ref;
    if (typeof ref !== 'string') return value;
    const shared = (this.doc.components as { headers: Record<string, JsonObject> }).headers[ref.replace('#/components/headers/', '')];
    assert.ok(shared, `${label}: dangling ${ref}`);
    return shared;
  }

  /**
   * Required headers are there; each documented header that is there matches its schema (a
   * header is text: an `integer` schema is checked against the number it spells).
   */
  private checkHeaders(response: JsonObject, headers: Headers, label: string): void {
    for (const [name, value] of Object.entries((response.headers ?? {}) as Record<string, JsonObject>)) {
      const header = this.header(value, label);
      const sent = headers.get(name);
      if (sent === null) {
        assert.notEqual(header.required, true, `${label}: required header ${name} is missing`);
        continue;
      }
      const schema = header.schema as JsonObject | undefined;
      if (!schema) continue;
      const typed = schema.type === 'integer' && /^-?\d+$/.test(sent) ? Number(sent) : sent;
      assert.ok(this.compiled(schema)(typed), `${label}: header ${name}: ${JSON.stringify(sent)} does not match ${JSON.stringify(schema)}`);
    }
  }

  private checkPathParameters(method: string, template: string, path: string, label: string): void {
    const t = this.templates.find((x) => x.path === template)!;
    const values = t.regex.exec(path)?.slice(1) ?? [];
    const parameters = this.parameters(method, template);
    t.names.forEach((name, i) => {
      const schema = parameters.find((p) => p.in === 'path' && p.name === name)?.schema as JsonObject | undefined;
      assert.ok(schema, `${label}: path parameter ${name} is not documented`);
      const value = decodeURIComponent(values[i] ?? '');
      assert.ok(this.compiled(schema)(value), `${label}: path parameter ${name} = ${JSON.stringify(value)} does not match ${JSON.stringify(schema)}`);
    });
  }

  /** A validator for a plain schema given inline (a header's, a parameter's). */
  private compiled(schema: JsonObject): ValidateFunction {
    const key = JSON.stringify(schema);
    let v = this.#inlineValidators.get(key);
    if (!v) {
      v = this.ajv.compile(schema);
      this.#inlineValidators.set(key, v);
    }
    return v;
  }

  /** Checks a request body the test is about to send against the documented request schema. */
  checkRequest(method: string, path: string, media: string, body: unknown): void {
    const template = this.template(path);
    const op = this.operation(method, template);
    const content = (op.requestBody as { content?: Record<string, JsonObject> } | undefined)?.content;
    assert.ok(content?.[media], `${method} ${template}: ${media} bodies are not documented`);
    this.validate(`/${pointer('paths', template, method.toLowerCase(), 'requestBody', 'content', media, 'schema')}`, body, `request ${method} ${path}`);
  }

  /** Checks one answer; returns the template it was checked against. */
  check(method: string, path: string, answer: Answer, fullPath = path): string {
    const template = this.template(path);
    const op = this.operation(method, template);
    const label = `${method} ${path} → ${answer.status}`;
    const response = this.response(op, answer.status, label);
    const content = (response.content ?? {}) as Record<string, JsonObject>;
    const media = mediaBase(answer.headers.get('content-type'));
    if (answer.status === 304 || answer.status === 303) {
      assert.deepEqual(Object.keys(content), [], `${label}: a ${answer.status} has no body in the document`);
    } else {
      assert.ok(Object.hasOwn(content, media), `${label}: content type ${media} is not documented (${Object.keys(content).join(', ')})`);
      const schema = content[media]?.schema as JsonObject | undefined;
      if (schema) {
        assert.equal(typeof schema.$ref, 'string', `${label}: response schemas are named components`);
        this.validate(String(schema.$ref).slice(1), answer.body, label);
      }
    }
    this.checkHeaders(response, answer.headers, label);
    // A path that was served must be one the documented path parameters allow (their patterns and lists).
    if (answer.status < 400) this.checkPathParameters(method, template, path, label);
    const key = `${method.toUpperCase()} ${template}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(answer.status);
    if (answer.status < 400 && !this.examples.has(key)) this.examples.set(key, fullPath);
    return template;
  }

  /** An operation's parameters, `$ref`s to components.parameters followed. */
  parameters(method: string, template: string): JsonObject[] {
    const parameters = (this.operation(method, template).parameters ?? []) as JsonObject[];
    const shared = (this.doc.components as { parameters?: Record<string, JsonObject> }).parameters ?? {};
    return parameters.map((p) => {
      if (typeof p.$ref !== 'string') return p;
      const found = shared[p.$ref.replace('#/components/parameters/', '')];
      assert.ok(found, `${method} ${template}: dangling ${p.$ref}`);
      return found;
    });
  }

  /**
   * A concrete path for a template: each path parameter's documented example (the value a
   * patterned asset route serves), else `fallback`.
   */
  fill(method: string, template: string, fallback: string, given: Readonly<Record<string, string>> = {}): string {
    const parameters = this.parameters(method, template);
    return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      if (given[name] !== undefined) return given[name];
      const example = parameters.find((p) => p.in === 'path' && p.name === name)?.example;
      return typeof example === 'string' ? example : fallback;
    });
  }

  /** Every documented `METHOD template`. */
  operations(): string[] {
    return Object.entries(this.doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
  }
}
