/** The HealthMonitor's options: custom checkers by name, the clock, the warm-up's randomness; validated. */
import { IpvsValidationError } from '../errors';
import { plainObject } from '../validate/primitives';
import { BUILTIN_CHECK_TYPES } from './spec';
import type { Checker, HealthCheckSpec } from './types';

/** Time as the monitor reads it; a fake one makes the schedule testable. */
export interface HealthClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthMonitorOptions {
  /** Custom check types by name: `{ mycheck: (spec) => ({ check: async (target, timeoutMs, signal) => … }) }`. */
  checkers?: Record<string, (spec: HealthCheckSpec) => Checker>;
  clock?: HealthClock;
  /** [0, 1), for the warm-up delays. Default Math.random. */
  random?: () => number;
}

export interface MonitorSettings {
  checkers: Readonly<Record<string, (spec: HealthCheckSpec) => Checker>>;
  clock: HealthClock;
  random: () => number;
}

/** Globals looked up at each call, so fake timers installed after construction still apply. */
const SYSTEM_CLOCK: HealthClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const CUSTOM_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Options as given, own properties only, each checked; IpvsValidationError naming the field. */
export function monitorSettings(options: unknown): MonitorSettings {
  const opts = plainObject(options, 'options');
  const checkers = Object.hasOwn(opts, 'checkers') ? opts.checkers : undefined;
  const clock = Object.hasOwn(opts, 'clock') ? opts.clock : undefined;
  if (clock !== undefined && !isClock(clock))
    throw new IpvsValidationError('options.clock', clock, 'an object with now(), setTimeout(fn, ms) and clearTimeout(handle)');
  const random = Object.hasOwn(opts, 'random') ? opts.random : undefined;
  if (random !== undefined && typeof random !== 'function') throw new IpvsValidationError('options.random', random, 'a function returning [0, 1)');
  return {
    checkers: checkers === undefined ? {} : customCheckers(checkers),
    clock: clock ?? SYSTEM_CLOCK,
    random: (random as (() => number) | undefined) ?? Math.random,
  };
}

function customCheckers(value: unknown): Record<string, (spec: HealthCheckSpec) => Checker> {
  const obj = plainObject(value, 'options.checkers');
  const out: Record<string, (spec: HealthCheckSpec) => Checker> = Object.create(null);
  for (const name of Object.keys(obj)) {
    const field = `options.checkers.${name}`;
    if (!CUSTOM_NAME.test(name) || (BUILTIN_CHECK_TYPES as readonly string[]).includes(name) || Object.hasOwn(Object.prototype, name))
      throw new IpvsValidationError(field, obj[name], 'a name of lowercase letters, digits, "_" or "-" that is not a built-in type');
    if (typeof obj[name] !== 'function') throw new IpvsValidationError(field, obj[name], 'a function (spec) => Checker');
    out[name] = obj[name] as (spec: HealthCheckSpec) => Checker;
  }
  return out;
}

function isClock(value: unknown): value is HealthClock {
  const c = value as HealthClock | null;
  return typeof c === 'object' && c !== null && typeof c.now === 'function' && typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function';
}
