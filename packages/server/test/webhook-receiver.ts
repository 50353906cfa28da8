/**
 * A merchant's webhook receiver for the tests: a real HTTP server on port 0 that keeps every
 * request (raw body bytes as text, headers) and answers what the test says — a status, or a
 * promise it holds the request open on.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (what signatures cover). */
  body: string;
  path: string;
  /** The event, parsed. */
  event: { id: string; type: string; created: number; data: { object: { id: string; payment_intent?: string } } };
}

export type Responder = (request: Received, index: number) => number | Promise<number>;

export class Receiver {
  readonly requests: Received[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    public respond: Responder,
  ) {}

  static async start(respond: Responder = () => 200, port = 0): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r = receiver;
        if (!r) return;
        const received: Received = { headers: req.headers, body, path: req.url ?? '/', event: JSON.parse(body) as Received['event'] };
        const index = r.requests.push(received) - 1;
        r.#notify();
        Promise.resolve(r.respond(received, index)).then(
          (status) => {
            res.statusCode = status;
            res.end('ok');
          },
          () => res.destroy(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const { port: bound } = server.address() as AddressInfo;
    receiver = new Receiver(server, `http://127.0.0.1:${bound}/hooks`, respond);
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `count` requests have arrived in all (rejects after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.requests.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver: ${this.requests.length} of ${count} requests after ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  #notify(): void {
    const ready = this.#waiters.filter((w) => this.requests.length >= w.count);
    this.#waiters = this.#waiters.filter((w) => this.requests.length < w.count);
    for (const w of ready) w.resolve();
  }

  /** Headers as the verifiers take them: a plain record of strings. */
  static headersOf(r: Received): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') out[k] = v;
    return out;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
