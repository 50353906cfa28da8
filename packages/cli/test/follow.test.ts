/**
 * The event follower against a list that pages exactly as Kassa's `/v1/events` does
 * (server/src/store/sqlite/pages.ts: newest first; `ending_before` reads upwards from the cursor
 * and turns the page round; `has_more` in the direction of travel; filters not applied to the
 * cursor). What `kassa listen` must get right: every event once, oldest first, also when more
 * arrive between two polls than fit in a page, and nothing lost when a poll fails half-way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventFollower, PAGE_LIMIT } from '../src/follow.js';
import type { PageRequest } from '../src/follow.js';

interface Stored {
  seq: number;
  id: string;
  type: string;
}

class FakeEvents {
  readonly rows: Stored[] = [];
  readonly requests: PageRequest[] = [];

  add(count: number, type = 'payment_intent.succeeded'): void {
    for (let i = 0; i < count; i++) {
      const seq = this.rows.length + 1;
      this.rows.push({ seq, id: `evt_${String(seq).padStart(6, '0')}`, type });
    }
  }

  list = async (request: PageRequest): Promise<unknown> => {
    this.requests.push(request);
    assert.ok(request.limit >= 1 && request.limit <= 100);
    assert.ok(!(request.starting_after && request.ending_before), 'never both cursors');
    const matches = (r: Stored) => !request.types || request.types.some((t) => (t.endsWith('.*') ? r.type.startsWith(t.slice(0, -1)) : r.type === t));
    let rows = this.rows.filter(matches);
    let ascending = false;
    const cursorId = request.starting_after ?? request.ending_before;
    if (cursorId) {
      const cursor = this.rows.find((r) => r.id === cursorId);
      if (!cursor) throw new Error(`404 ${cursorId}`);
      if (request.starting_after) rows = rows.filter((r) => r.seq < cursor.seq);
      else {
        rows = rows.filter((r) => r.seq > cursor.seq);
        ascending = true;
      }
    }
    rows.sort((a, b) => (ascending ? a.seq - b.seq : b.seq - a.seq));
    const page = rows.slice(0, request.limit);
    if (ascending) page.reverse();
    return {
      object: 'list',
      has_more: rows.length > request.limit,
      data: page.map((r) => ({ id: r.id, object: 'event', type: r.type, created: r.seq, data: { object: { id: `pi_${r.seq}` } } })),
    };
  };
}

const ids = (events: Array<{ id: string }>) => events.map((e) => e.id);
const expected = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `evt_${String(from + i).padStart(6, '0')}`);

describe('EventFollower', () => {
  it('hands out only what arrived after start, oldest first, each once — also 250 events between two polls', async () => {
    const api = new FakeEvents();
    api.add(30);
    const follower = new EventFollower(api.list);
    await follower.start();
    assert.deepEqual(await follower.next(), []);
    api.add(3);
    assert.deepEqual(ids(await follower.next()), expected(31, 33));
    api.add(2 * PAGE_LIMIT + 50);
    assert.deepEqual(ids(await follower.next()), expected(34, 33 + 2 * PAGE_LIMIT + 50));
    assert.deepEqual(await follower.next(), []);
    api.add(1);
    assert.deepEqual(ids(await follower.next()), expected(284, 284));
  });

  it('from an empty list: everything that comes is new, read back to its start when it is more than a page', async () => {
    const api = new FakeEvents();
    const follower = new EventFollower(api.list);
    await follower.start();
    api.add(PAGE_LIMIT * 2 + 7);
    assert.deepEqual(ids(await follower.next()), expected(1, PAGE_LIMIT * 2 + 7));
    api.add(2);
    assert.deepEqual(ids(await follower.next()), expected(PAGE_LIMIT * 2 + 8, PAGE_LIMIT * 2 + 9));
  });

  it('a poll that fails half-way hands out nothing and loses nothing: the next one gets it all', async () => {
    const api = new FakeEvents();
    api.add(1);
    let calls = 0;
    let failOn = 0;
    const follower = new EventFollower(async (request) => {
      calls += 1;
      if (calls === failOn) throw new Error('connection reset');
      return api.list(request);
    });
    await follower.start();
    api.add(PAGE_LIMIT + 5);
    failOn = calls + 2; // the second page of the next poll, after the first was read
    await assert.rejects(follower.next(), /connection reset/);
    assert.deepEqual(ids(await follower.next()), expected(2, PAGE_LIMIT + 6));
  });

  it('passes the types on, and follows only the events of those types', async () => {
    const api = new FakeEvents();
    api.add(2, 'charge.succeeded');
    const follower = new EventFollower(api.list, ['payment_intent.*']);
    await follower.start();
    api.add(1, 'payment_intent.created');
    api.add(1, 'charge.succeeded');
    api.add(1, 'payment_intent.succeeded');
    const got = await follower.next();
    assert.deepEqual(
      got.map((e) => e.type),
      ['payment_intent.created', 'payment_intent.succeeded'],
    );
    assert.ok(api.requests.every((r) => r.types?.[0] === 'payment_intent.*'));
  });

  it('refuses an answer that is not a list of events', async () => {
    const follower = new EventFollower(async () => ({ data: [{ id: 'evt_1' }], has_more: false }));
    await assert.rejects(follower.start(), /unexpected answer from \/v1\/events/);
  });
});
