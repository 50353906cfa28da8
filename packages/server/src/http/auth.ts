/**
 * Who is calling. The merchant API takes a secret key (Bearer, or Basic with the key as
 * user name, as Stripe accepts); the widget API takes a client secret, a short-lived HS256
 * JWT naming one payment intent.
 */
import { KeyObject, createSecretKey } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { FailureKind, KassaError } from '../domain/errors.js';
import type { Merchants } from '../domain/merchants.js';
import { KEY_RESOURCES } from '../domain/model.js';
import type { KeyResource } from '../domain/model.js';
import type { Clock } from '../domain/ports.js';
import { randomBase62 } from '../domain/ids.js';

export const CLIENT_AUDIENCE = 'kassa:client';
/** Minutes, not hours: a client secret only has to outlive one checkout page. */
export const CLIENT_SECRET_TTL_SECONDS = 15 * 60;
/**
 * How far ahead of our clock a client secret's `iat` may lie (clocks of several Kassa processes
 * drift a little). Anything later is refused: a future `iat` would stretch the lifetime past
 * the TTL, because `maxAge` is counted from `iat`.
 */
export const CLIENT_SECRET_CLOCK_SKEW_SECONDS = 30;

function credentials(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':', 1)[0] ?? null;
  }
  return null;
}

const invalidKey = () =>
  new KassaError(FailureKind.Unauthorized, 'api_key_invalid', 'Invalid API key. Use your secret key: Authorization: Bearer sk_test_…');

/** The first path segment of a /v1 route names the resource a restricted key must be allowed. */
function resourceOf(path: string): KeyResource | null {
  const [first, , third] = path.split('/').filter(Boolean);
  if (first === 'customers' && third === 'payment_methods') return 'payment_methods';
  if (first === 'balance_transactions') return 'balance';
  return (KEY_RESOURCES as readonly string[]).includes(first ?? '') ? (first as KeyResource) : null;
}

/**
 * The merchant API's caller: a secret key, or a restricted key allowed this resource (reads
 * for GET, writes for anything else). A publishable key is for the browser and never reaches
 * here; an operator key never works on /v1, nor a merchant key on /operator.
 */
export function merchantAuth(merchants: Merchants): RequestHandler {
  return async (req, res, next) => {
    const key = credentials(req);
    const caller = key ? await merchants.caller(key) : null;
    if (!caller) throw invalidKey();
    if (caller.kind === 'publishable') {
      throw new KassaError(FailureKind.Forbidden, 'permission_denied', 'A publishable key cannot call the merchant API; use a secret key on your server.');
    }
    if (caller.kind === 'restricted') {
      const resource = resourceOf(req.path);
      const needed = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
      const granted = resource ? caller.permissions?.[resource] : undefined;
      if (!granted || (needed === 'write' && granted !== 'write')) {
        throw new KassaError(
          FailureKind.Forbidden,
          'permission_denied',
          `This restricted key does not have ${needed} access to ${resource ?? 'this endpoint'}.`,
        );
      }
    }
    res.locals.merchantId = caller.merchantId;
    res.locals.livemode = caller.livemode;
    res.locals.caller = caller;
    next();
  };
}

/** The operator API's caller: the operator key only. */
export function operatorAuth(merchants: Merchants): RequestHandler {
  return async (req, _res, next) => {
    const key = credentials(req);
    if (!key || !(await merchants.isOperatorKey(key))) {
      throw new KassaError(FailureKind.Unauthorized, 'api_key_invalid', 'Invalid operator key. Use the operator key: Authorization: Bearer op_…');
    }
    next();
  };
}

export function merchantOf(res: Response): string {
  const id = res.locals.merchantId as string | undefined;
  if (!id) throw new Error('merchantAuth did not run');
  return id;
}

export interface ClientClaims {
  /** The payment intent. */
  sub: string;
  /** The merchant. */
  mid: string;
}

