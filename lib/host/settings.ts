/**
 * The host settings LVS needs, as typed names with the ranges the kernel
 * means (it accepts more, then ignores or misreads them): IP forwarding, ARP
 * behaviour, reverse-path filtering, and the IPVS sysctls under net/ipv4/vs.
 */
import { IpvsValidationError } from '../errors';
import { boolean, integer, interfaceName } from '../validate/primitives';

/** A setting to write: its path under /proc/sys and its canonical text. */
export interface SettingChange {
  setting: string;
  value: string;
}

/** An interface whose conf/ directory is meant: a real one, or the scope 'all'. */
export function confScope(value: unknown, field: string, allowAll = false): string {
  if (allowAll && value === 'all') return 'all';
  const name = interfaceName(value, field);
  if (name === 'all' || name === 'default')
    throw new IpvsValidationError(field, value, "an interface name ('all' and 'default' are scopes of the settings, not interfaces)");
  return name;
}

export const ipv4Forwarding = (on: unknown, field = 'ipv4Forwarding'): SettingChange =>
  ({ setting: 'net/ipv4/ip_forward', value: boolean(on, field) ? '1' : '0' });

export const ipv6Forwarding = (on: unknown, field = 'ipv6Forwarding'): SettingChange =>
  ({ setting: 'net/ipv6/conf/all/forwarding', value: boolean(on, field) ? '1' : '0' });

/** 0-3 or 8 (8: never answer); the kernel stores 4-7 and 9 too, meaning nothing. */
export function arpIgnore(scope: string, value: unknown, field = 'arpIgnore'): SettingChange {
  if (value !== 8) integer(value, field, 0, 3);
  return { setting: `net/ipv4/conf/${scope}/arp_ignore`, value: String(value) };
}

export function arpAnnounce(scope: string, value: unknown, field = 'arpAnnounce'): SettingChange {
  return { setting: `net/ipv4/conf/${scope}/arp_announce`, value: String(integer(value, field, 0, 2)) };
}

/** 0 off, 1 strict, 2 loose. */
export function rpFilter(scope: string, value: unknown, field = 'rpFilter'): SettingChange {
  return { setting: `net/ipv4/conf/${scope}/rp_filter`, value: String(integer(value, field, 0, 2)) };
}

type Kind = { bool: true } | { min: number; max: number } | { pair: true };

/** The IPVS sysctls of Linux 6.1 (Documentation/networking/ipvs-sysctl.rst), by typed name. */
export const IPVS_SYSCTLS = {
  amDropRate: ['am_droprate', { min: 0, max: 0x7fffffff }],
  amemThreshold: ['amemthresh', { min: 0, max: 0x7fffffff }],
  backupOnly: ['backup_only', { bool: true }],
  cacheBypass: ['cache_bypass', { bool: true }],
  connReuseMode: ['conn_reuse_mode', { min: 0, max: 3 }],
  conntrack: ['conntrack', { bool: true }],
  dropEntry: ['drop_entry', { min: 0, max: 3 }],
  dropPacket: ['drop_packet', { min: 0, max: 3 }],
  expireNodestConn: ['expire_nodest_conn', { bool: true }],
  expireQuiescentTemplate: ['expire_quiescent_template', { bool: true }],
  ignoreTunneled: ['ignore_tunneled', { bool: true }],
  natIcmpSend: ['nat_icmp_send', { bool: true }],
  pmtuDisc: ['pmtu_disc', { bool: true }],
  runEstimation: ['run_estimation', { bool: true }],
  scheduleIcmp: ['schedule_icmp', { bool: true }],
  secureTcp: ['secure_tcp', { min: 0, max: 3 }],
  sloppySctp: ['sloppy_sctp', { bool: true }],
  sloppyTcp: ['sloppy_tcp', { bool: true }],
  snatReroute: ['snat_reroute', { bool: true }],
  syncPersistMode: ['sync_persist_mode', { min: 0, max: 1 }],
  syncPorts: ['sync_ports', { min: 1, max: 0x7fffffff }],
  syncQlenMax: ['sync_qlen_max', { min: 1, max: 0x7fffffff }],
  syncRefreshPeriod: ['sync_refresh_period', { min: 0, max: 0x7fffffff }],
  syncRetries: ['sync_retries', { min: 0, max: 3 }],
  syncSockSize: ['sync_sock_size', { min: 0, max: 0x7fffffff }],
  syncThreshold: ['sync_threshold', { pair: true }],
  syncVersion: ['sync_version', { min: 0, max: 1 }],
} as const satisfies Record<string, readonly [string, Kind]>;

export type IpvsSysctlName = keyof typeof IPVS_SYSCTLS;
type ValueOf<K> = K extends { bool: true } ? boolean : K extends { pair: true } ? [threshold: number, period: number] : number;
/** Typed IPVS settings: booleans for on/off ones, numbers, and [threshold, period] for syncThreshold. */
export type IpvsSysctls = { -readonly [N in IpvsSysctlName]?: ValueOf<(typeof IPVS_SYSCTLS)[N][1]> };

export function ipvsSysctlChange(name: string, value: unknown, field: string): SettingChange {
  const entry = (IPVS_SYSCTLS as Record<string, readonly [string, Kind]>)[name];
  if (!entry) throw new IpvsValidationError(field, value, `a known IPVS setting name (not ${JSON.stringify(name)})`);
  const [file, kind] = entry;
  const setting = `net/ipv4/vs/${file}`;
  if ('bool' in kind) return { setting, value: boolean(value, field) ? '1' : '0' };
  if ('pair' in kind) {
    // The kernel keeps the old pair unless 0 <= threshold < period.
    if (!Array.isArray(value) || value.length !== 2) throw new IpvsValidationError(field, value, '[threshold, period]');
    const period = integer(value[1], `${field}[1]`, 1, 0x7fffffff);
    const threshold = integer(value[0], `${field}[0]`, 0, period - 1);
    return { setting, value: `${threshold} ${period}` };
  }
  return { setting, value: String(integer(value, field, kind.min, kind.max)) };
}

/** The typed value of an IPVS setting from its file's text. */
export function ipvsSysctlValue(name: IpvsSysctlName, text: string): boolean | number | [number, number] {
  const kind = IPVS_SYSCTLS[name][1] as Kind;
  if ('bool' in kind) return text !== '0';
  if ('pair' in kind) {
    const [a, b] = text.split(' ').map(Number);
    return [a, b];
  }
  return Number(text);
}
