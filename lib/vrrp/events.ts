/** What a virtual router tells its listeners (machine.on(…)): one event per transition, and what went wrong. */
import type { Advert, VrrpState } from './types';

/**
 * Why a transition happened:
 * - startup: start() (to backup, or to fault when a weight-0 input is down)
 * - owner: priority 255, master at once (at start or on recovery)
 * - master-down: Master_Down_Timer fired (the master stopped sending, or a preempting backup ignored a lower one)
 * - master-left: the same timer after the master's priority-0 advert (only Skew_Time later)
 * - higher-priority: a master heard a higher priority (or an equal one from a greater address)
 * - track: a weight-0 tracked input went down (detail: its names)
 * - effect-failed: becomeMaster() failed (detail: the error); the router stays in fault for effectRetry
 * - recovered: out of fault (inputs up again, or effectRetry passed)
 * - shutdown: stop()
 */
export type VrrpTransitionReason =
  | 'startup' | 'owner' | 'master-down' | 'master-left' | 'higher-priority' | 'track' | 'effect-failed' | 'recovered' | 'shutdown';

export interface VrrpTransition {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  reason: VrrpTransitionReason;
  detail?: string;
  /** The clock's now() at the transition. */
  time: number;
  /** The router's effective priority then. */
  priority: number;
}

export interface VrrpPriorityChange {
  instance: string;
  from: number;
  to: number;
  /** The tracked input whose report changed it. */
  input: string;
  time: number;
}

export type VrrpEffectName = 'becomeMaster' | 'leaveMaster' | 'announce';

export interface VrrpEffectError {
  instance: string;
  effect: VrrpEffectName;
  error: unknown;
  time: number;
}

export interface VrrpSendError {
  instance: string;
  priority: number;
  error: unknown;
  time: number;
}

/** An advert with our VRID but other addresses: reported when the difference first appears or changes. */
export interface VrrpAddressMismatch {
  instance: string;
  source: string;
  /** Ours that the advert lacks. */
  missing: string[];
  /** The advert's that are not ours. */
  extra: string[];
  time: number;
  advert: Advert;
}

export interface VrrpMachineEvents {
  transition: [VrrpTransition];
  priority: [VrrpPriorityChange];
  'effect-error': [VrrpEffectError];
  'send-error': [VrrpSendError];
  'address-mismatch': [VrrpAddressMismatch];
}
