/**
 * Time for the state machine, injected: the RFC's timers run on a fake clock in unit tests, so a
 * test can assert that a backup took over at exactly Master_Down_Interval. The same shape as the
 * director's clock (lib/director/types.ts DirectorClock), so one clock can drive both.
 */
export interface VrrpClock {
  /** Milliseconds on a monotonic scale (fractions allowed). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: VrrpClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
