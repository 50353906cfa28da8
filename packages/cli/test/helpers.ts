/**
 * Runs the BUILT `kassa` (dist/bin.js) the way a user does: a child process of plain `node`, no
 * TypeScript loader, no NODE_OPTIONS, an environment with nothing of the test runner's. Long
 * runners (serve, listen) are read line by line as they print.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (pnpm --filter @kassa/cli test builds it)`);
}

/** Only what a shell would have, plus what the test names: no KASSA_* of the outside, no NODE_OPTIONS. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn' };
  return { ...env, ...extra };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function kassa(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? cleanEnv(), cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kassa ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A kassa process that keeps running (serve, listen): its output as lines, and a way to stop it. */
export class Running {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  #partial = '';
  #waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? cleanEnv(), cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => {
      const text = this.#partial + c.toString('utf8');
      const parts = text.split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The lines printed as JSON, parsed (the others skipped). */
  json(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.lines) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null) out.push(value as Record<string, unknown>);
      } catch {
        // a human line
      }
    }
    return out;
  }

  /** Waits until `found` returns something for the output so far. */
  async waitFor<T>(found: (self: Running) => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found(this);
      if (value !== undefined) return value;
      if (this.child.exitCode !== null) throw new Error(`kassa exited (${this.child.exitCode}) before ${what}\n${this.lines.join('\n')}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\n${this.lines.join('\n')}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends the signal and waits for the exit (SIGKILL after 15 s, which fails the caller's assertions). */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's webhook handler: keeps each request's raw body and headers and answers `status`. */
export class Receiver {
  readonly requests: Received[] = [];
  #waiters: Array<() => void> = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(status: (r: Received) => number = () => 200): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        if (receiver) {
          receiver.requests.push(r);
          for (const w of receiver.#waiters.splice(0)) w();
        }
        res.statusCode = status(r);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`);
    return receiver;
  }

  async waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver: ${this.requests.length} of ${count} requests`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Headers as the verifiers take them. */
export function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Answers read loosely on purpose (`any`): a wrong shape fails the assertion that reads it. */
export function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON:\n${text}`);
  }
}
