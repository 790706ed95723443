/** Per-call options, deadlines and native rejections, shared by the client's methods. */
import { constants as os } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NativeError } from './binding';
import { STAGE_NOT_SENT } from './errors';
import type { CallOptions } from './types';
import { integer, onlyKeys, own, plainObject } from './validate/primitives';

export const MAX_TIMEOUT_MS = 0x7fffffff;
/** A call's deadline when the caller gives none (clients, and the host helpers' rtnetlink calls). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export function timeoutOf(options: CallOptions | undefined, fallback: number, field = 'options.timeout'): number {
  if (options === undefined) return fallback;
  const obj = plainObject(options, 'options');
  onlyKeys(obj, ['timeout'], 'options');
  const timeout = own(obj, 'timeout');
  return timeout === undefined ? fallback : integer(timeout, field, 1, MAX_TIMEOUT_MS);
}

/** Operations per native call of a batch (restore's chunk too): about what one sendmsg carries. */
export const SEND_CHUNK = 512;

/**
 * A call's deadline: the caller's wall-clock promise, running from the moment the
 * call is made, through its wait in the client's queue, to the kernel's last answer.
 * Monotonic (a clock step does not move it).
 */
export class Deadline {
  /** When it passes, in performance.now() milliseconds. */
  readonly at: number;

  /** ms: the whole time the caller gave, for messages. */
  constructor(readonly ms: number) {
    this.at = performance.now() + ms;
  }

  /** Whole milliseconds left for the native layer (which takes at least 1), or 0 once passed. */
  left(): number {
    const rest = this.remaining();
    return rest <= 0 ? 0 : Math.max(1, Math.floor(rest));
  }

  /**
   * Milliseconds left for the next exchange with the kernel. Once the deadline has passed it
   * throws as the native layer would (ETIMEDOUT), before anything more is sent.
   */
  budget(): number {
    const ms = this.left();
    if (ms === 0) throw Object.assign(new Error('deadline passed'), { errno: os.errno.ETIMEDOUT, stage: STAGE_NOT_SENT });
    return ms;
  }

  /** Milliseconds left, fractional; 0 or less once passed. */
  remaining(): number {
    return this.at - performance.now();
  }
}

export function deadlineOf(options: CallOptions | undefined, fallback: number): Deadline {
  return new Deadline(timeoutOf(options, fallback));
}

export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as NativeError).errno === 'number';
}
