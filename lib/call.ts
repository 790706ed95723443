/** Per-call options and native rejections, shared by the client's methods. */
import type { NativeError } from './binding';
import type { CallOptions } from './types';
import { integer, onlyKeys, plainObject } from './validate/primitives';

export const MAX_TIMEOUT_MS = 0x7fffffff;

export function timeoutOf(options: CallOptions | undefined, fallback: number, field = 'options.timeout'): number {
  if (options === undefined) return fallback;
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['timeout'], 'options');
  return obj.timeout === undefined ? fallback : integer(obj.timeout, field, 1, MAX_TIMEOUT_MS);
}

export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as NativeError).errno === 'number';
}
