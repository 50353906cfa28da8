/**
 * Events, the use cases: retrieve and list what the outbox holds for a merchant in one mode.
 * The outbox is written with every state change (in its transaction), so the list is the
 * complete history a receiver can reconcile against after an outage.
 */
import { notFound } from '../domain/errors.js';
import type { StoredEvent } from '../domain/webhook-model.js';
import type { Page, PageQuery, Store } from '../store/port.js';

export class Events {
  constructor(private readonly store: Store) {}

  async retrieve(merchantId: string, livemode: boolean, id: string): Promise<StoredEvent> {
    const event = await this.store.getEvent(merchantId, livemode, id);
    if (!event) throw notFound('event', id);
    return event;
  }

  /** `types`: exact event types or prefixes such as `payment_intent.*`; any of them matches. */
  async list(merchantId: string, livemode: boolean, query: PageQuery & { types?: string[] | undefined }): Promise<Page<StoredEvent>> {
    return this.store.listEvents(merchantId, livemode, query);
  }
}
