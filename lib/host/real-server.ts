/**
 * Real servers of DR and TUN clusters hold the VIP themselves, so they must
 * not answer or announce ARP for it (or clients would reach them, not the
 * director): arp_ignore=1 (answer only for addresses of the asking
 * interface) and arp_announce=2 (announce only the best local source).
 * A TUN real server also takes IP-in-IP packets whose source is not routed
 * back through the tunnel: rp_filter off on the tunnel device and `all`.
 * The kernel uses max(conf/all, conf/IFACE) for each of these, so status
 * reports that effective value. (The VIP itself comes with the rtnetlink helpers.)
 */
import { IpvsValidationError } from '../errors';
import { onlyKeys, plainObject } from '../validate/primitives';
import { applyChanges, scopeOf, undoChanges, type HostOptions, type UndoRecord } from './changes';
import { arpAnnounce, arpIgnore, confScope, rpFilter, type SettingChange } from './settings';
import { readSetting, type SysctlScope } from './sysctl';

export interface DrRealServerOptions extends HostOptions {
  /** Interfaces facing the director and clients (e.g. ['eth0']); `all` is always set too. */
  interfaces: string[];
}

export interface TunRealServerOptions extends DrRealServerOptions {
  /** The IP-in-IP device holding the VIP (default 'tunl0'). */
  tunnel?: string;
}

export interface InterfaceStatus {
  interface: string;
  /** Effective values: max(conf/all, conf/IFACE). */
  arpIgnore: number;
  arpAnnounce: number;
  rpFilter: number;
}

export interface RealServerStatus {
  interfaces: InterfaceStatus[];
  /** True when every interface has the effective values the method needs. */
  ready: boolean;
}

function interfacesOf(o: Record<string, unknown>): string[] {
  if (!Array.isArray(o.interfaces) || o.interfaces.length === 0)
    throw new IpvsValidationError('options.interfaces', o.interfaces, 'a non-empty array of interface names');
  return o.interfaces.map((name, i) => confScope(name, `options.interfaces[${i}]`));
}

function arpChanges(scopes: string[]): SettingChange[] {
  return ['all', ...scopes].flatMap((s) => [arpIgnore(s, 1), arpAnnounce(s, 2)]);
}

async function effective(scope: SysctlScope, iface: string, name: string): Promise<number> {
  const all = Number(await readSetting(scope, `net/ipv4/conf/all/${name}`));
  const own = Number(await readSetting(scope, `net/ipv4/conf/${iface}/${name}`));
  return Math.max(all, own);
}

async function statusOf(options: HostOptions, interfaces: string[], ok: (s: InterfaceStatus) => boolean): Promise<RealServerStatus> {
  const scope = scopeOf(options);
  const out: InterfaceStatus[] = [];
  for (const iface of interfaces) {
    out.push({
      interface: iface,
      arpIgnore: await effective(scope, iface, 'arp_ignore'),
      arpAnnounce: await effective(scope, iface, 'arp_announce'),
      rpFilter: await effective(scope, iface, 'rp_filter'),
    });
  }
  return { interfaces: out, ready: out.every(ok) };
}

const arpReady = (s: InterfaceStatus) => (s.arpIgnore === 1 || s.arpIgnore === 2) && s.arpAnnounce === 2;

/** A DR (direct routing) real server. */
export const drRealServer = {
  async apply(options: DrRealServerOptions): Promise<UndoRecord> {
    const o = plainObject(options, 'options');
    onlyKeys(o, ['netns', 'interfaces'], 'options');
    return applyChanges(scopeOf(options), arpChanges(interfacesOf(o)));
  },
  async undo(record: UndoRecord): Promise<void> {
    return undoChanges(record);
  },
  async status(options: DrRealServerOptions): Promise<RealServerStatus> {
    return statusOf(options, interfacesOf(plainObject(options, 'options')), arpReady);
  },
};

/** A TUN (IP-in-IP) real server. */
export const tunRealServer = {
  async apply(options: TunRealServerOptions): Promise<UndoRecord> {
    const o = plainObject(options, 'options');
    onlyKeys(o, ['netns', 'interfaces', 'tunnel'], 'options');
    const tunnel = confScope(o.tunnel ?? 'tunl0', 'options.tunnel');
    const changes = [...arpChanges([...interfacesOf(o), tunnel]), rpFilter('all', 0), rpFilter(tunnel, 0)];
    return applyChanges(scopeOf(options), changes);
  },
  async undo(record: UndoRecord): Promise<void> {
    return undoChanges(record);
  },
  async status(options: TunRealServerOptions): Promise<RealServerStatus> {
    const o = plainObject(options, 'options');
    const tunnel = confScope(o.tunnel ?? 'tunl0', 'options.tunnel');
    const s = await statusOf(options, [...interfacesOf(o), tunnel], arpReady);
    const tun = s.interfaces[s.interfaces.length - 1];
    return { ...s, ready: s.ready && tun.rpFilter === 0 };
  },
};
