/**
 * TEMPLATE — a payment provider adapter's skeleton. Copy this folder to `adapters/<provider>/`,
 * rename the class, and replace each method's body. Until then every call fails as *definite*
 * ("nothing happened"), which is the truth: no request was made. Read README.md first.
 *
 * Not wired anywhere on purpose: an adapter is chosen in the server's composition root once it
 * passes the conformance suite against its fake.
 */
import type {
  AuthorizeOutcome,
  AuthorizeRequest,
  CancelOutcome,
  CaptureOutcome,
  LookupRequest,
  PaymentProvider,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderOutcome,
  RefundOutcome,
  Sensitive,
} from '../../domain/ports.js';
import { ProviderFailure } from '../../domain/ports.js';

export interface TemplateProviderConfig {
  /** Secrets are Sensitive: they print as "[redacted]" in logs and JSON. */
  apiKey: Sensitive;
  /** The provider's API base; a test points it at the fake (`http://127.0.0.1:PORT`). */
  apiBase?: string | undefined;
}

export class TemplateProvider implements PaymentProvider {
  readonly name = 'template';
  /**
   * Declare only what the provider really does and this adapter implements: the use case
   * refuses an undeclared flow loudly, and the conformance suite holds you to what you declare.
   */
  readonly capabilities: ProviderCapabilities = {
    manualCapture: false,
    partialCapture: false,
    multipleCapture: false,
    cancel: false,
    refund: false,
    // Charges a card saved for a customer again without the shopper (setup_future_usage, off_session).
    savedMethods: false,
    // What authorize/completeAction may answer as `requires_action` (three_d_secure, redirect, qr_code, await_notification).
    nextActions: ['three_d_secure'],
    lookup: false,
    // One entry per method the adapter maps (see ProviderPaymentMethod); `currencies` if it charges only some;
    // `methods: { apple_pay: { savedMethods: false } }` where one method's flows differ from the rest.
    paymentMethods: ['card'],
    // true once parseNotification() verifies the provider's signature on the raw body.
    notifications: false,
  };

  readonly #config: TemplateProviderConfig;

  constructor(config: TemplateProviderConfig) {
    this.#config = config;
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    return notImplemented('authorize', request);
  }

  async completeAction(request: { idempotencyKey: string; reference: string } & ProviderCallOptions): Promise<AuthorizeOutcome> {
    return notImplemented('completeAction', request);
  }

  async capture(request: { idempotencyKey: string; reference: string; amount: number } & ProviderCallOptions): Promise<CaptureOutcome> {
    return notImplemented('capture', request);
  }

  async cancel(request: { idempotencyKey: string; reference: string } & ProviderCallOptions): Promise<CancelOutcome> {
    return notImplemented('cancel', request);
  }

  async refund(request: { idempotencyKey: string; reference: string; amount: number } & ProviderCallOptions): Promise<RefundOutcome> {
    return notImplemented('refund', request);
  }

  async lookup(request: LookupRequest): Promise<ProviderOutcome | null> {
    return notImplemented('lookup', request);
  }

  /** The API base the calls will go to (kept so the skeleton reads its config). */
  get apiBase(): string {
    return this.#config.apiBase ?? 'https://api.example.invalid';
  }
}

/** Definite: this skeleton sent nothing, so nothing can have happened at the provider. */
function notImplemented(method: string, _request: ProviderCallOptions): never {
  throw new ProviderFailure('definite', `${method} is not implemented by the template adapter`, 'not_implemented');
}
