/**
 * The API reference as one static HTML page, rendered by the server from the OpenAPI document:
 * no script, no renderer library, nothing from another origin. Its only stylesheet is inline and
 * allowed by its hash in the page's CSP (`style-src 'sha256-…'`), so the CSP stays as strict as
 * the other pages' (`default-src 'none'`).
 */
import { createHash } from 'node:crypto';
import type { Json, JsonObject, OpenApiDocument } from './document.js';

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#59636e;--line:#d8dee4;--bg:#fff;--code:#f3f5f7;--accent:#0b57d0;--get:#1a7f37;--post:#9a6700;--delete:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--bg:#0d1117;--code:#161b22;--accent:#4493f8}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI","PingFang SC",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);padding:.1em .3em;border-radius:4px;overflow-wrap:anywhere}
.layout{display:grid;grid-template-columns:17rem minmax(0,1fr);max-width:82rem;margin:0 auto}
nav{position:sticky;top:0;height:100vh;overflow:auto;padding:1.25rem 1rem;border-right:1px solid var(--line);font-size:13px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:1.1rem 0 .3rem}
nav ul{list-style:none;margin:0;padding:0}
nav li a{display:block;padding:.1rem 0;text-decoration:none;color:var(--fg)}
main{padding:1.5rem 2.5rem 4rem;min-width:0}
h1{margin:.2rem 0 .3rem;font-size:28px}
h2.tag{margin-top:2.8rem;padding-top:1rem;border-top:2px solid var(--line)}
section.op,section.schema{margin:1.6rem 0 2.2rem}
h3{font-size:17px;margin:0 0 .3rem;display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.m{font:600 12px ui-monospace,monospace;text-transform:uppercase;padding:.1rem .45rem;border-radius:4px;color:#fff;background:var(--muted)}
.m.get{background:var(--get)}.m.post{background:var(--post)}.m.delete{background:var(--delete)}
.muted{color:var(--muted)}
h4{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:1.1rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600}
td.n{white-space:nowrap}
td.n code{background:none;padding:0;font-weight:600}
.req{color:var(--delete);font-size:12px;margin-left:.3rem}
.c{color:var(--muted);font-size:13px}
@media (max-width:60rem){.layout{grid-template-columns:1fr}nav{position:static;height:auto;border-right:0;border-bottom:1px solid var(--line)}main{padding:1rem}}
`;

/** The CSP source that allows exactly the page's stylesheet. */
export const REFERENCE_STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The little Markdown the document's descriptions use: `code`, **bold**, and "- " lists. */
function prose(text: string | undefined): string {
  if (!text) return '';
  const inline = (s: string) =>
    escape(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  const out: string[] = [];
  let list: string[] = [];
  const flush = () => {
    if (list.length > 0) out.push(`<ul>${list.map((i) => `<li>${i}</li>`).join('')}</ul>`);
    list = [];
  };
  for (const para of text.split(/\n+/)) {
    if (para.startsWith('- ')) list.push(inline(para.slice(2)));
    else {
      flush();
      out.push(`<p>${inline(para)}</p>`);
    }
  }
  flush();
  return out.join('\n');
}

const inlineProse = (text: string | undefined): string => prose(text).replace(/^<p>|<\/p>$/g, '');
const asObject = (value: Json | undefined): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
const refName = (schema: JsonObject): string | null =>
  typeof schema.$ref === 'string' ? schema.$ref.replace(/^#\/components\/(schemas|parameters|responses|headers)\//, '') : null;
const literal = (value: Json | undefined): string => `<code>${escape(JSON.stringify(value))}</code>`;

/** A short type label: `string`, `one of …`, a link to a named schema, `array of …`. */
function typeLabel(schema: JsonObject): string {
  const name = refName(schema);
  if (name) return `<a href="#schema-${escape(name)}">${escape(name)}</a>`;
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => literal(v)).join(', ')}`;
  const branches = (schema.anyOf ?? schema.oneOf) as JsonObject[] | undefined;
  if (Array.isArray(branches)) return branches.map((b) => typeLabel(b)).join(' or ');
  if (Array.isArray(schema.type)) return schema.type.map((t) => escape(String(t))).join(' or ');
  if (schema.type === 'array') {
    const items = asObject(schema.items);
    return `array of ${items ? typeLabel(items) : 'anything'}`;
  }
  if (schema.type === 'object' && !schema.properties) {
    const values = asObject(schema.additionalProperties);
    return values ? `map of string to ${typeLabel(values)}` : 'object';
  }
  return escape(String(schema.type ?? 'any'));
}

const CONSTRAINTS: ReadonlyArray<[string, string]> = [
  ['minLength', 'at least {} characters'],
  ['maxLength', 'at most {} characters'],
  ['minimum', '≥ {}'],
  ['exclusiveMinimum', '> {}'],
  ['maximum', '≤ {}'],
  ['minItems', 'at least {} items'],
  ['maxItems', 'at most {} items'],
  ['maxProperties', 'at most {} keys'],
  ['format', 'format {}'],
];

function constraints(schema: JsonObject): string {
  const parts: string[] = [];
  for (const [key, text] of CONSTRAINTS) {
    const value = schema[key];
    // zod bounds every integer by the safe-integer range: true, and noise on a page.
    if (value === undefined || value === Number.MAX_SAFE_INTEGER || value === Number.MIN_SAFE_INTEGER) continue;
    parts.push(escape(text.replace('{}', String(value))));
  }
  if (typeof schema.pattern === 'string' && schema.format === undefined) parts.push(`pattern <code>${escape(schema.pattern)}</code>`);
  const keys = asObject(schema.propertyNames);
  if (keys?.maxLength !== undefined) parts.push(escape(`keys at most ${String(keys.maxLength)} characters`));
  if (schema.default !== undefined) parts.push(`default ${literal(schema.default)}`);
  return parts.length > 0 ? `<div class="c">${parts.join(' · ')}</div>` : '';
}

/** The object (if any) whose fields a row should list under it: the schema, an array's items, a union's object branch. */
function nestedObject(schema: JsonObject): JsonObject | undefined {
  if (refName(schema)) return undefined; // named schemas have their own section
  if (schema.type === 'object' && schema.properties) return schema;
  if (schema.type === 'array') {
    const items = asObject(schema.items);
    return items ? nestedObject(items) : undefined;
  }
  const branches = (schema.anyOf ?? schema.oneOf) as JsonObject[] | undefined;
  if (Array.isArray(branches)) {
    for (const b of branches) {
      const found = nestedObject(b);
      if (found) return found;
    }
  }
  return undefined;
}

function fieldRows(schema: JsonObject, prefix = '', depth = 0): string {
  const properties = asObject(schema.properties) ?? {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const rows: string[] = [];
  for (const [name, value] of Object.entries(properties)) {
    const property = asObject(value) ?? {};
    const full = `${prefix}${name}`;
    rows.push(
      `<tr><td class="n"><code>${escape(full)}</code>${required.has(name) ? '<span class="req">required</span>' : ''}</td>` +
        `<td>${typeLabel(property)}${constraints(property)}</td><td>${inlineProse(typeof property.description === 'string' ? property.description : undefined)}</td></tr>`,
    );
    const nested = depth < 4 ? nestedObject(property) : undefined;
    if (nested) rows.push(fieldRows(nested, `${full}${property.type === 'array' ? '[]' : ''}.`, depth + 1));
  }
  return rows.join('\n');
}

function fieldTable(schema: JsonObject): string {
  const rows = fieldRows(schema);
  if (rows === '') return `<p class="muted">${typeLabel(schema)}</p>`;
  return `<table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

type Resolver = (value: JsonObject) => JsonObject;

function parametersTable(parameters: JsonObject[]): string {
  const rows = parameters.map((p) => {
    const schema = asObject(p.schema) ?? {};
    return (
      `<tr><td class="n"><code>${escape(String(p.name))}</code>${p.required === true ? '<span class="req">required</span>' : ''}</td>` +
      `<td>${escape(String(p.in))}</td><td>${typeLabel(schema)}${constraints(schema)}</td><td>${inlineProse(typeof p.description === 'string' ? p.description : undefined)}</td></tr>`
    );
  });
  return `<table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function responsesTable(responses: JsonObject, resolve: Resolver): string {
  const rows = Object.entries(responses).map(([status, value]) => {
    const response = resolve(asObject(value) ?? {});
    const content = asObject(response.content) ?? {};
    const bodies = Object.entries(content).map(([media, m]) => {
      const schema = asObject(asObject(m)?.schema);
      return schema ? typeLabel(schema) : `<code>${escape(media)}</code>`;
    });
    const headers = Object.keys(asObject(response.headers) ?? {}).filter((h) => h !== 'Request-Id');
    return (
      `<tr><td class="n"><code>${escape(status)}</code></td><td>${bodies.join(', ')}</td>` +
      `<td>${inlineProse(String(response.description ?? ''))}${headers.length > 0 ? `<div class="c">headers: ${headers.map((h) => `<code>${escape(h)}</code>`).join(', ')}</div>` : ''}</td></tr>`
    );
  });
  return `<table><thead><tr><th>status</th><th>body</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const SECURITY_TEXT: Readonly<Record<string, string>> = {
  secretKey: 'secret key (<code>Authorization: Bearer sk_test_…</code>, or Basic with the key as user name)',
  clientSecret: 'client secret (<code>Authorization: Bearer &lt;client_secret&gt;</code>)',
  operatorKey: 'operator key (<code>Authorization: Bearer op_…</code>)',
};

function operationSection(method: string, path: string, op: JsonObject, resolve: Resolver): string {
  const id = escape(String(op.operationId));
  const security = (Array.isArray(op.security) ? op.security : []).map((s) => Object.keys(asObject(s) ?? {})[0] ?? '');
  const auth = security.length === 0 ? 'none' : (SECURITY_TEXT[security[0] ?? ''] ?? escape(security.join(', ')));
  const parameters = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => resolve(asObject(p) ?? {}));
  const body = asObject(op.requestBody);
  const bodyContent = asObject(body?.content) ?? {};
  const firstMedia = Object.values(bodyContent).map((m) => asObject(asObject(m)?.schema))[0];
  const parts = [
    `<section class="op" id="${id}">`,
    `<h3><span class="m ${escape(method)}">${escape(method)}</span><code>${escape(path)}</code></h3>`,
    `<p><strong>${escape(String(op.summary ?? ''))}</strong></p>`,
    prose(typeof op.description === 'string' ? op.description : undefined),
    `<p class="c">Authentication: ${auth}</p>`,
  ];
  if (parameters.length > 0) parts.push('<h4>Parameters</h4>', parametersTable(parameters));
  if (body && firstMedia) {
    const name = refName(firstMedia);
    const schema = name ? resolve(firstMedia) : firstMedia;
    parts.push(
      `<h4>Body${body.required === true ? '' : ' (optional)'}</h4>`,
      `<p class="c">${Object.keys(bodyContent).map((m) => `<code>${escape(m)}</code>`).join(' or ')}${name ? ` · ${typeLabel(firstMedia)}` : ''}</p>`,
      fieldTable(schema),
    );
  }
  parts.push('<h4>Responses</h4>', responsesTable(asObject(op.responses) ?? {}, resolve), '</section>');
  return parts.join('\n');
}

/** The whole page. */
export function referencePage(doc: OpenApiDocument): string {
  const schemas = doc.components.schemas;
  const components = doc.components as JsonObject;
  const resolve: Resolver = (value) => {
    const ref = typeof value.$ref === 'string' ? /^#\/components\/(\w+)\/(.+)$/.exec(value.$ref) : null;
    if (!ref) return value;
    return asObject(asObject(components[ref[1] ?? ''])?.[ref[2] ?? '']) ?? value;
  };
  const tags = (Array.isArray(doc.tags) ? doc.tags : []).map((t) => asObject(t) ?? {});
  const byTag = new Map<string, Array<[string, string, JsonObject]>>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = String((Array.isArray(op.tags) ? op.tags[0] : undefined) ?? '');
      byTag.set(tag, [...(byTag.get(tag) ?? []), [method, path, op]]);
    }
  }
  const info = doc.info;
  const server = asObject((Array.isArray(doc.servers) ? doc.servers : [])[0])?.url;
  const nav = tags
    .map((t) => {
      const ops = byTag.get(String(t.name)) ?? [];
      return `<h2><a href="#tag-${escape(String(t.name))}">${escape(String(t.name))}</a></h2><ul>${ops
        .map(([m, p, op]) => `<li><a href="#${escape(String(op.operationId))}"><span class="muted">${escape(m.toUpperCase())}</span> ${escape(p)}</a></li>`)
        .join('')}</ul>`;
    })
    .join('\n');
  const body = tags
    .map((t) => {
      const ops = byTag.get(String(t.name)) ?? [];
      return [
        `<h2 class="tag" id="tag-${escape(String(t.name))}">${escape(String(t.name))}</h2>`,
        prose(typeof t.description === 'string' ? t.description : undefined),
        ...ops.map(([m, p, op]) => operationSection(m, p, op, resolve)),
      ].join('\n');
    })
    .join('\n');
  const objects = Object.entries(schemas)
    .map(
      ([name, schema]) =>
        `<section class="schema" id="schema-${escape(name)}"><h3><code>${escape(name)}</code></h3>${prose(typeof schema.description === 'string' ? schema.description : undefined)}${fieldTable(schema)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(String(info.title))} reference</title>
<style>${CSS}</style>
</head>
<body>
<div class="layout">
<nav aria-label="Operations">
<p><strong>${escape(String(info.title))}</strong> <span class="muted">${escape(String(info.version))}</span></p>
<p><a href="/openapi.json">openapi.json</a> · <a href="#schemas">Objects</a></p>
${nav}
<h2><a href="#schemas">Objects</a></h2>
<ul>${Object.keys(schemas)
    .map((n) => `<li><a href="#schema-${escape(n)}">${escape(n)}</a></li>`)
    .join('')}</ul>
</nav>
<main>
<h1>${escape(String(info.title))}</h1>
<p class="muted">Version ${escape(String(info.version))}${typeof server === 'string' ? ` · <code>${escape(server)}</code>` : ''} · OpenAPI ${escape(doc.openapi)}: <a href="/openapi.json">/openapi.json</a></p>
${prose(typeof info.description === 'string' ? info.description : undefined)}
${body}
<h2 class="tag" id="schemas">Objects</h2>
${objects}
</main>
</div>
</body>
</html>
`;
}
