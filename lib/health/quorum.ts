/**
 * A service's quorum as keepalived decides it: up while the sum of its healthy servers' weights
 * holds; lost below min - hysteresis, regained at min + hysteresis (so a sum wavering around min
 * does not flap the sorry server in and out).
 */
import type { FilledQuorumSpec } from './spec';

export class QuorumState {
  up: boolean;
  weight: number;

  /** The first decision has no history: up iff the sum reaches min. */
  constructor(public spec: FilledQuorumSpec, weight: number) {
    this.weight = weight;
    this.up = weight >= spec.min;
  }

  /** The new sum; true when the quorum changed. */
  update(weight: number): boolean {
    this.weight = weight;
    const { min, hysteresis } = this.spec;
    if (this.up && weight < min - hysteresis) this.up = false;
    else if (!this.up && weight >= min + hysteresis) this.up = true;
    else return false;
    return true;
  }
}
