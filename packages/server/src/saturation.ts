/** The event loop's load, for work that should yield to requests (webhook delivery). */
import { performance } from 'node:perf_hooks';

/**
 * Whether the event loop was busier than `threshold` over the last 100 ms or so (Node's event
 * loop utilization: the share of time spent running rather than waiting). Sampled at most every
 * 100 ms, so asking often costs nothing.
 */
export function saturation(threshold: number): () => boolean {
  if (threshold <= 0) return () => true;
  let last = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let answer = false;
  return () => {
    const now = performance.now();
    if (now - lastAt < 100) return answer;
    const current = performance.eventLoopUtilization();
    answer = performance.eventLoopUtilization(current, last).utilization > threshold;
    last = current;
    lastAt = now;
    return answer;
  };
}
