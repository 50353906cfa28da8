/**
 * Webhook endpoints, the use cases: create (the secret shown once), retrieve, update, delete,
 * list, and roll the secret with an overlap. Inputs arrive parsed (the route's zod schemas);
 * what needs more than a schema — where the URL points, metadata merging — is decided here.
 *
 * Exactly once: with an Idempotency-Key, create and roll record a hash of the key on what they
 * make, in the same transaction. A retry whose first run died after that commit (before its
 * answer was stored) finds it and answers with it, instead of making a second endpoint or
 * rolling again.
 */
import { createHash } from 'node:crypto';
import { FailureKind, KassaError, invalidParam, notFound } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Clock, Sensitive } from '../domain/ports.js';
import type { WebhookEndpointRecord } from '../domain/webhook-model.js';
import type { Page, PageQuery, Store } from '../store/port.js';
import type { WebhookSecrets } from './secrets.js';
import { checkTarget, systemResolver } from './target-policy.js';
import type { Resolver } from './target-policy.js';

/** Stripe's limit, per merchant and mode. */
export const MAX_ENDPOINTS = 16;
/** Secrets that may sign at once: the current one and up to four being rotated out. */
export const MAX_VALID_SECRETS = 5;
export const DEFAULT_PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;

export interface EndpointInput {
  url: string;
  enabledEvents: string[];
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface EndpointPatch {
  url?: string | undefined;
  enabledEvents?: string[] | undefined;
  disabled?: boolean | undefined;
  /** '' unsets it, as at Stripe. */
  description?: string | undefined;
  /** Merged into the metadata; a key set to '' is removed; '' instead of an object clears it all. */
  metadata?: Record<string, string> | '' | undefined;
}

export interface Created {
  endpoint: WebhookEndpointRecord;
  /** Absent only when a resumed create finds its secret already rotated away. */
  secret: Sensitive | undefined;
}

export interface Rolled {
  endpoint: WebhookEndpointRecord;
  secret: Sensitive;
  previousExpires: number;
}

const keyHash = (purpose: string, merchantId: string, key: string) =>
  createHash('sha256').update(`${purpose}|${merchantId}|${key}`).digest('hex');

export class WebhookEndpoints {
  constructor(
    private readonly d: {
      store: Store;
      clock: Clock;
      secrets: WebhookSecrets;
      /** DNS for the live target check (tests replace it). */
      resolve?: Resolver;
    },
  ) {}

  async create(merchantId: string, livemode: boolean, input: EndpointInput, idempotencyKey?: string): Promise<Created> {
    const creationKey = idempotencyKey === undefined ? null : keyHash('create', merchantId, idempotencyKey);
    if (creationKey !== null) {
      const made = await this.d.store.webhookEndpointByCreationKey(merchantId, creationKey);
      if (made) {
        const secret = await this.d.store.webhookSecretByCreationKey(made.id, creationKey);
        return { endpoint: made, secret: secret ? this.d.secrets.open(made.id, merchantId, secret) : undefined };
      }
    }
    await this.assertTarget(input.url, livemode);
    const now = this.d.clock.now();
    const endpoint: WebhookEndpointRecord = {
      id: newId('we'),
      merchantId,
      livemode,
      url: input.url,
      enabledEvents: unique(input.enabledEvents),
      description: input.description ? input.description : null,
      metadata: input.metadata ?? {},
      status: 'enabled',
      disabledReason: null,
      created: now,
      updated: now,
    };
    const secret = this.d.secrets.generate();
    const sealed = this.d.secrets.seal(endpoint.id, merchantId, secret);
    const result = await this.d.store.createWebhookEndpoint(endpoint, { ...sealed, creationKey, created: now }, creationKey, MAX_ENDPOINTS);
    if (result === 'limit') {
      throw new KassaError(
        FailureKind.InvalidRequest,
        'webhook_endpoint_limit',
        `You have reached the maximum of ${MAX_ENDPOINTS} ${livemode ? 'live' : 'test'} webhook endpoints. Delete one to add another.`,
      );
    }
    return { endpoint, secret };
  }

