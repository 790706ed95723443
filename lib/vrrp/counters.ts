/** What a virtual router counts, for metrics: plain numbers, read with machine.counters. */
import type { VrrpDropReason } from './types';

/**
 * Why the machine itself set an advert aside (after the wire layer's checks): another family than
 * the router's, its own source address, an interval of 0.
 */
export type VrrpMachineDropReason = 'family' | 'own-address' | 'interval';

export interface VrrpCounters {
  advertsSent: number;
  /** Adverts with this router's VRID that reached the state machine. */
  advertsReceived: number;
  /** Sends the transport refused (each also a 'send-error' event). */
  sendErrors: number;
  priorityZeroSent: number;
  priorityZeroReceived: number;
  /** Adverts for other VRIDs on the same transport: ignored, as RFC 5798 §7.1 says. */
  otherVrid: number;
  /** Adverts with our VRID whose address list differs from ours: still processed (keepalived's addr_list_err). */
  addressListErrors: number;
  /** The wire layer's drops (as the transport reports them: every router on one transport sees the same) and the machine's. */
  drops: Partial<Record<VrrpDropReason | VrrpMachineDropReason, number>>;
  becameMaster: number;
  transitions: number;
  /** becomeMaster / leaveMaster / announce calls that failed. */
  effectErrors: number;
}

export function newCounters(): VrrpCounters {
  return {
    advertsSent: 0, advertsReceived: 0, sendErrors: 0, priorityZeroSent: 0, priorityZeroReceived: 0, otherVrid: 0,
    addressListErrors: 0, drops: {}, becameMaster: 0, transitions: 0, effectErrors: 0,
  };
}
