/**
 * Following an account's events through `GET /v1/events`, oldest first, each once.
 *
 * The list is newest first (Stripe's order). `ending_before=<id>` answers the events just after
 * that one — the oldest of them when there are more than a page (`has_more`), still newest first
 * within the page — so each page is turned round and its newest event becomes the cursor, and a
 * page with more behind it is followed at once. Before there is any event to stand on, the newest
 * page is read backwards (`starting_after`) to its start: everything in it arrived after the
 * follower started, since the list was empty then.
 */
import { z } from 'zod';

export const eventSchema = z
  .object({
    id: z.string(),
    object: z.literal('event'),
    type: z.string(),
    created: z.number(),
    data: z.object({ object: z.record(z.string(), z.unknown()) }).loose(),
  })
  .loose();
export type Event = z.infer<typeof eventSchema>;

const pageSchema = z.object({ data: z.array(eventSchema), has_more: z.boolean() }).loose();
export type EventPage = z.infer<typeof pageSchema>;

export interface PageRequest {
  limit: number;
  starting_after?: string;
  ending_before?: string;
  /** Passed on as `types[n]` (exact types, or prefixes such as `payment_intent.*`). */
  types?: readonly string[];
}

/** One page of the list: the caller talks HTTP, this module only follows. */
export type ListEvents = (request: PageRequest) => Promise<unknown>;

export const PAGE_LIMIT = 100;

export class EventFollower {
  readonly #list: ListEvents;
  readonly #types: readonly string[] | undefined;
  /** The newest event handed out (or there at the start); null while the list has been empty. */
  #cursor: string | null = null;
  #started = false;

  constructor(list: ListEvents, types?: readonly string[]) {
    this.#list = list;
    this.#types = types && types.length > 0 ? types : undefined;
  }

  async #page(request: Omit<PageRequest, 'limit' | 'types'>, limit = PAGE_LIMIT): Promise<EventPage> {
    const answer = await this.#list({ limit, ...request, ...(this.#types ? { types: this.#types } : {}) });
    const parsed = pageSchema.safeParse(answer);
    if (!parsed.success) throw new Error(`unexpected answer from /v1/events: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  /** Remembers where the list stands now: only events after this are handed out. */
  async start(): Promise<void> {
    const newest = await this.#page({}, 1);
    this.#cursor = newest.data[0]?.id ?? null;
    this.#started = true;
  }

  /** The events that arrived since the last call, oldest first (empty when none did). */
  async next(): Promise<Event[]> {
    if (!this.#started) throw new Error('EventFollower.start() first');
    const cursor = this.#cursor;
    if (cursor === null) return this.#fromTheStart();
    const out: Event[] = [];
    let after = cursor;
    for (;;) {
      const page = await this.#page({ ending_before: after });
      const first = page.data[0];
      if (!first) break;
      out.push(...[...page.data].reverse());
      after = first.id;
      if (!page.has_more) break;
    }
    // Moved only once every page is in: a failure half-way hands out nothing and loses nothing.
    this.#cursor = after;
    return out;
  }

  async #fromTheStart(): Promise<Event[]> {
    const newestFirst: Event[] = [];
    let page = await this.#page({});
    newestFirst.push(...page.data);
    while (page.has_more) {
      const last = newestFirst[newestFirst.length - 1];
      if (!last) break;
      page = await this.#page({ starting_after: last.id });
      newestFirst.push(...page.data);
    }
    const newest = newestFirst[0];
    if (newest) this.#cursor = newest.id;
    return newestFirst.reverse();
  }
}