  async retrieve(merchantId: string, livemode: boolean, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.d.store.getWebhookEndpoint(merchantId, livemode, id);
    if (!endpoint) throw notFound('webhook endpoint', id);
    return endpoint;
  }

  async update(merchantId: string, livemode: boolean, id: string, patch: EndpointPatch): Promise<WebhookEndpointRecord> {
    const current = await this.retrieve(merchantId, livemode, id);
    if (patch.url !== undefined) await this.assertTarget(patch.url, livemode);
    const next: WebhookEndpointRecord = { ...current, updated: this.d.clock.now() };
    if (patch.url !== undefined) next.url = patch.url;
    if (patch.enabledEvents !== undefined) next.enabledEvents = unique(patch.enabledEvents);
    if (patch.description !== undefined) next.description = patch.description === '' ? null : patch.description;
    if (patch.metadata !== undefined) next.metadata = mergeMetadata(current.metadata, patch.metadata);
    if (patch.disabled === true) {
      next.status = 'disabled';
      next.disabledReason = 'merchant';
    } else if (patch.disabled === false) {
      // Re-enabled (also after a 410): held deliveries resume, newer events flow again.
      next.status = 'enabled';
      next.disabledReason = null;
    }
    if (!(await this.d.store.updateWebhookEndpoint(next))) throw notFound('webhook endpoint', id);
    return next;
  }

  async delete(merchantId: string, livemode: boolean, id: string): Promise<void> {
    if (!(await this.d.store.deleteWebhookEndpoint(merchantId, livemode, id))) throw notFound('webhook endpoint', id);
  }

  async list(merchantId: string, livemode: boolean, query: PageQuery): Promise<Page<WebhookEndpointRecord>> {
    return this.d.store.listWebhookEndpoints(merchantId, livemode, query);
  }

  /**
   * A new current secret. The ones it replaces keep signing for `previousTtlMs` (0: they stop
   * now), so receivers can switch over without dropping a delivery: meanwhile every delivery
   * carries one signature per valid secret.
   */
  async rollSecret(merchantId: string, livemode: boolean, id: string, previousTtlMs: number, idempotencyKey?: string): Promise<Rolled> {
    const endpoint = await this.retrieve(merchantId, livemode, id);
    const now = this.d.clock.now();
    const creationKey = idempotencyKey === undefined ? null : keyHash('roll', merchantId, idempotencyKey);
    if (creationKey !== null) {
      const made = await this.d.store.webhookSecretByCreationKey(endpoint.id, creationKey);
      if (made) {
        return { endpoint, secret: this.d.secrets.open(endpoint.id, merchantId, made), previousExpires: made.created + previousTtlMs };
      }
    }
    const secret = this.d.secrets.generate();
    const sealed = this.d.secrets.seal(endpoint.id, merchantId, secret);
    const previousExpires = now + previousTtlMs;
    await this.d.store.rollWebhookSecret(endpoint.id, { ...sealed, creationKey, created: now }, previousExpires, MAX_VALID_SECRETS);
    return { endpoint, secret, previousExpires };
  }

  /**
   * A URL Kassa will send to: http(s), no credentials; for a live endpoint, https to a public
   * address. Routes call it before taking the Idempotency-Key too, so a refused URL is
   * validation (nothing stored, the key stays free) rather than a stored answer.
   */
  async assertTarget(raw: string, livemode: boolean): Promise<void> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalidParam('url', 'Invalid URL: an absolute http or https URL is required.', 'url_invalid');
    }
    if (url.hostname === '') throw invalidParam('url', 'Invalid URL: a host is required.', 'url_invalid');
    const refused = await checkTarget(url, livemode, this.d.resolve ?? systemResolver);
    if (refused) throw invalidParam('url', `Invalid URL: ${refused.message}`, 'url_invalid');
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function mergeMetadata(current: Record<string, string>, patch: Record<string, string> | ''): Record<string, string> {
  if (patch === '') return {};
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > 50) throw invalidParam('metadata', 'Invalid metadata: at most 50 metadata keys.');
  return merged;
}
