/**
 * One real server's health as keepalived keeps it, without timers: the monitor feeds it each
 * check's outcome (after the check's retries) and it answers whether the server went up or down.
 *
 * - With alpha, a server starts down and its first good check brings it up (no `rise` wait); without,
 *   it starts up and takes `fall` failed checks to go down like any other: one slow answer while the
 *   director starts must not take a live server out (keepalived keeps it too).
 * - After that, `rise` good checks in a row bring a down server up, `fall` failed ones take an up
 *   server down (hysteresis: one odd result changes nothing).
 * - A good check with a weight (exec's dynamic weight) sets the weight; one without sets it back
 *   to the configured weight.
 */
import type { FilledHealthCheckSpec } from './spec';
import type { CheckOutcome, HealthState } from './types';

export interface StateChange {
  from: HealthState;
  to: HealthState;
  /** When the server had entered `from`. */
  since: number;
}

export class ServerState {
  state: HealthState;
  /** The weight while up: the configured one, or the last dynamic weight. */
  upWeight: number;
  reason: string;
  checkedAt: number | null = null;
  since: number;
  /** Good and failed checks in a row. */
  private goodRun = 0;
  private badRun = 0;
  private hasRun = false;

  constructor(private readonly spec: Pick<FilledHealthCheckSpec, 'rise' | 'fall' | 'alpha' | 'type'>, public configuredWeight: number, now: number) {
    const unchecked = spec.type === 'none';
    this.state = spec.alpha && !unchecked ? 'down' : 'up';
    this.upWeight = configuredWeight;
    this.since = now;
    this.reason = unchecked ? 'not checked' : spec.alpha ? 'alpha: down until a good check' : 'not checked yet';
  }

  /** The weight health gives the server now: 0 when down. */
  get weight(): number {
    return this.state === 'up' ? this.upWeight : 0;
  }

  /** A new configured weight (a reload): a dynamic weight, if any, stays until the next check. */
  reconfigure(weight: number, dynamic: boolean): void {
    if (!dynamic || this.upWeight === this.configuredWeight) this.upWeight = weight;
    this.configuredWeight = weight;
  }

  /** One check's result (its last attempt's outcome). Returns the change of state, if any. */
  record(outcome: CheckOutcome, at: number): StateChange | null {
    this.reason = outcome.reason;
    this.checkedAt = at;
    const first = !this.hasRun;
    this.hasRun = true;
    if (outcome.ok) {
      this.goodRun++;
      this.badRun = 0;
      this.upWeight = outcome.weight ?? this.configuredWeight;
      if (this.state === 'down' && (first || this.goodRun >= this.spec.rise)) return this.move('up', at);
    } else {
      this.badRun++;
      this.goodRun = 0;
      if (this.state === 'up' && this.badRun >= this.spec.fall) return this.move('down', at);
    }
    return null;
  }

  private move(to: HealthState, at: number): StateChange {
    const change = { from: this.state, to, since: this.since };
    this.state = to;
    this.since = at;
    return change;
  }
}
