/**
 * Durations as health settings take them: a number of milliseconds, or text with a unit ('500ms',
 * '1s', '2m', '1h', '1d'; '1.5s' too), the way keepalived's and the config file's users write them.
 */
import { IpvsValidationError } from '../errors';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration in whole milliseconds from min to max; IpvsValidationError naming the field otherwise. */
export function duration(value: unknown, field: string, min: number, max: number): number {
  const expected = `a duration from ${showMs(min)} to ${showMs(max)} (milliseconds, or text like '500ms', '1s', '2m')`;
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && value.length <= 32 && DURATION.test(value)) {
    const [, amount, unit] = DURATION.exec(value) as RegExpExecArray;
    // Object.hasOwn is implied: DURATION only lets the five unit names through.
    ms = Number(amount) * UNIT_MS[unit];
  } else throw new IpvsValidationError(field, value, expected);
  if (!Number.isInteger(ms) || ms < min || ms > max) throw new IpvsValidationError(field, value, expected);
  return ms;
}

/** '1500 ms', '2 s': for messages. */
export function showMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
