/**
 * The HTTP server each provider fake runs on: real HTTP on a port of its own (port 0 by
 * default), and a close that does not wait for kept-alive connections (an adapter's agent may
 * hold one open), so a test ends when it is done.
 */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { Socket } from 'node:net';

export class LocalServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  constructor(handler: RequestListener) {
    this.#server = createServer(handler);
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  /** Listens on `port` (0: any free one) at `host`; resolves to the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('the fake has no port');
    this.#port = address.port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
