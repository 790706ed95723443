/**
 * What every built-in checker shares. A built-in checker is a Probe: it starts one attempt and calls
 * back once with the outcome, bounded by its own timer, and hands back a cancel handle. That is what
 * the monitor runs thousands of a second: no AbortController, no promise, no listener on a signal
 * per attempt (they were a sixth of a TCP check's CPU). The public Checker (a promise, a signal)
 * is a thin wrapper over the probe, for callers checking one thing at a time.
 */
import type { Checker, CheckOutcome, CheckTarget } from '../types';

/** An attempt in progress. cancel() releases what it holds at once; its callback is then never called. */
export interface Attempt {
  cancel(): void;
}

/**
 * One attempt against `target`: `done` is called exactly once, never from within start(), within
 * `timeoutMs` (plus the event loop's lateness), unless the attempt is cancelled first.
 */
export interface Probe {
  start(target: CheckTarget, timeoutMs: number, done: (outcome: CheckOutcome) => void): Attempt;
}

/** The error's code as a person reads it in a reason: 'ECONNREFUSED', else the class name. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code.length > 0) return e.code;
  if (e && typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return e && typeof e.message === 'string' ? e.message.slice(0, 120) : String(err).slice(0, 120);
}

export const timedOut = (ms: number): CheckOutcome => ({ ok: false, reason: `timeout after ${ms} ms` });
export const ABORTED: CheckOutcome = Object.freeze({ ok: false, reason: 'aborted' });

/** The Checker of a probe: the attempt's outcome, or 'aborted' at once when `signal` aborts first. */
export function probeChecker(probe: Probe): Checker {
  return {
    check: (target, timeoutMs, signal) => {
      if (signal.aborted) return Promise.resolve(ABORTED);
      return new Promise((resolve) => {
        const onAbort = (): void => {
          attempt.cancel();
          resolve(ABORTED);
        };
        let attempt: Attempt;
        try {
          attempt = probe.start(target, timeoutMs, (outcome) => {
            signal.removeEventListener('abort', onAbort);
            resolve(outcome);
          });
        } catch (err) {
          resolve({ ok: false, reason: `checker failed: ${errorCode(err)}` });
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/**
 * An attempt made of asynchronous work and a deadline. `work` starts it, calls `finish` with its
 * outcome (any number of times: the first call counts) and returns how to release what it holds;
 * the release runs when the deadline or a cancel cuts the work short, not after it finished by itself.
 * A throw from `work` is a failed attempt naming the error.
 */
export function timedAttempt(
  timeoutMs: number, done: (outcome: CheckOutcome) => void, onTimeout: () => CheckOutcome,
  work: (finish: (outcome: CheckOutcome) => void) => () => void,
): Attempt {
  let settled = false;
  let release: (() => void) | null = null;
  const end = (outcome: CheckOutcome | null, cut: boolean): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (cut && release) release();
    if (outcome) done(outcome);
  };
  const timer = setTimeout(() => end(onTimeout(), true), timeoutMs);
  try {
    release = work((outcome) => {
      // Never from within start(): a work that finishes synchronously reports on the next tick.
      if (release === null) queueMicrotask(() => end(outcome, false));
      else end(outcome, false);
    });
  } catch (err) {
    queueMicrotask(() => end({ ok: false, reason: errorCode(err) }, false));
  }
  return { cancel: () => end(null, true) };
}
