/**
 * restore(): rules applied in chunks through the client's batch path, each line's
 * outcome recorded. Kept apart from the client, which only lends its apply() and its
 * setting calls. Whatever stops a restore before its end rejects with IpvsPartialError
 * holding every line's outcome so far: lines are never applied without a report.
 */
import { SEND_CHUNK, timeoutOf } from '../call';
import { IpvsError, IpvsPartialError, IpvsValidationError } from '../errors';
import type { ValidatedOp } from '../plan';
import type { BatchResult, ParsedRule, RestoreLineResult, RestoreOptions, RestoreResult } from '../types';
import { boolean, onlyKeys, plainObject } from '../validate/primitives';
import { rulesToApply, type ValidatedRule } from './parse';
import type { ValidatedSetting } from './settings';

/**
 * Lines per batch call: the batch path's own chunk (about what one sendmsg carries), and little
 * enough JavaScript work per call (conversion, results) that the event loop keeps running.
 */
const RESTORE_CHUNK = SEND_CHUNK;

/** The client's batch path: resolves with every result, or rejects (IpvsPartialError when it had started sending). */
export type Apply = (ops: ValidatedOp[], timeout: number) => Promise<BatchResult[]>;
/** The client's setTimeouts/startDaemon/stopDaemon, for the lines that are no table change. */
export type ApplySetting = (op: ValidatedSetting, timeout: number) => Promise<void>;

/** Codes of a call that failed as a whole: a setting line so refused may or may not have been applied. */
const CALL_FAILURES = new Set(['ECANCELED', 'ETIMEDOUT', 'ENOBUFS', 'EPROTO']);

function isSetting(op: ValidatedRule): op is ValidatedSetting {
  return op.kind === 'setTimeouts' || op.kind === 'startDaemon' || op.kind === 'stopDaemon';
}

function restoreOptions(options: RestoreOptions, defaultTimeout: number) {
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['timeout', 'stopOnError', 'onProgress', 'signal'], 'options');
  const stopOnError = obj.stopOnError === undefined ? false : boolean(obj.stopOnError, 'options.stopOnError');
  if (obj.onProgress !== undefined && typeof obj.onProgress !== 'function')
    throw new IpvsValidationError('options.onProgress', obj.onProgress, 'a function');
  if (obj.signal !== undefined && !(obj.signal instanceof AbortSignal))
    throw new IpvsValidationError('options.signal', obj.signal, 'an AbortSignal');
  return {
    stopOnError,
    onProgress: obj.onProgress as RestoreOptions['onProgress'],
    signal: obj.signal as AbortSignal | undefined,
    timeout: timeoutOf(obj.timeout === undefined ? undefined : { timeout: obj.timeout as number }, defaultTimeout),
  };
}

/** The lines' outcomes, in order, as they become known. */
class Outcomes {
  readonly lines: RestoreLineResult[] = [];

  constructor(private readonly rules: readonly ParsedRule[]) {}

  add(status: RestoreLineResult['status'], error?: IpvsError): void {
    const r = this.rules[this.lines.length];
    this.lines.push({ line: r.line, text: r.text, operation: r.operation, status, ...(error ? { error } : {}) });
  }

  addBatch(outcome: readonly BatchResult[]): boolean {
    let failed = false;
    for (const o of outcome) {
      if (!o.ok && o.sent === false) this.add('skipped');
      else this.add(o.ok ? 'applied' : o.applied === 'unknown' ? 'unknown' : 'failed', o.ok ? undefined : o.error);
      if (!o.ok) failed = true;
    }
    return failed;
  }

  /** Lines from here on were not sent. */
  skipRest(): void {
    while (this.lines.length < this.rules.length) this.add('skipped');
  }

  counts() {
    const counts = { applied: 0, failed: 0, unknown: 0, skipped: 0 };
    for (const r of this.lines) counts[r.status]++;
    return counts;
  }

  /** The restore stopped here: every line's outcome, the rest not sent. */
  cut(cause: unknown): IpvsPartialError<RestoreLineResult> {
    this.skipRest();
    const c = this.counts();
    return new IpvsPartialError('restore', cause, this.lines, { applied: c.applied, unknown: c.unknown, notSent: c.skipped });
  }
}

export async function restoreRules(
  input: string | readonly ParsedRule[], options: RestoreOptions, defaultTimeout: number, apply: Apply, applySetting: ApplySetting,
): Promise<RestoreResult> {
  const { stopOnError, onProgress, signal, timeout } = restoreOptions(options, defaultTimeout);
  const { rules, ops } = await rulesToApply(input);
  const out = new Outcomes(rules);
  // Chunks bound each call's deadline and let progress be reported; stopOnError goes line by line.
  const chunk = stopOnError ? 1 : RESTORE_CHUNK;
  let i = 0;
  while (i < rules.length) {
    if (signal?.aborted) throw out.cut(signal.reason);
    let failed: boolean;
    if (isSetting(ops[i])) {
      failed = await applyOneSetting(ops[i] as ValidatedSetting, timeout, applySetting, out);
      i++;
    } else {
      // A run of table changes, up to the next setting line.
      let end = i + 1;
      while (end < rules.length && end - i < chunk && !isSetting(ops[end])) end++;
      let outcome: BatchResult[];
      try {
        outcome = await apply(ops.slice(i, end) as ValidatedOp[], timeout);
      } catch (err) {
        // Cut in the middle of this run: its results say which of its lines took effect.
        if (err instanceof IpvsPartialError) {
          out.addBatch(err.results as BatchResult[]);
          throw out.cut(err.cause);
        }
        // Anything else was thrown before this run was sent (an update's settings refused once the
        // kernel's state was read, …): the earlier runs stand, reported.
        throw out.cut(err);
      }
      failed = out.addBatch(outcome);
      i = end;
    }
    try {
      onProgress?.(out.lines.length, rules.length);
    } catch (err) {
      throw out.cut(err);
    }
    if (failed && stopOnError) {
      out.skipRest();
      break;
    }
  }
  const counts = out.counts();
  return { lines: out.lines, ...counts, ok: counts.applied === out.lines.length };
}

/** Sends one setting line; true when it failed. A call that failed as a whole stops the restore. */
async function applyOneSetting(op: ValidatedSetting, timeout: number, applySetting: ApplySetting, out: Outcomes): Promise<boolean> {
  if (op.kind === 'setTimeouts' && Object.keys(op.timeouts).length === 0) {
    out.add('applied'); // `--set 0 0 0`: nothing to change, nothing to send
    return false;
  }
  try {
    await applySetting(op, timeout);
    out.add('applied');
    return false;
  } catch (err) {
    if (!(err instanceof IpvsError)) throw out.cut(err);
    if (CALL_FAILURES.has(err.code)) {
      out.add('unknown', err);
      throw out.cut(err);
    }
    out.add('failed', err);
    return true;
  }
}
