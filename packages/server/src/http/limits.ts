/**
 * Rate limits and card-testing defence (rate-limiter-flexible, in memory: one process per
 * SQLite database; several processes on PostgreSQL will share them through its store). Checked
 * before idempotency, so a refused request stores nothing. A refusal is a 429
 * `rate_limit_error` with `Retry-After`, and is logged.
 *
 * - per secret or restricted key on /v1;
 * - per IP for failed authentications on /v1 and /operator (someone guessing keys);
 * - per IP on /client;
 * - card tokenization per IP and per payment intent (client secret): card testers try many
 *   cards against one checkout;
 * - per IP on the shopper's pages around a provider (/actions, /providers/:type/return): each
 *   status poll may ask the provider, so a flood must not become one at the provider;
 * - per IP on the providers' notifications (/providers/:type/webhooks): each is verified, which
 *   costs an RSA check (Alipay) or a call to the provider (PayPal's verify-webhook-signature).
 *
 * Declines per intent are capped in the domain (`payment-intents.ts`), from the attempts it
 * records: that count survives restarts.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Request, RequestHandler } from 'express';
import { FailureKind, KassaError } from '../domain/errors.js';

export interface Window {
  points: number;
  seconds: number;
}

export interface RateLimits {
  perKey: Window;
  authFailuresPerIp: Window;
  clientPerIp: Window;
  tokensPerIp: Window;
  tokensPerIntent: Window;
  pagesPerIp: Window;
  notificationsPerIp: Window;
}

/**
 * Defaults: a busy merchant backend (Stripe allows 100 requests per second in live mode), a
 * widget that makes a handful of calls per checkout, and tokenization well above any shopper
 * retyping a card and well below a card tester's pace.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  perKey: { points: 100, seconds: 1 },
  authFailuresPerIp: { points: 30, seconds: 60 },
  clientPerIp: { points: 50, seconds: 1 },
  tokensPerIp: { points: 30, seconds: 600 },
  tokensPerIntent: { points: 10, seconds: 3600 },
  // A page polls every 2 s and a shopper may have a few open: far above that, far below a flood.
  pagesPerIp: { points: 60, seconds: 10 },
  // Providers deliver from a few addresses, in bursts after an outage of ours.
  notificationsPerIp: { points: 100, seconds: 1 },
};

export interface LimitLogger {
  warn(obj: object, msg: string): void;
}

const limited = (retryAfterMs: number, what: string) =>
  new KassaError(FailureKind.RateLimited, 'rate_limit', `Too many requests (${what}). Retry after ${Math.ceil(retryAfterMs / 1000)} s.`, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });

export class Limits {
  readonly #perKey: RateLimiterMemory;
  readonly #authFailures: RateLimiterMemory;
  readonly #clientPerIp: RateLimiterMemory;
  readonly #tokensPerIp: RateLimiterMemory;
  readonly #tokensPerIntent: RateLimiterMemory;
  readonly #pagesPerIp: RateLimiterMemory;
  readonly #notificationsPerIp: RateLimiterMemory;

  constructor(
    limits: RateLimits,
    private readonly logger: LimitLogger,
  ) {
    const make = (w: Window, keyPrefix: string) => new RateLimiterMemory({ points: w.points, duration: w.seconds, keyPrefix });
    this.#perKey = make(limits.perKey, 'key');
    this.#authFailures = make(limits.authFailuresPerIp, 'auth');
    this.#clientPerIp = make(limits.clientPerIp, 'client');
    this.#tokensPerIp = make(limits.tokensPerIp, 'tokip');
    this.#tokensPerIntent = make(limits.tokensPerIntent, 'tokpi');
    this.#pagesPerIp = make(limits.pagesPerIp, 'pages');
    this.#notificationsPerIp = make(limits.notificationsPerIp, 'notify');
  }

  /** Before authentication: an IP that failed too often is refused until its window ends. */
  readonly authGuard: RequestHandler = async (req, _res, next) => {
    const seen = await this.#authFailures.get(ipOf(req));
    if (seen && seen.remainingPoints <= 0) {
      this.logger.warn({ ip: ipOf(req), path: req.path }, 'rate limited: too many failed authentications');
      throw limited(seen.msBeforeNext, 'failed authentications from this address');
    }
    next();
  };

  /** Wraps an authentication step: each 401 it answers counts against the caller's IP. */
  countingFailures(auth: RequestHandler): RequestHandler {
    return async (req, res, next) => {
      try {
        await auth(req, res, next);
      } catch (error) {
        if (error instanceof KassaError && error.kind === FailureKind.Unauthorized) {
          await this.#authFailures.consume(ipOf(req)).catch(() => undefined);
        }
        throw error;
      }
    };
  }

  /** After authentication on /v1: the key's budget. */
  readonly perKey: RequestHandler = async (_req, res, next) => {
    const caller = res.locals.caller as { keyId: string } | undefined;
    if (caller) await this.#take(this.#perKey, caller.keyId, 'for this API key', { key: caller.keyId });
    next();
  };

  readonly clientPerIp: RequestHandler = async (req, _res, next) => {
    await this.#take(this.#clientPerIp, ipOf(req), 'from this address', { ip: ipOf(req) });
    next();
  };

  readonly pagesPerIp: RequestHandler = async (req, _res, next) => {
    await this.#take(this.#pagesPerIp, ipOf(req), "for the payment's pages from this address", { ip: ipOf(req), path: req.path });
    next();
  };

  readonly notificationsPerIp: RequestHandler = async (req, _res, next) => {
    await this.#take(this.#notificationsPerIp, ipOf(req), 'of provider notifications from this address', { ip: ipOf(req), path: req.path });
    next();
  };

  /** One card tokenization, for this IP and this payment intent (the client secret's). */
  async tokenization(req: Request, intentId: string): Promise<void> {
    await this.#take(this.#tokensPerIp, ipOf(req), 'card tokenizations from this address', { ip: ipOf(req), card_testing: true });
    await this.#take(this.#tokensPerIntent, intentId, 'card tokenizations for this payment', { paymentIntent: intentId, card_testing: true });
  }

  async #take(limiter: RateLimiterMemory, key: string, what: string, log: object): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      this.logger.warn({ ...log, retryAfterMs: refused.msBeforeNext }, `rate limited: too many requests ${what}`);
      throw limited(refused.msBeforeNext, what);
    }
  }
}

/** The client's address as Express sees it (behind a proxy, set `trustProxy` so it is the real one). */
function ipOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
