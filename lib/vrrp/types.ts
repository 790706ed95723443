/**
 * VRRPv3 (RFC 5798): the shapes the wire layer (native/vrrp_*.cc, lib/vrrp/socket.ts) and the
 * state machine (lib/vrrp/machine.ts) share. A packet reaches the machine only as an Advert: checked
 * and decoded once, in native code.
 */

export type VrrpFamily = 'inet' | 'inet6';

/** One received (or to-be-sent) advertisement, already checked: version 3, type 1, checksum good, TTL/hop limit 255. */
export interface Advert {
  family: VrrpFamily;
  /** Virtual router id, 1-255. */
  vrid: number;
  /** 0 (the master is leaving), 1-254, or 255 (the address owner). */
  priority: number;
  /** Max advertise interval in centiseconds, 1-4095 (12 bits). */
  intervalCs: number;
  /** The virtual addresses it carries, canonical text (inet_ntop), in packet order. */
  addresses: string[];
  /** The IP source address of the packet (who sent it), canonical text. */
  source: string;
  /** The interface it arrived on (name), set on receive only. */
  interface?: string;
}

/** Why a received packet was dropped before it reached the state machine (counted per reason). */
export type VrrpDropReason =
  | 'short' | 'ttl' | 'version' | 'type' | 'checksum' | 'address-count' | 'length' | 'family' | 'interface'
  /** An interval of 0: no master-down interval can be computed from it. */
  | 'interval';

/** The transport a state machine sends and receives with: a raw socket in production, a fake in unit tests. */
export interface VrrpTransport {
  /** Sends one advertisement out of `interface` (multicast 224.0.0.18 / ff02::12, or to each unicast peer). */
  send(advert: Omit<Advert, 'source' | 'interface'>): Promise<void>;
  /** Called with every advertisement that passed the checks, for every VRID on that interface. */
  onAdvert(listener: (advert: Advert) => void): void;
  /** Called for each dropped packet. */
  onDrop(listener: (reason: VrrpDropReason) => void): void;
  /**
   * Delivers, before it returns, the packets that have arrived and wait unread. A backup calls it when
   * its Master_Down_Timer fires: after a stall (GC, a starved CPU) the timer runs ahead of the master's
   * advert already waiting. Optional: a transport without it delivers on its own schedule.
   */
  drain?(): void;
  close(): Promise<void>;
}

export type VrrpState = 'initialize' | 'backup' | 'master' | 'fault';
