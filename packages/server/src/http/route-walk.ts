/**
 * The routes an Express app serves, read from its router stack: what the OpenAPI document must
 * describe, and what test/openapi.test.ts holds it to. Express 5 (router 2) keeps a mount path
 * (`rawPath`) and its matchers on every layer; a mounted router's layers are its `stack`; a
 * mounted sub-app is opaque (Express wraps it in a function), so sub-apps are mounted through
 * `useApp`, which remembers which layer holds which app.
 */
import type { Express } from 'express';

export interface ServedRoute {
  /** Upper case: GET, POST, DELETE. (HEAD is served wherever GET is, by Express.) */
  method: string;
  /** The route as Express has it, prefixes joined, for messages: `/v1/payment_intents/:id`, or a regular expression. */
  express: string;
  /** As an OpenAPI path template (`/v1/payment_intents/{id}`), or null for a route matched by a regular expression. */
  openApiPath: string | null;
  /** Whether the route ends in an `.all()` handler: other methods are answered there (405), not passed on. */
  answersOtherMethods: boolean;
  /** Whether a request for this concrete path reaches this route (Express's own matchers). */
  matches(path: string): boolean;
}

type Matcher = (path: string) => false | { path: string };
interface LayerLike {
  handle: unknown;
  rawPath?: unknown;
  matchers?: Matcher[];
  route?: RouteLike;
}
interface RouteLike {
  path: unknown;
  methods: Record<string, boolean | undefined>;
  stack: Array<{ method?: string }>;
}

const mounted = new WeakMap<object, Express>();

/** `parent.use(path, sub)`, remembering the sub-app so that `servedRoutes` can walk into it. */
export function useApp(parent: Express, sub: Express, path = '/'): void {
  parent.use(path, sub);
  const stack = (parent.router as unknown as { stack: LayerLike[] }).stack;
  const layer = stack[stack.length - 1];
  if (!layer || typeof layer.handle !== 'function') throw new Error('useApp: the mounted layer is not where Express puts it');
  mounted.set(layer.handle, sub);
}

/** `:id` → `{id}`; null where the path is a regular expression (or a list of paths). */
function openApiTemplate(path: unknown): string | null {
  if (typeof path !== 'string') return null;
  return path.replace(/:([A-Za-z_$][\w$]*)/g, '{$1}');
}

const describe = (path: unknown): string => (path instanceof RegExp ? path.toString() : String(path));

/** A mount prefix: '/' adds nothing. */
const prefixOf = (raw: unknown): string => (raw === '/' || raw === undefined ? '' : String(raw));

function matcherOf(layer: LayerLike, where: string): Matcher {
  const matcher = layer.matchers?.[0];
  if (layer.matchers?.length !== 1 || typeof matcher !== 'function') {
    throw new Error(`route walk: layer at ${where} has no single matcher (router internals changed?)`);
  }
  return matcher;
}

interface Prefix {
  text: string;
  /** Strips what this prefix matches from a path, or null if it does not match. */
  strip: (path: string) => string | null;
}

function walk(stack: LayerLike[], prefixes: Prefix[], out: ServedRoute[]): void {
  for (const layer of stack) {
    const here = prefixes.map((p) => p.text).join('');
    if (layer.route) {
      const route = layer.route;
      const matcher = matcherOf(layer, here + describe(route.path));
      const last = route.stack[route.stack.length - 1];
      const template = openApiTemplate(route.path);
      const matches = (path: string): boolean => {
        let rest: string | null = path;
        for (const p of prefixes) {
          rest = p.strip(rest);
          if (rest === null) return false;
        }
        return matcher(rest === '' ? '/' : rest) !== false;
      };
      for (const [method, on] of Object.entries(route.methods)) {
        if (method === '_all' || !on) continue;
        out.push({
          method: method.toUpperCase(),
          express: here + describe(route.path),
          openApiPath: template === null || prefixes.some((p) => p.text.includes(':')) ? null : here + template,
          answersOtherMethods: last !== undefined && last.method === undefined,
          matches,
        });
      }
      continue;
    }
    const sub = typeof layer.handle === 'function' || typeof layer.handle === 'object' ? (layer.handle as object) : null;
    const inner = sub === null ? undefined : (mounted.get(sub)?.router ?? sub) as unknown as { stack?: unknown };
    if (!inner || !Array.isArray(inner.stack)) continue; // plain middleware
    const text = prefixOf(layer.rawPath);
    const prefix: Prefix =
      text === ''
        ? { text, strip: (p) => p }
        : {
            text,
            strip: (p) => {
              const m = matcherOf(layer, here + text)(p);
              return m === false ? null : p.slice(m.path.length);
            },
          };
    walk(inner.stack as LayerLike[], [...prefixes, prefix], out);
  }
}

/** Every method and path the app answers with a route of its own, in the order Express tries them. */
export function servedRoutes(app: Express): ServedRoute[] {
  const out: ServedRoute[] = [];
  walk((app.router as unknown as { stack: LayerLike[] }).stack, [], out);
  return out;
}
