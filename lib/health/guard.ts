/**
 * A custom checker's attempt, held to the Checker contract: cut off if it does not settle by its
 * timeout (plus a grace), a throw or a malformed result turned into a failed attempt with a reason.
 * The built-in checkers bound themselves and run without this.
 */
import { ABORTED, errorCode, type Probe } from './checkers/attempt';
import type { HealthClock } from './options';
import type { Checker, CheckOutcome, CheckTarget } from './types';

/** A checker that never settles is cut off this long after its timeout (the contract says it must settle). */
const SETTLE_GRACE_MS = 50;
const CUSTOM_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** A custom checker as the monitor runs it: each attempt guarded, with a signal its cancel aborts. */
export function guardedProbe(checker: Checker, clock: HealthClock): Probe {
  return {
    start(target, timeoutMs, done) {
      const abort = new AbortController();
      guardedAttempt(checker, target, timeoutMs, abort.signal, clock).then((outcome) => {
        if (!abort.signal.aborted) done(outcome);
      });
      return { cancel: () => abort.abort() };
    },
  };
}

export function guardedAttempt(
  checker: Checker, target: CheckTarget, timeoutMs: number, signal: AbortSignal, clock: HealthClock,
): Promise<CheckOutcome> {
  const inner = new AbortController();
  const onAbort = (): void => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  return new Promise<CheckOutcome>((resolve) => {
    let done = false;
    const settle = (o: CheckOutcome): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(guard);
      signal.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const guard = clock.setTimeout(() => {
      settle({ ok: false, reason: `timeout after ${timeoutMs} ms` });
      inner.abort();
    }, timeoutMs + SETTLE_GRACE_MS);
    inner.signal.addEventListener('abort', () => settle(ABORTED), { once: true });
    let pending: Promise<CheckOutcome>;
    try {
      pending = Promise.resolve(checker.check(target, timeoutMs, inner.signal));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (o) => settle(validOutcome(o)),
      (err: unknown) => settle({ ok: false, reason: `checker failed: ${errorCode(err)}` }),
    );
  });
}

/** What a (custom) checker resolved with, made safe to keep and show. */
function validOutcome(o: unknown): CheckOutcome {
  if (typeof o !== 'object' || o === null || typeof (o as CheckOutcome).ok !== 'boolean')
    return { ok: false, reason: 'checker returned no { ok, reason }' };
  const { ok, reason, weight } = o as CheckOutcome;
  const out: CheckOutcome = { ok, reason: typeof reason === 'string' ? reason.slice(0, 200) : ok ? 'ok' : 'failed' };
  if (ok && typeof weight === 'number' && Number.isInteger(weight) && weight >= 0 && weight <= 0x7fffffff) out.weight = weight;
  return out;
}

