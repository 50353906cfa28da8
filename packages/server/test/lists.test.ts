/**
 * The shared list helper (http/lists.ts): Stripe's query schema and how `created` filters in
 * Unix seconds become one half-open range of milliseconds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { KassaError } from '../src/domain/errors.js';
import { LIST_LIMIT_DEFAULT, listBody, listQuerySchema, pageQuery, pagingQuerySchema } from '../src/http/lists.js';

const schema = listQuerySchema({ color: z.enum(['red', 'blue']).optional() });

describe('list helper', () => {
  it('parses limit 1–100 (default 10), one cursor, created filters and the route’s own filters, strictly', () => {
    assert.deepEqual(pageQuery(schema.parse({})), { limit: LIST_LIMIT_DEFAULT });
    assert.deepEqual(pageQuery(schema.parse({ limit: '100', starting_after: 'we_x' })), { limit: 100, startingAfter: 'we_x' });
    assert.deepEqual(pageQuery(schema.parse({ limit: '1', ending_before: 'we_y' })), { limit: 1, endingBefore: 'we_y' });
    assert.equal(schema.parse({ color: 'red' }).color, 'red');
    for (const bad of [{ limit: '0' }, { limit: '101' }, { limit: '1.5' }, { limit: ['1', '2'] }, { created: 'soon' }, { 'created[gte]': '-1' }, { colour: 'red' }, { starting_after: '' }]) {
      assert.equal(schema.safeParse(bad).success, false, JSON.stringify(bad));
    }
    assert.equal(pagingQuerySchema({}).safeParse({ created: '1' }).success, false, 'a list without created filters refuses them');
    assert.throws(() => pageQuery(schema.parse({ starting_after: 'a', ending_before: 'b' })), KassaError);
  });

  it('turns created filters (seconds, as on the wire) into one range of milliseconds: gte ≤ ms < lt', () => {
    const range = (q: Record<string, string>) => pageQuery(schema.parse(q)).created;
    assert.deepEqual(range({ created: '100' }), { gte: 100_000, lt: 101_000 });
    assert.deepEqual(range({ 'created[gt]': '100' }), { gte: 101_000 });
    assert.deepEqual(range({ 'created[gte]': '100' }), { gte: 100_000 });
    assert.deepEqual(range({ 'created[lt]': '100' }), { lt: 100_000 });
    assert.deepEqual(range({ 'created[lte]': '100' }), { lt: 101_000 });
    assert.deepEqual(range({ 'created[gte]': '100', 'created[gt]': '150', 'created[lte]': '300', 'created[lt]': '250' }), { gte: 151_000, lt: 250_000 }, 'the tightest bounds win');
    assert.equal(range({}), undefined);
  });

  it("wraps a page in Stripe's envelope; a cursor naming nothing is a 404 on that param", () => {
    assert.deepEqual(listBody('/v1/things', 'thing', { limit: 2 }, { data: [1, 2], hasMore: true }, (n) => ({ n })), {
      object: 'list',
      url: '/v1/things',
      has_more: true,
      data: [{ n: 1 }, { n: 2 }],
    });
    try {
      listBody('/v1/things', 'thing', { limit: 2, endingBefore: 'th_1' }, { missingCursor: 'ending_before' }, (n: number) => n);
      assert.fail('expected a 404');
    } catch (error) {
      assert.ok(error instanceof KassaError);
      assert.equal(error.code, 'resource_missing');
      assert.equal(error.details.param, 'ending_before');
      assert.match(error.message, /th_1/);
    }
  });
});
