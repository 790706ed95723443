/**
 * The host settings LVS needs, as typed names with the ranges the kernel
 * means (it accepts more, then ignores or misreads them): IP forwarding, ARP
 * behaviour, reverse-path filtering, and the IPVS sysctls under net/ipv4/vs.
 */
import { IpvsValidationError } from '../errors';
import { boolean, integer, interfaceName, onlyKeys, plainObject } from '../validate/primitives';

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

/**
 * ICMP redirects from a router (the director) to a host on the segment a packet came from. The
 * kernel sends them when conf/all OR conf/IFACE says so, so turning them off means 0 on both.
 */
export const sendRedirects = (scope: string, on: boolean): SettingChange =>
  ({ setting: `net/ipv4/conf/${scope}/send_redirects`, value: on ? '1' : '0' });

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
  // Own names only: 'constructor', 'toString' and '__proto__' are bad names like any other.
  if (!Object.hasOwn(IPVS_SYSCTLS, name)) throw new IpvsValidationError(field, value, `a known IPVS setting name (not ${JSON.stringify(name)})`);
  const [file, kind] = IPVS_SYSCTLS[name as IpvsSysctlName] as readonly [string, Kind];
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

/** IPVS setting files by file name, with how many numbers each holds. */
const IPVS_FILES = new Map<string, Kind>(Object.values(IPVS_SYSCTLS).map(([file, kind]) => [file, kind]));
/** The per-interface files the helpers write under net/ipv4/conf/SCOPE/. */
const CONF_FILES = new Set(['arp_ignore', 'arp_announce', 'rp_filter', 'send_redirects']);
const INT = /^-?\d{1,10}$/;

/** How many numbers a setting these helpers write holds (1, or 2 for sync_threshold); 0 for any other path. */
function numbersIn(setting: string): number {
  if (setting === 'net/ipv4/ip_forward' || setting === 'net/ipv6/conf/all/forwarding') return 1;
  const parts = setting.split('/');
  if (parts.length === 4 && parts[0] === 'net' && parts[1] === 'ipv4' && parts[2] === 'vs') {
    const kind = IPVS_FILES.get(parts[3]);
    return kind === undefined ? 0 : 'pair' in kind ? 2 : 1;
  }
  if (parts.length === 5 && parts[0] === 'net' && parts[1] === 'ipv4' && parts[2] === 'conf' && CONF_FILES.has(parts[4])) {
    try {
      confScope(parts[3], 'setting', true);
    } catch {
      return 0;
    }
    return 1;
  }
  return 0;
}

/**
 * A setting and value read back from an undo record (which may come from a file): the
 * setting must be one these helpers write, named as they name it (interface names checked as
 * in apply), so a record can never point a write anywhere else. The value is what undo puts
 * back, i.e. what the kernel held before apply: the file's own form (one whole number, two for
 * sync_threshold), not apply's narrower ranges (a defense mode the kernel set to 2 itself, an
 * arp_ignore someone set to 5, are still put back as found).
 */
export function recordedChange(value: unknown, field: string): SettingChange {
  const o = plainObject(value, field);
  onlyKeys(o, ['setting', 'value'], field);
  const { setting, value: text } = o;
  const want = typeof setting === 'string' && setting.length <= 64 ? numbersIn(setting) : 0;
  if (want === 0)
    throw new IpvsValidationError(`${field}.setting`, setting, 'a setting these helpers write (net/ipv4/ip_forward, net/ipv6/conf/all/forwarding, net/ipv4/conf/IFACE/arp_ignore|arp_announce|rp_filter|send_redirects, net/ipv4/vs/NAME)');
  const numbers = typeof text === 'string' ? text.split(' ') : [];
  if (numbers.length !== want || !numbers.every((n) => INT.test(n) && String(Number(n)) === n && Math.abs(Number(n)) <= 0x7fffffff))
    throw new IpvsValidationError(`${field}.value`, text, want === 2 ? 'two whole numbers separated by a space, as the kernel shows them' : 'a whole number, as the kernel shows it');
  return { setting: setting as string, value: text as string };
}
