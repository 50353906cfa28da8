/**
 * One POST of one delivery, over node:http(s). What it answers is all the worker needs: the
 * status code, or why there was none. Redirects are not followed (a 3xx is a failed attempt:
 * following one would let a target bounce Kassa past the target policy), no proxy from the
 * environment is used, every attempt has its own connection (so the guarded lookup runs for
 * each), and the whole attempt is bounded by a timeout. The receiver's body is read and
 * dropped, never stored.
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

export const httpTransport: Transport = (request) =>
  new Promise<TransportResult>((resolve) => {
    if (request.signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let settled = false;
    const settle = (result: TransportResult) => {
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
        agent: false,
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
    req.on('error', (error) => settle({ kind: 'failed', error: describe(error), refused: error instanceof TargetRefused }));
    req.end(request.body);
  });
