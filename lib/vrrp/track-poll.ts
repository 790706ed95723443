/**
 * A tracked input read by polling a function (keepalived's vrrp_script, or any user hook): run every
 * `interval` after the previous run ended, a run that takes longer than `timeout` or throws counts
 * as a failure, and the input goes down after `fall` failures in a row and up after `rise` successes.
 * Each change is reported to the machine's setTracked().
 */
import { IpvsValidationError } from '../errors';
import { duration } from '../health/duration';
import { boolean, integer, onlyKeys, own, plainObject } from '../validate/primitives';
import { systemClock, type VrrpClock } from './clock';

export interface TrackHook {
  /** The tracked input's name in the machine's options. */
  name: string;
  /** true: up. May be async; a throw or a rejection is a failure. */
  check: () => boolean | Promise<boolean>;
  /** ms between the end of a run and the next. Default 1000. */
  interval?: number;
  /** ms a run may take. Default the interval. */
  timeout?: number;
  /** Successes in a row to go up. Default 1. */
  rise?: number;
  /** Failures in a row to go down. Default 1. */
  fall?: number;
  /** The state before the first run (the machine's TrackSpec.up). Default true. */
  up?: boolean;
}

export interface TrackTarget {
  setTracked(name: string, up: boolean): void;
}

type Checked = Required<TrackHook>;

function checkHook(value: unknown, field: string): Checked {
  const obj = plainObject(value, field);
  onlyKeys(obj, ['name', 'check', 'interval', 'timeout', 'rise', 'fall', 'up'], field);
  const name = own(obj, 'name');
  if (typeof name !== 'string' || name === '') throw new IpvsValidationError(`${field}.name`, name, 'the tracked input\'s name');
  const check = own(obj, 'check');
  if (typeof check !== 'function') throw new IpvsValidationError(`${field}.check`, check, 'a function returning true (up) or false');
  const opt = <T>(key: string, judge: (v: unknown, f: string) => T, fallback: T): T => {
    const v = own(obj, key);
    return v === undefined ? fallback : judge(v, `${field}.${key}`);
  };
  const interval = opt('interval', (v, f) => duration(v, f, 10, 3_600_000), 1000);
  return {
    name, check: check as Checked['check'], interval,
    timeout: opt('timeout', (v, f) => duration(v, f, 1, 3_600_000), interval),
    rise: opt('rise', (v, f) => integer(v, f, 1, 100), 1),
    fall: opt('fall', (v, f) => integer(v, f, 1, 100), 1),
    up: opt('up', boolean, true),
  };
}

export class TrackPoller {
  private readonly hook: Checked;
  private up: boolean;
  private successes = 0;
  private failures = 0;
  private timer: unknown = null;
  /** Bumped by stop(): a run that ends after it reports nothing. */
  private term = 0;
  private running = false;

  constructor(private readonly target: TrackTarget, hook: TrackHook, private readonly clock: VrrpClock = systemClock) {
    this.hook = checkHook(hook, 'hook');
    this.up = this.hook.up;
  }

  get state(): boolean {
    return this.up;
  }

  /** The first run is at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.run(this.term);
  }

  stop(): void {
    this.running = false;
    this.term++;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private run(term: number): void {
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      if (deadline !== null) this.clock.clearTimeout(deadline);
      if (term !== this.term) return;
      this.record(ok);
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        if (term === this.term) this.run(term);
      }, this.hook.interval);
    };
    const deadline: unknown = this.clock.setTimeout(() => finish(false), this.hook.timeout);
    let result: Promise<boolean>;
    try {
      result = Promise.resolve(this.hook.check());
    } catch {
      result = Promise.resolve(false);
    }
    result.then((ok) => finish(ok === true), () => finish(false));
  }

  private record(ok: boolean): void {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.up && this.successes >= this.hook.rise) this.change(true);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.up && this.failures >= this.hook.fall) this.change(false);
    }
  }

  private change(up: boolean): void {
    this.up = up;
    this.target.setTracked(this.hook.name, up);
  }
}
