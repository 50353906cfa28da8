/**
 * Writing a request's journal (docs/ARCHITECTURE.md, "Exactly once"): each local step of a
 * request with an Idempotency-Key commits, with its own changes, how far the request got and
 * what it made. These build the entry for a step and record it once the step committed.
 */
import type { Journal, JournalWrite, RecoveryPoint } from './model.js';

/** The journal entry for a step, if the request has a journal (an Idempotency-Key). */
export function journalStep(
  j: Journal | undefined,
  point: RecoveryPoint,
  made: { intentId?: string; attemptId?: string; objectId?: string },
): JournalWrite | undefined {
  if (!j) return undefined;
  return {
    ref: j.ref,
    owner: j.owner,
    recoveryPoint: point,
    intentId: made.intentId ?? j.intentId,
    attemptId: made.attemptId ?? j.attemptId,
    objectId: made.objectId ?? j.objectId,
  };
}

/** Once the step committed, the in-memory journal says so too. */
export function recorded(j: Journal | undefined, write: JournalWrite | undefined): void {
  if (!j || !write) return;
  j.recoveryPoint = write.recoveryPoint;
  j.intentId = write.intentId;
  j.attemptId = write.attemptId;
  j.objectId = write.objectId;
}
