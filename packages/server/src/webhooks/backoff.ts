/**
 * When a failed delivery is tried again: exponential backoff with jitter, for about three days
 * from the event. The n-th retry waits between half and all of min(1 min × 2^(n−1), 8 h), so
 * retries spread out (no thundering herd when a receiver comes back) and slow down to a few
 * a day: 17 to 26 attempts in all (about 20), the last one 64–72 h after the event. A retry
 * that would fall after the window is not made.
 */

export const RETRY_BASE_MS = 60_000;
export const RETRY_CAP_MS = 8 * 60 * 60 * 1000;
export const RETRY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * `attempts`: how many attempts were made, this failed one included (≥ 1). `random`: a number
 * in [0, 1), Math.random by default (tests pass their own). Returns when to try again, or null
 * to give up.
 */
export function nextRetryAt(attempts: number, now: number, eventCreated: number, random: () => number = Math.random): number | null {
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`attempts must be a positive integer, got ${attempts}`);
  const ceiling = Math.min(RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 30), RETRY_CAP_MS);
  const delay = ceiling / 2 + random() * (ceiling / 2);
  const at = Math.round(now + delay);
  return at <= eventCreated + RETRY_WINDOW_MS ? at : null;
}
