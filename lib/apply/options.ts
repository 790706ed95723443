/** apply()'s options, checked and filled in before anything is read or sent. */
import { IpvsValidationError } from '../errors';
import { MAX_TIMEOUT_MS } from '../call';
import { boolean, integer, onlyKeys, own, plainObject } from '../validate/primitives';
import { drainOf } from '../table/diff';
import type { DrainPredicate } from '../table/types';
import { storeOf } from './ownership';
import type { OwnershipStore } from './types';

export const DEFAULT_DRAIN_TIMEOUT_MS = 300_000;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export interface CheckedApplyOptions {
  dryRun: boolean;
  prune: boolean;
  drain: DrainPredicate;
  drainServices: boolean;
  drainTimeout: number;
  wait: boolean;
  pollInterval: number;
  store: OwnershipStore;
  consistent: boolean;
  timeout: number;
  signal: AbortSignal | null;
}

const KEYS = ['dryRun', 'prune', 'drain', 'drainServices', 'drainTimeout', 'wait', 'pollInterval', 'ownership', 'consistent', 'timeout', 'signal'];

export function applyOptions(options: unknown, owner: object, clientTimeout: number): CheckedApplyOptions {
  const obj = options === undefined ? {} : plainObject(options, 'options');
  onlyKeys(obj, KEYS, 'options');
  const flag = (key: string, fallback: boolean) => {
    const v = own(obj, key);
    return v === undefined ? fallback : boolean(v, `options.${key}`);
  };
  const ms = (key: string, fallback: number, min: number) => {
    const v = own(obj, key);
    return v === undefined ? fallback : integer(v, `options.${key}`, min, MAX_TIMEOUT_MS);
  };
  const prune = flag('prune', false);
  if (prune && own(obj, 'ownership') === undefined)
    throw new IpvsValidationError('options.ownership', undefined, 'a file or a store with prune (what was created earlier must be remembered)');
  const drainTimeout = ms('drainTimeout', DEFAULT_DRAIN_TIMEOUT_MS, 0);
  const signal = own(obj, 'signal');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new IpvsValidationError('options.signal', signal, 'an AbortSignal');
  const wait = flag('wait', false);
  return {
    dryRun: flag('dryRun', false),
    prune,
    drain: drainOf(own(obj, 'drain'), 'options.drain'),
    drainServices: flag('drainServices', false),
    drainTimeout,
    wait,
    pollInterval: ms('pollInterval', DEFAULT_POLL_INTERVAL_MS, 1),
    store: storeOf(own(obj, 'ownership'), owner),
    consistent: flag('consistent', true),
    timeout: ms('timeout', wait ? Math.min(MAX_TIMEOUT_MS, clientTimeout + drainTimeout) : clientTimeout, 1),
    signal: (signal as AbortSignal | undefined) ?? null,
  };
}
