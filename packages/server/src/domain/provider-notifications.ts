/**
 * Inbound provider notifications (Alipay's asynchronous notify, PayPal's and Adyen's webhooks):
 * verified on the raw body by the provider's adapter, stored durably, acknowledged, then
 * applied. Applying never trusts what a notification says happened: it asks the provider
 * (`PaymentIntents.applyNotification`), and core's status table decides, so a replay, a late
 * one or one out of order never moves an intent backwards. A process that dies between the
 * acknowledgement and the applying applies it at its next start (`applyPending`).
 *
 * For a provider that cannot be asked (Adyen), the adapter's evidence is stored with the row:
 * recovery hands it back to the adapter's `lookup` whenever an authorization about that payment
 * is unresolved — now, at the next start, or later — not only while this notification is applied.
 */
import type { DomainLogger as Logger } from './payment-intents.js';
import type { Store } from '../store/port.js';
import { newId } from './ids.js';
import type { ProviderNotificationRecord } from './model.js';
import type { PaymentIntents } from './payment-intents.js';
import { NotificationRejected } from './ports.js';
import type { Clock, PaymentProvider } from './ports.js';

/** ports.ts: ProviderNotification.evidence is at most 4 KB. */
const MAX_EVIDENCE = 4096;

export interface Received {
  /** The adapter's acknowledgement, as the provider expects it. */
  ack: string;
  /** Stored now (false: each was a replay, stored before). */
  stored: ProviderNotificationRecord[];
}

export class ProviderNotifications {
  constructor(
    private readonly d: { store: Store; payments: PaymentIntents; clock: Clock; logger: Logger },
  ) {}

  /**
   * Verifies `raw` with each configured provider of the route's type (test and live may both
   * be one) and stores what the first that recognizes it says. Throws NotificationRejected when
   * none does: nothing is stored, and the provider is answered 400 (it retries; a forger learns
   * nothing).
   */
  async receive(providers: PaymentProvider[], raw: Buffer, headers: Readonly<Record<string, string | undefined>>): Promise<Received> {
    let rejection: unknown = new NotificationRejected('no configured provider of this type verifies notifications');
    for (const provider of providers) {
      if (!provider.capabilities.notifications || !provider.parseNotification) continue;
      let parsed: Awaited<ReturnType<NonNullable<PaymentProvider['parseNotification']>>>;
      try {
        parsed = await provider.parseNotification(raw, headers);
      } catch (error) {
        rejection = error;
        continue;
      }
      const now = this.d.clock.now();
      const stored: ProviderNotificationRecord[] = [];
      for (const n of parsed.notifications) {
        const record: ProviderNotificationRecord = {
          id: newId('pnt'),
          provider: provider.name,
          providerEventId: n.id ?? null,
          kind: n.kind,
          paymentIntent: n.reference ?? null,
          providerRef: n.providerRef ?? null,
          raw: raw.toString('utf8'),
          receivedAt: now,
          appliedAt: null,
          outcome: null,
          evidence: this.evidenceOf(provider.name, n.evidence),
          failed: n.failed ?? null,
        };
        if (await this.d.store.recordProviderNotification(record)) stored.push(record);
      }
      this.d.logger.info({ provider: provider.name, notifications: parsed.notifications.length, stored: stored.length }, 'provider notification received');
      return { ack: parsed.ack, stored };
    }
    throw rejection instanceof NotificationRejected ? rejection : new NotificationRejected('the notification could not be verified');
  }

  /** Applies stored notifications (after acknowledging them); a failure leaves one for `applyPending` (every minute, and at the next start). */
  async apply(records: ProviderNotificationRecord[]): Promise<void> {
    for (const record of records) {
      try {
        const outcome = await this.d.payments.applyNotification(record.provider, {
          reference: record.paymentIntent ?? undefined,
          providerRef: record.providerRef ?? undefined,
          notification: record.id,
          failed: record.failed ?? undefined,
        });
        await this.d.store.markProviderNotificationApplied(record.id, this.d.clock.now(), outcome);
        this.d.logger.info({ notification: record.id, provider: record.provider, kind: record.kind, outcome }, 'provider notification applied');
      } catch (error) {
        this.d.logger.error({ notification: record.id, provider: record.provider, err: error }, 'provider notification not applied; it is applied again later');
      }
    }
  }

  /** The adapter's evidence as it may be stored: bounded, since it is read back on every recovery of the payment. */
  private evidenceOf(provider: string, evidence: string | undefined): string | null {
    if (evidence === undefined) return null;
    if (evidence.length > MAX_EVIDENCE) {
      this.d.logger.error({ provider, length: evidence.length }, 'provider notification evidence too long; stored without it');
      return null;
    }
    return evidence;
  }

  /**
   * What a process that died after acknowledging left unapplied, and what could not be applied
   * when it came (a call on its intent was open, say). `olderThanMs`: only those received that
   * long ago, so the timer leaves alone the ones the route is applying right now.
   */
  async applyPending(limit = 500, olderThanMs?: number): Promise<number> {
    const before = olderThanMs === undefined ? undefined : this.d.clock.now() - olderThanMs;
    const pending = await this.d.store.listUnappliedProviderNotifications(limit, before);
    await this.apply(pending);
    return pending.length;
  }
}
