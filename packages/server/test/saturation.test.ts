/** The saturation signal the webhook worker yields to: busy after a stretch of running, not after a stretch of waiting. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { saturation } from '../src/saturation.js';

it('saturation: true after 150 ms of solid work, false after 150 ms of idling; threshold 0 is always busy', async () => {
  const saturated = saturation(0.8);
  await sleep(150);
  assert.equal(saturated(), false, 'idle');
  const until = performance.now() + 150;
  while (performance.now() < until) {
    // A loop that never yields: utilization near 1.
  }
  assert.equal(saturated(), true, 'busy');
  assert.equal(saturated(), true, 'the same answer within the next 100 ms (sampled, not recomputed)');
  await sleep(150);
  assert.equal(saturated(), false, 'idle again');
  assert.equal(saturation(0)(), true);
});
