/**
 * The director of an LVS cluster: IP forwarding (NAT replies and routing go
 * through it), ICMP redirects off where it routes a packet back out the
 * interface it came in on (a one-network NAT cluster), and the IPVS sysctls,
 * as typed settings with apply, undo and status. (The VIP on an interface
 * comes with the rtnetlink helpers.)
 */
import { IpvsValidationError } from '../errors';
import { onlyKeys, plainObject } from '../validate/primitives';
import { applyChanges, nsOnlyScope, scopeOf, undoChanges, type HostOptions, type UndoRecord } from './changes';
import {
  IPVS_SYSCTLS, confScope, ipv4Forwarding, ipv6Forwarding, ipvsSysctlChange, ipvsSysctlValue, sendRedirects,
  type IpvsSysctlName, type IpvsSysctls, type SettingChange,
} from './settings';
import { effectiveConf, readSetting } from './sysctl';

export interface DirectorOptions extends HostOptions {
  /** Default true: NAT needs it, and routing replies back to clients. */
  ipv4Forwarding?: boolean;
  /** Default false. */
  ipv6Forwarding?: boolean;
  /** IPVS settings to change (omitted ones are left alone). */
  ipvs?: IpvsSysctls;
  /**
   * Interfaces where clients and real servers share a segment (one-network NAT): ICMP redirects
   * off there and on `all`. Otherwise a NAT reply the director routes back out the interface it came
   * in on earns the real server a redirect, and once it takes it, its replies go straight to the
   * client, un-NATed: the client drops them and new connections hang in SYN_RECV.
   */
  noRedirects?: string[];
}

export interface DirectorStatusOptions extends HostOptions {
  /** Interfaces to report ICMP redirects for (as given to apply). */
  noRedirects?: string[];
}

export interface RedirectStatus {
  interface: string;
  /** Effective: conf/all OR conf/IFACE. */
  sending: boolean;
}

export interface DirectorStatus {
  ipv4Forwarding: boolean;
  ipv6Forwarding: boolean;
  /** Every IPVS setting this kernel has (needs the ip_vs module loaded). */
  ipvs: IpvsSysctls;
  /** For the interfaces given as `noRedirects`. */
  redirects?: RedirectStatus[];
  /** True when forwarding is on for IPv4 (what every forwarding method needs) and no interface given sends redirects. */
  ready: boolean;
}

function noRedirectsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0)
    throw new IpvsValidationError('options.noRedirects', value, 'a non-empty array of interface names');
  return value.map((name, i) => confScope(name, `options.noRedirects[${i}]`));
}

function directorChanges(options: DirectorOptions): SettingChange[] {
  const o = plainObject(options, 'options');
  onlyKeys(o, ['netns', 'ipv4Forwarding', 'ipv6Forwarding', 'ipvs', 'noRedirects'], 'options');
  const changes = [ipv4Forwarding(o.ipv4Forwarding ?? true, 'options.ipv4Forwarding')];
  if (o.ipv6Forwarding !== undefined) changes.push(ipv6Forwarding(o.ipv6Forwarding, 'options.ipv6Forwarding'));
  const quiet = noRedirectsOf(o.noRedirects);
  if (quiet) changes.push(...['all', ...quiet].map((scope) => sendRedirects(scope, false)));
  if (o.ipvs !== undefined) {
    const ipvs = plainObject(o.ipvs, 'options.ipvs');
    for (const [name, value] of Object.entries(ipvs)) changes.push(ipvsSysctlChange(name, value, `options.ipvs.${name}`));
  }
  return changes;
}

/** Reads the IPVS settings of a namespace, typed. Settings this kernel lacks are left out. */
export async function getIpvsSysctls(options: HostOptions = {}): Promise<IpvsSysctls> {
  const scope = nsOnlyScope(options);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(IPVS_SYSCTLS) as IpvsSysctlName[]) {
    try {
      out[name] = ipvsSysctlValue(name, await readSetting(scope, `net/ipv4/vs/${IPVS_SYSCTLS[name][0]}`));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  }
  return out as IpvsSysctls;
}

/** Sets IPVS settings (each read back); returns the record that undoes them. */
export async function setIpvsSysctls(values: IpvsSysctls, options: HostOptions = {}): Promise<UndoRecord> {
  const obj = plainObject(values, 'values');
  if (Object.keys(obj).length === 0) throw new IpvsValidationError('values', values, 'at least one IPVS setting');
  const changes = Object.entries(obj).map(([name, value]) => ipvsSysctlChange(name, value, `values.${name}`));
  return applyChanges(nsOnlyScope(options), changes);
}

export const director = {
  /** Turns forwarding on (and sets the given IPVS settings); keep the record to undo. */
  async apply(options: DirectorOptions = {}): Promise<UndoRecord> {
    const changes = directorChanges(options);
    return applyChanges(scopeOf(options), changes);
  },
  /** Puts back exactly what apply() found. */
  async undo(record: UndoRecord): Promise<void> {
    return undoChanges(record);  // validates the record whole first
  },
  async status(options: DirectorStatusOptions = {}): Promise<DirectorStatus> {
    const o = plainObject(options, 'options');
    onlyKeys(o, ['netns', 'noRedirects'], 'options');
    const quiet = noRedirectsOf(o.noRedirects);
    const ns: HostOptions = o.netns === undefined ? {} : { netns: o.netns as string };
    const scope = scopeOf(ns);
    const v4 = (await readSetting(scope, 'net/ipv4/ip_forward')) === '1';
    const v6 = (await readSetting(scope, 'net/ipv6/conf/all/forwarding')) === '1';
    const ipvs = await getIpvsSysctls(ns);
    if (!quiet) return { ipv4Forwarding: v4, ipv6Forwarding: v6, ipvs, ready: v4 };
    const redirects: RedirectStatus[] = [];
    for (const iface of quiet) redirects.push({ interface: iface, sending: (await effectiveConf(scope, iface, 'send_redirects')) !== 0 });
    return { ipv4Forwarding: v4, ipv6Forwarding: v6, ipvs, redirects, ready: v4 && redirects.every((r) => !r.sending) };
  },
};
