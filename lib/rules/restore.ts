/**
 * restore(): rules applied in chunks through the client's batch path, each line's
 * outcome recorded. Kept apart from the client, which only lends its apply().
 */
import { timeoutOf } from '../call';
import { IpvsValidationError } from '../errors';
import type { ValidatedOp } from '../plan';
import type { BatchResult, ParsedRule, RestoreLineResult, RestoreOptions, RestoreResult } from '../types';
import { boolean, onlyKeys, plainObject } from '../validate/primitives';
import { rulesToApply } from './parse';

/**
 * Lines per batch call: about what one sendmsg carries, and little enough JavaScript
 * work per call (validation, conversion) that the event loop keeps running.
 */
const RESTORE_CHUNK = 512;

export type Apply = (ops: ValidatedOp[], timeout: number) => Promise<BatchResult[]>;

export async function restoreRules(
  input: string | readonly ParsedRule[], options: RestoreOptions, defaultTimeout: number, apply: Apply,
): Promise<RestoreResult> {
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['timeout', 'stopOnError', 'onProgress'], 'options');
  const stopOnError = obj.stopOnError === undefined ? false : boolean(obj.stopOnError, 'options.stopOnError');
  if (obj.onProgress !== undefined && typeof obj.onProgress !== 'function')
    throw new IpvsValidationError('options.onProgress', obj.onProgress, 'a function');
  const onProgress = obj.onProgress as RestoreOptions['onProgress'];
  const timeout = timeoutOf(obj.timeout === undefined ? undefined : { timeout: obj.timeout as number }, defaultTimeout);
  const { rules, ops } = await rulesToApply(input);
  const results: RestoreLineResult[] = [];
  // Chunks bound each call's deadline and let progress be reported; stopOnError goes line by line.
  const chunk = stopOnError ? 1 : RESTORE_CHUNK;
  let stopped = false;
  for (let i = 0; i < rules.length; i += chunk) {
    const part = rules.slice(i, i + chunk);
    if (stopped) {
      for (const r of part) results.push({ line: r.line, text: r.text, operation: r.operation, status: 'skipped' });
      continue;
    }
    const outcome = await apply(ops.slice(i, i + chunk), timeout);
    outcome.forEach((o, k) => {
      const r = part[k];
      const status = o.ok ? 'applied' : o.applied === 'unknown' ? 'unknown' : 'failed';
      results.push({ line: r.line, text: r.text, operation: r.operation, status, ...(o.ok ? {} : { error: o.error }) });
      if (!o.ok && stopOnError) stopped = true;
    });
    onProgress?.(results.length, rules.length);
  }
  const counts = { applied: 0, failed: 0, unknown: 0, skipped: 0 };
  for (const r of results) counts[r.status]++;
  return { lines: results, ...counts, ok: counts.applied === results.length };
}