export class ClientSecrets {
  readonly #key: KeyObject;
  readonly #merchantExists: ((merchantId: string) => boolean) | null;

  constructor(
    key: Buffer | KeyObject,
    private readonly issuer: () => string,
    private readonly clock: Clock,
    merchantExists: ((merchantId: string) => boolean) | null = null,
  ) {
    // A KeyObject built once: jsonwebtoken re-parses a string or Buffer key on every verify.
    this.#key = key instanceof KeyObject ? key : createSecretKey(key);
    this.#merchantExists = merchantExists;
  }

  /**
   * The same secrets (key, issuer, clock) whose `verify` also requires the `mid` claim to name
   * an existing merchant. A validly signed secret for a merchant that does not exist (deleted,
   * or another install's key) is then refused like any invalid one, instead of reaching the
   * store with a merchant id nothing refers to.
   */
  forMerchants(merchants: Pick<Merchants, 'exists'>): ClientSecrets {
    return new ClientSecrets(this.#key, this.issuer, this.clock, (id) => merchants.exists(id));
  }

  /** Whether `verify` checks that the merchant exists (`forMerchants`); clientAuth requires it. */
  get checksMerchants(): boolean {
    return this.#merchantExists !== null;
  }

  mint(intent: { id: string; merchantId: string }): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return jwt.sign({ mid: intent.merchantId, iat, exp: iat + CLIENT_SECRET_TTL_SECONDS }, this.#key, {
      algorithm: 'HS256',
      audience: CLIENT_AUDIENCE,
      issuer: this.issuer(),
      subject: intent.id,
      jwtid: randomBase62(16),
    });
  }

  /**
   * The claims of a valid client secret, or null (wrong algorithm, audience, issuer, signature,
   * expired, too long-lived, issued in the future, not yet valid, unknown merchant).
   */
  verify(token: string): ClientClaims | null {
    try {
      const nowSeconds = Math.floor(this.clock.now() / 1000);
      const claims = jwt.verify(token, this.#key, {
        algorithms: ['HS256'],
        audience: CLIENT_AUDIENCE,
        issuer: this.issuer(),
        clockTimestamp: nowSeconds,
        maxAge: CLIENT_SECRET_TTL_SECONDS,
      });
      if (typeof claims !== 'object' || claims === null) return null;
      const { sub, mid, exp, iat, nbf, jti } = claims as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof mid !== 'string' || typeof jti !== 'string') return null;
      // exp is required and short: a secret minted for longer than the TTL is not ours.
      if (typeof exp !== 'number' || typeof iat !== 'number' || exp - iat > CLIENT_SECRET_TTL_SECONDS) return null;
      // Issued in the future: its lifetime, counted from iat, would outlast the TTL from now.
      if (iat > nowSeconds + CLIENT_SECRET_CLOCK_SKEW_SECONDS) return null;
      // Not valid yet (jsonwebtoken checks this too; stated here so it does not rest on a default).
      if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) return null;
      if (this.#merchantExists && !this.#merchantExists(mid)) return null;
      return { sub, mid };
    } catch {
      return null;
    }
  }
}

export function clientAuth(secrets: ClientSecrets): RequestHandler {
  // Fail at start-up, not open at run time: without the merchant check a signed secret naming
  // no merchant would get past authentication.
  if (!secrets.checksMerchants) throw new Error('clientAuth needs ClientSecrets.forMerchants(merchants)');
  return (req, res, next) => {
    const token = credentials(req);
    const claims = token ? secrets.verify(token) : null;
    if (!claims) {
      throw new KassaError(FailureKind.Unauthorized, 'client_secret_invalid', 'Invalid or expired client secret.');
    }
    res.locals.client = claims;
    next();
  };
}

export function clientOf(res: Response): ClientClaims {
  const claims = res.locals.client as ClientClaims | undefined;
  if (!claims) throw new Error('clientAuth did not run');
  return claims;
}
