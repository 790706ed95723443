/**
 * Results of a batch cut short: what each operation got when the call stopped before its end.
 * Kept apart from the client, which only decides when a batch was cut.
 */
import { IpvsError, IpvsPartialError } from './errors';
import { contextOf, type ValidatedOp } from './plan';
import type { BatchResult } from './types';

/** Every operation of a batch that stopped before anything was sent: each 'not applied', with the stopping code. */
export function unsentBatch(ops: readonly ValidatedOp[], cause: IpvsError, timeoutMs: number, stage?: string): IpvsPartialError<BatchResult> {
  const results = ops.map((op) => notSentResult(op, cause, timeoutMs, stage));
  return new IpvsPartialError('batch', cause, results, { applied: 0, unknown: 0, notSent: results.length });
}

/** One operation a batch never sent, because of cause (stage: STAGE_ABORTED when a signal stopped it). */
export function notSentResult(op: ValidatedOp, cause: IpvsError, timeoutMs: number, stage?: string): BatchResult {
  const error = new IpvsError(cause.errno, { ...contextOf(op), timeoutMs, ...(stage ? { stage } : {}) }, { cause });
  return { ok: false, operation: op.operation, applied: 'no', sent: false, error };
}

/** A batch whose send stopped part-way: the per-operation results the send produced, counted. */
export function cutBatch(results: BatchResult[], cause: IpvsError, notSent: number): IpvsPartialError<BatchResult> {
  let applied = 0;
  let unknown = 0;
  for (const r of results) {
    if (r.ok) applied++;
    else if (r.applied === 'unknown') unknown++;
  }
  return new IpvsPartialError('batch', cause, results, { applied, unknown, notSent });
}
