/**
 * What every checker shares: one attempt bounded by its timeout and the caller's signal, settled
 * once, with readable reasons for the ways it can end.
 */
import type { CheckOutcome } from '../types';

/** The error's code as a person reads it in a reason: 'ECONNREFUSED', else the class name. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code.length > 0) return e.code;
  if (e && typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return e && typeof e.message === 'string' ? e.message.slice(0, 120) : String(err).slice(0, 120);
}

export const timedOut = (ms: number): CheckOutcome => ({ ok: false, reason: `timeout after ${ms} ms` });
/** The abort reason of an attempt cut short (by its timeout or the caller). */
const CUT_SHORT = Object.freeze(new Error('health check attempt cut short'));
export const ABORTED: CheckOutcome = Object.freeze({ ok: false, reason: 'aborted' });

/**
 * Runs `body` with a signal that aborts at the timeout or when `signal` does; the outcome is the
 * first of: body's result, 'timeout after N ms', 'aborted'. `body` must release what it holds when
 * its signal aborts (that is how the attempt is cut short); it is never left running.
 */
export function bounded(
  timeoutMs: number, signal: AbortSignal,
  body: (inner: AbortSignal) => Promise<CheckOutcome>,
  onTimeout: () => CheckOutcome = () => timedOut(timeoutMs),
): Promise<CheckOutcome> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  const inner = new AbortController();
  return new Promise<CheckOutcome>((resolve) => {
    let done = false;
    const settle = (outcome: CheckOutcome, cut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Only an attempt cut short has anything to release; a constant reason spares a DOMException per attempt.
      if (cut) inner.abort(CUT_SHORT);
      resolve(outcome);
    };
    const onAbort = (): void => settle(ABORTED, true);
    const timer = setTimeout(() => settle(onTimeout(), true), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    body(inner.signal).then((o) => settle(o, false), (err: unknown) => settle({ ok: false, reason: errorCode(err) }, true));
  });
}
