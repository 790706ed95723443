/**
 * The `vrrp:` section of a config file: the virtual routers this director takes part in and the
 * connection sync daemon they drive (docs/config.md "VRRP", docs/failover.md). The shapes here are
 * what reading gives, defaults filled; the router's own fields are judged by lib/vrrp/options.ts,
 * the sync daemon's by the client's validator, so the file takes exactly what they take.
 */
import type { IpvsSysctls } from '../host/settings';
import type { DaemonState, ServiceKey } from '../types';
import type { GarpSettings } from '../vrrp/options';
import type { VrrpFamily } from '../vrrp/types';

/** A virtual address and the prefix it is added with (default /32 or /128). */
export interface VrrpVip {
  address: string;
  prefix: number;
}

/** keepalived's track_script: a program run every `interval`, up after `rise` successes (exit 0), down after `fall` failures. */
export interface VrrpScriptTrack {
  kind: 'script';
  /** The tracked input's name for the state machine: `script PROGRAM ARGS…`. */
  name: string;
  command: string[];
  weight: number;
  /** ms between runs. Default 1000. */
  interval: number;
  /** ms a run may take before it counts as a failure. Default the interval. */
  timeout: number;
  rise: number;
  fall: number;
}

/** keepalived's track_interface: down when the link is down (or the interface is gone). */
export interface VrrpInterfaceTrack {
  kind: 'interface';
  /** `interface NAME`. */
  name: string;
  interface: string;
  weight: number;
}

/** A service of this file whose health quorum is tracked: down when it lost its quorum. */
export interface VrrpServiceTrack {
  kind: 'service';
  /** `service tcp 192.0.2.10:80` (the service's canonical spelling). */
  name: string;
  service: ServiceKey;
  weight: number;
}

export type VrrpTrack = VrrpScriptTrack | VrrpInterfaceTrack | VrrpServiceTrack;

export interface VrrpInstanceConfig {
  /** keepalived's vrrp_instance name: unique in the file. */
  name: string;
  interface: string;
  vrid: number;
  family: VrrpFamily;
  /** 1-254, or 255 for the address owner. Default 100. */
  priority: number;
  /** Advertisement interval, ms (whole centiseconds). Default 1000. */
  interval: number;
  /** Default true. */
  preempt: boolean;
  /** ms. Default 0. */
  preemptDelay: number;
  /** Accept_Mode. Default true (a load balancer must take the traffic sent to its VIPs). */
  accept: boolean;
  vips: VrrpVip[];
  /** The adverts' source (keepalived's unicast_src_ip); null: the interface's primary address. */
  source: string | null;
  /** Unicast peers (keepalived's unicast_peer); empty: multicast (224.0.0.18 / ff02::12). */
  peers: string[];
  garp: GarpSettings;
  track: VrrpTrack[];
  /** Programs run on entering master, backup, fault (keepalived's notify_master, …): the program and its first arguments. */
  notifyMaster?: string[];
  notifyBackup?: string[];
  notifyFault?: string[];
}

export type VrrpDaemonPlan = Record<'master' | 'backup' | 'fault', DaemonState[]>;

