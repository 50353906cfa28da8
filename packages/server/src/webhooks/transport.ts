/**
 * One POST of one delivery, over node:http(s). What it answers is all the worker needs: the
 * status code, or why there was none. Redirects are not followed (a 3xx is a failed attempt:
 * following one would let a target bounce Kassa past the target policy), no proxy from the
 * environment is used, and the whole attempt is bounded by a timeout. The receiver's body is
 * read and dropped, never stored.
 *
 * Connections are kept alive between attempts (`DeliveryAgents`): a new TCP (and TLS)
 * connection per event cost more than the rest of a delivery. Live endpoints get agents of
 * their own, so a live attempt never rides a connection opened without the policy's guarded
 * lookup; a kept connection was vetted when it was opened and goes to the same address. A
 * kept connection the receiver closed meanwhile fails before any answer: that attempt is made
 * once more on a new connection (Node's documented `reusedSocket` pattern), so an idle
 * timeout on the receiver's side is not recorded as a failed attempt.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { TargetRefused } from './target-policy.js';

export type TransportResult =
  | { kind: 'answered'; status: number }
  | { kind: 'failed'; error: string; refused: boolean }
  /** Stopped by shutdown: not an attempt; the delivery is given back. */
  | { kind: 'aborted' };

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Set for live endpoints: the policy's lookup. */
  lookup?: LookupFunction | undefined;
  /** The connection pool to use (`DeliveryAgents.for`); none: a connection of its own. */
  agent?: http.Agent | undefined;
}

/** Keep-alive connection pools of one worker: per scheme, and apart for live endpoints. */
export class DeliveryAgents {
  readonly #agents = new Map<string, http.Agent>();
  readonly #maxSockets: number;

  constructor(maxSockets: number) {
    this.#maxSockets = maxSockets;
  }

  for(url: URL, live: boolean): http.Agent {
    const key = `${url.protocol}${live ? 'live' : 'test'}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      // Idle connections close after 4 s: before Node's own servers (5 s) and most proxies close them.
      const options = { keepAlive: true, maxSockets: this.#maxSockets, maxFreeSockets: this.#maxSockets, timeout: 4000 };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every kept connection (the worker stopping). */
  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

export type Transport = (request: PostRequest) => Promise<TransportResult>;

export const USER_AGENT = 'Kassa-Webhooks/0.1';

/** A short, value-free description of a network error for the attempt log. */
function describe(error: unknown): string {
  if (error instanceof TargetRefused) return `refused by the target policy: ${error.message}`;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'KASSA_TIMEOUT') return 'timed out';
  if (typeof e?.code === 'string') return `${e.code}${e.syscall ? ` (${e.syscall})` : ''}`;
  return e instanceof Error ? e.message.slice(0, 200) : 'request failed';
}

export const httpTransport: Transport = async (request) => {
  const first = await post(request);
  if (first.kind === 'stale' && request.agent) return httpTransport({ ...request, agent: undefined });
  return first.kind === 'stale' ? { kind: 'failed', error: first.error, refused: false } : first;
};

/** `stale`: a kept-alive connection failed before any answer (closed by the receiver meanwhile). */
function post(request: PostRequest): Promise<TransportResult | { kind: 'stale'; error: string }> {
  return new Promise((resolve) => {
    if (request.signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let settled = false;
    const settle = (result: TransportResult | { kind: 'stale'; error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const url = new URL(request.url);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(
      url,
      {
        method: 'POST',
        agent: request.agent ?? false,
        headers: {
          ...request.headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(request.body)),
          'user-agent': USER_AGENT,
        },
        ...(request.lookup ? { lookup: request.lookup } : {}),
      },
      (res) => {
        res.resume();
        settle({ kind: 'answered', status: res.statusCode ?? 0 });
        res.on('error', () => undefined);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error('timed out'), { code: 'KASSA_TIMEOUT' }));
    }, request.timeoutMs);
    const onAbort = () => {
      settle({ kind: 'aborted' });
      req.destroy();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) settle({ kind: 'stale', error: describe(error) });
      else settle({ kind: 'failed', error: describe(error), refused: error instanceof TargetRefused });
    });
    req.end(request.body);
  });
}
