/**
 * Real servers of DR and TUN clusters hold the VIP themselves, so they must
 * not answer or announce ARP for it (or clients would reach them, not the
 * director): arp_ignore=1 (answer only for addresses of the asking
 * interface) and arp_announce=2 (announce only the best local source).
 * A TUN real server also takes IP-in-IP packets whose source is not routed
 * back through the tunnel: rp_filter off on the tunnel device and `all`.
 * The kernel uses max(conf/all, conf/IFACE) for each of these, so status
 * reports that effective value. With `vip`, the helper also holds the VIP
 * (on lo for DR, on the tunnel device for TUN) after the settings are in
 * place, so it is never announced: the LVS recipes' real-server script in one call.
 */
import { IpvsValidationError } from '../errors';
import { address as addressValue, onlyKeys, plainObject } from '../validate/primitives';
import { applyChanges, scopeOf, undoChanges, type HostOptions, type UndoRecord } from './changes';
import { realServerRecord } from './records';
import { arpAnnounce, arpIgnore, confScope, rpFilter, type SettingChange } from './settings';
import { effectiveConf } from './sysctl';
import { vip as vipHelper, type VipRecord, type VipStatus } from './vip';

export interface DrRealServerOptions extends HostOptions {
  /** Interfaces facing the director and clients (e.g. ['eth0']); `all` is always set too. */
  interfaces: string[];
  /**
   * The VIP to hold as well (a /32 or /128 on lo for DR, on the tunnel device for TUN), added
   * after the ARP settings. IPv6 needs no ARP settings; they are still written (harmless, and
   * most hosts serve IPv4 too).
   */
  vip?: string;
}

export interface TunRealServerOptions extends DrRealServerOptions {
  /** The device holding the VIP: default 'tunl0', or 'ip6tnl0' when `vip` is IPv6. */
  tunnel?: string;
}

/** What undo() needs; JSON-safe. */
export interface RealServerRecord extends UndoRecord {
  /** Present when apply() was given a VIP. */
  vip?: VipRecord;
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
  /** The VIP's state, when status() was given one. */
  vip?: VipStatus;
  /** True when every interface has the effective values the method needs (and the VIP is held and up). */
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

async function statusOf(options: HostOptions, interfaces: string[], ok: (s: InterfaceStatus) => boolean): Promise<RealServerStatus> {
  const scope = scopeOf(options);
  const out: InterfaceStatus[] = [];
  for (const iface of interfaces) {
    out.push({
      interface: iface,
      arpIgnore: await effectiveConf(scope, iface, 'arp_ignore'),
      arpAnnounce: await effectiveConf(scope, iface, 'arp_announce'),
      rpFilter: await effectiveConf(scope, iface, 'rp_filter'),
    });
  }
  return { interfaces: out, ready: out.every(ok) };
}

const arpReady = (s: InterfaceStatus) => (s.arpIgnore === 1 || s.arpIgnore === 2) && s.arpAnnounce === 2;

/** Where a real server holds its VIP, from its options and the VIP's family. */
type DeviceOf = (o: Record<string, unknown>, family: 'ipv4' | 'ipv6' | undefined) => string;
const loopback: DeviceOf = () => 'lo';
const tunnelDevice: DeviceOf = (o, family) => confScope(o.tunnel ?? (family === 'ipv6' ? 'ip6tnl0' : 'tunl0'), 'options.tunnel');

/** The validated options both methods share. */
function check(options: DrRealServerOptions, keys: string[], deviceOf: DeviceOf) {
  const o = plainObject(options, 'options');
  onlyKeys(o, ['netns', 'interfaces', 'vip', ...keys], 'options');
  const vip = o.vip === undefined ? undefined : addressValue(o.vip, 'options.vip');
  return { interfaces: interfacesOf(o), address: vip?.address, device: deviceOf(o, vip?.family) };
}

/** The namespace option alone, as the VIP helper takes it. */
const nsOf = (options: HostOptions): HostOptions => (options.netns === undefined ? {} : { netns: options.netns });

/** Settings first (so the VIP is never announced), then the VIP; a failed VIP puts the settings back. */
async function applyWithVip(options: HostOptions, changes: SettingChange[], address: string | undefined, device: string): Promise<RealServerRecord> {
  const record: RealServerRecord = await applyChanges(scopeOf(options), changes);
  if (address === undefined) return record;
  try {
    record.vip = await vipHelper.apply({ ...nsOf(options), address, interface: device });
  } catch (err) {
    await undoChanges(record).catch(() => {});
    throw err;
  }
  return record;
}

async function undoWithVip(record: RealServerRecord): Promise<void> {
  // The whole record (VIP included) is checked before the first change is undone.
  const r = realServerRecord(record);
  if (r.vip) await vipHelper.undo(r.vip);
  await undoChanges({ netns: r.netns, settings: r.settings });
}

async function withVipStatus(options: HostOptions, s: RealServerStatus, address: string | undefined, device: string): Promise<RealServerStatus> {
  if (address === undefined) return s;
  const v = await vipHelper.status({ ...nsOf(options), address, interface: device });
  return { ...s, vip: v, ready: s.ready && v.present && v.up };
}

/** A DR (direct routing) real server. */
export const drRealServer = {
  async apply(options: DrRealServerOptions): Promise<RealServerRecord> {
    const c = check(options, [], loopback);
    return applyWithVip(options, arpChanges(c.interfaces), c.address, c.device);
  },
  async undo(record: RealServerRecord): Promise<void> {
    return undoWithVip(record);
  },
  async status(options: DrRealServerOptions): Promise<RealServerStatus> {
    const c = check(options, [], loopback);
    return withVipStatus(options, await statusOf(options, c.interfaces, arpReady), c.address, c.device);
  },
};

/** A TUN (IP-in-IP) real server. */
export const tunRealServer = {
  async apply(options: TunRealServerOptions): Promise<RealServerRecord> {
    const c = check(options, ['tunnel'], tunnelDevice);
    const changes = [...arpChanges([...c.interfaces, c.device]), rpFilter('all', 0), rpFilter(c.device, 0)];
    return applyWithVip(options, changes, c.address, c.device);
  },
  async undo(record: RealServerRecord): Promise<void> {
    return undoWithVip(record);
  },
  async status(options: TunRealServerOptions): Promise<RealServerStatus> {
    const c = check(options, ['tunnel'], tunnelDevice);
    const s = await statusOf(options, [...c.interfaces, c.device], arpReady);
    const tun = s.interfaces[s.interfaces.length - 1];
    return withVipStatus(options, { ...s, ready: s.ready && tun.rpFilter === 0 }, c.address, c.device);
  },
};