/** keepalived's lvs_sync_daemon: the kernel's connection sync daemons, switched with one instance's state. */
export interface VrrpSyncConfig {
  /** The instance whose state drives the daemons. Default: the only instance. */
  instance: string;
  /** The interface the sync messages go out on / are read from. */
  interface: string;
  /** 0-255. Default the instance's vrid (as keepalived). */
  syncId: number;
  /** Which daemons run in each state (`mode` in the file names a plan). Default 'both': both daemons in every state. */
  run: VrrpDaemonPlan;
  /**
   * IPVS sysctls of the namespace set before the daemons start (docs/failover.md says which matter and
   * why): only those named here, each as the host helpers take it. Default none (the kernel's values).
   */
  settings: IpvsSysctls;
  maxLength?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export interface VrrpSettings {
  instances: VrrpInstanceConfig[];
  /** null: no sync daemon is run. */
  sync: VrrpSyncConfig | null;
}

export const VRRP_FIELDS = ['instances', 'sync'] as const;
export const VRRP_INSTANCE_FIELDS = [
  'name', 'interface', 'vrid', 'family', 'priority', 'interval', 'preempt', 'preemptDelay', 'accept', 'vips', 'source', 'peers',
  'garp', 'track', 'notifyMaster', 'notifyBackup', 'notifyFault',
] as const;
export const VRRP_TRACK_FIELDS = ['interface', 'service', 'script', 'weight', 'interval', 'timeout', 'rise', 'fall'] as const;
export const VRRP_SYNC_FIELDS = ['instance', 'interface', 'syncId', 'mode', 'run', 'settings', 'maxLength', 'group', 'port', 'ttl'] as const;
/** The IPVS sysctls `sync.settings` may set: what is synced and when, and how a backup takes over unsynced connections. */
export const VRRP_SYNC_SETTINGS = [
  'syncThreshold', 'syncRefreshPeriod', 'syncRetries', 'syncPersistMode', 'syncQlenMax', 'syncSockSize', 'syncPorts', 'syncVersion', 'sloppyTcp', 'sloppySctp',
] as const;
export const VRRP_RUN_FIELDS = ['master', 'backup', 'fault'] as const;

export function defaultVrrpSettings(): VrrpSettings {
  return { instances: [], sync: null };
}

/** How the sync daemons follow the VRRP state: `'both'` runs both in every state, `'follow'` is keepalived's switch. */
export type SyncMode = 'both' | 'follow';

/** The plans the modes stand for (`sync.run` may give any other). */
export const SYNC_PLANS: Readonly<Record<SyncMode, Readonly<VrrpDaemonPlan>>> = Object.freeze({
  both: Object.freeze({ master: ['master', 'backup'], backup: ['master', 'backup'], fault: ['master', 'backup'] }),
  follow: Object.freeze({ master: ['master'], backup: ['backup'], fault: ['backup'] }),
} as Record<SyncMode, VrrpDaemonPlan>);

export function planOf(mode: SyncMode): VrrpDaemonPlan {
  const p = SYNC_PLANS[mode];
  return { master: [...p.master], backup: [...p.backup], fault: [...p.fault] };
}

/**
 * 'both': measured in the failover lab (docs/lab.md), a director that comes back keeps the connections
 * opened while it was away only if its backup daemon ran meanwhile, and with 'follow' a killed master's
 * kernel runs only its master daemon.
 */
export function defaultDaemonPlan(): VrrpDaemonPlan {
  return planOf('both');
}

/** keepalived.conf's vrrp words -> the field here (fields.ts's unknown-field message uses them). */
export const VRRP_KEEPALIVED_WORDS: readonly (readonly [string, string])[] = [
  ['vrrp_instance', 'instances'], ['vrrp_sync_group', 'instances'], ['lvs_sync_daemon', 'sync'], ['virtual_router_id', 'vrid'],
  ['advert_int', 'interval'], ['nopreempt', 'preempt'], ['preempt_delay', 'preemptDelay'], ['no_accept', 'accept'],
  ['virtual_ipaddress', 'vips'], ['virtual_ipaddress_excluded', 'vips'], ['unicast_src_ip', 'source'], ['unicast_peer', 'peers'],
  ['track_script', 'track'], ['track_interface', 'track'], ['track_process', 'track'], ['notify_master', 'notifyMaster'],
  ['notify_backup', 'notifyBackup'], ['notify_fault', 'notifyFault'], ['garp_master_delay', 'garp.delay|delay'],
  ['garp_master_repeat', 'garp.repeat|repeat'], ['garp_master_refresh', 'garp.refresh|refresh'],
  ['garp_master_refresh_repeat', 'garp.refreshRepeat|refreshRepeat'], ['garp_interval', 'garp.interval|interval'],
  ['state', 'priority'], ['dont_track_primary', 'track'], ['syncid', 'syncId'], ['id', 'syncId|vrid'], ['maxlen', 'maxLength'],
  ['virtual_ips', 'vips'], ['addresses', 'vips'], ['unicast_peers', 'peers'],
];
