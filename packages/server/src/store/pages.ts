/**
 * One page of a Stripe-style list, as the store answers it: newest first, cursors by object
 * id (`starting_after`: older than that object; `ending_before`: newer than it), and whether
 * there is more in the direction of travel. Every list of the merchant API pages this way.
 */

/** A half-open range on `created`, in milliseconds: gte ≤ created < lt. */
export interface CreatedRange {
  gte?: number;
  lt?: number;
}

export interface PageQuery {
  /** 1–100. */
  limit: number;
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
  created?: CreatedRange | undefined;
}

export type Page<T> =
  | { data: T[]; hasMore: boolean; missingCursor?: undefined }
  /** The cursor names no object of this list (unknown id, another merchant's, another mode's). */
  | { missingCursor: 'starting_after' | 'ending_before' };
