/**
 * A virtual IP on an interface, through rtnetlink (no `ip` or `ifconfig`):
 * on the director's outward interface, on a DR real server's loopback (as a
 * /32 or /128, so it answers for the VIP without owning a subnet), or on a
 * TUN real server's tunl0. The interface is brought up if it is down.
 * undo() removes only what apply() added, including the addresses the kernel
 * adds itself when a link comes up (127.0.0.1/8 and ::1 on lo).
 */
import { address, boolean, integer, onlyKeys, plainObject } from '../validate/primitives';
import { scopeOf, type HostOptions } from './changes';
import { hostNet } from './net';
import { vipRecord } from './records';
import { confScope } from './settings';

export interface VipOptions extends HostOptions {
  address: string;
  /** Default 'lo'. */
  interface?: string;
  /** Prefix length; default 32 for IPv4, 128 for IPv6 (a host address). */
  prefix?: number;
  /**
   * IPv6 only: run duplicate address detection (default false). Without it the address is usable
   * at once, as keepalived adds VIPs: a VIP moves between directors, and while DAD runs (about a
   * second) the address is tentative and answers nothing.
   */
  dad?: boolean;
  /**
   * IPv6 only: may the kernel choose this address as the source of packets this host starts
   * (default false: the address is added "deprecated", preferred lifetime 0; it still takes
   * traffic and answers neighbour solicitations). A director whose VIP shares a prefix with the
   * real servers would otherwise send from the VIP, and a TUN real server, holding the VIP
   * itself, drops an IPv6 tunnel packet whose outer source is one of its own addresses.
   */
  usableAsSource?: boolean;
}

/** What undo() needs; JSON-safe. */
export interface VipRecord {
  netns: string | null;
  interface: string;
  address: string;
  prefix: number;
  /** False when the address was there already: undo leaves it. */
  added: boolean;
  /** True when apply() brought the interface up: undo takes it down again. */
  broughtUp: boolean;
  /**
   * The addresses the kernel added when apply() brought the interface up (lo gets 127.0.0.1/8
   * and ::1): undo removes those still there after taking the interface down.
   */
  kernelAdded?: Prefixed[];
}

type Prefixed = { address: string; prefix: number };
const same = (a: Prefixed) => (b: Prefixed) => a.address === b.address && a.prefix === b.prefix;

export interface VipStatus {
  /** The address is on the interface with the asked prefix. */
  present: boolean;
  up: boolean;
  /** Every address of the interface, canonical, with its prefix. */
  addresses: { address: string; prefix: number }[];
}

interface Checked {
  netns: string | null;
  interface: string;
  address: string;
  prefix: number;
  dad: boolean;
  usableAsSource: boolean;
}

function check(options: VipOptions): Checked {
  const o = plainObject(options, 'options');
  onlyKeys(o, ['netns', 'address', 'interface', 'prefix', 'dad', 'usableAsSource'], 'options');
  const a = address(o.address, 'options.address');
  const max = a.family === 'ipv6' ? 128 : 32;
  const prefix = o.prefix === undefined ? max : integer(o.prefix, 'options.prefix', 1, max);
  const dad = o.dad === undefined ? false : boolean(o.dad, 'options.dad');
  const usableAsSource = o.usableAsSource === undefined ? false : boolean(o.usableAsSource, 'options.usableAsSource');
  return { netns: scopeOf(options).netns, interface: confScope(o.interface ?? 'lo', 'options.interface'), address: a.address, prefix, dad, usableAsSource };
}

/** Which address on which interface: what undo needs, and what errors name. */
type Target = Pick<Checked, 'netns' | 'interface' | 'address' | 'prefix'>;

const addressOf = (c: Target) => `interface ${c.interface} address ${c.address}/${c.prefix}`;

const listAddresses = (c: Target) =>
  hostNet<Prefixed[]>(c.netns, { op: 'listAddresses', interface: c.interface }, `interface ${c.interface}`, 'listing');
const linkDown = (c: Target) => hostNet(c.netns, { op: 'linkDown', interface: c.interface }, `interface ${c.interface}`, 'taking down');

async function statusOf(c: Checked): Promise<VipStatus> {
  const link = await hostNet<{ up: boolean }>(c.netns, { op: 'link', interface: c.interface }, `interface ${c.interface}`, 'reading');
  const addresses = await listAddresses(c);
  return { present: addresses.some(same(c)), up: link.up, addresses };
}

/** Brings the interface up; returns the addresses the kernel added on the way. */
async function bringUp(c: Checked, before: Prefixed[]): Promise<Prefixed[]> {
  await hostNet(c.netns, { op: 'linkUp', interface: c.interface }, `interface ${c.interface}`, 'bringing up');
  try {
    return (await listAddresses(c)).filter((a) => !before.some(same(a)));
  } catch (err) {
    await linkDown(c).catch(() => {});
    throw err;
  }
}

/** Removes the addresses the kernel added when the link came up, those still there (IPv6 ones go with the link). */
async function removeKernelAdded(c: Target, added: Prefixed[]): Promise<void> {
  if (added.length === 0) return;
  const now = await listAddresses(c);
  for (const a of added.filter((k) => now.some(same(k))))
    await hostNet(c.netns, { op: 'deleteAddress', interface: c.interface, ...a }, addressOf({ ...c, ...a }), 'removing');
}

export const vip = {
  async apply(options: VipOptions): Promise<VipRecord> {
    const c = check(options);
    const before = await statusOf(c);
    const kernelAdded = before.up ? [] : await bringUp(c, before.addresses);
    if (!before.present) {
      try {
        await hostNet(c.netns, { op: 'addAddress', interface: c.interface, address: c.address, prefix: c.prefix, noDad: !c.dad, deprecated: !c.usableAsSource }, addressOf(c), 'adding');
      } catch (err) {
        if (!before.up) await linkDown(c).then(() => removeKernelAdded(c, kernelAdded)).catch(() => {});
        throw err;
      }
    }
    const record: VipRecord = { netns: c.netns, interface: c.interface, address: c.address, prefix: c.prefix, added: !before.present, broughtUp: !before.up };
    if (!before.up) record.kernelAdded = kernelAdded;
    return record;
  },

  async undo(record: VipRecord): Promise<void> {
    const c = vipRecord(record);
    if (c.added) await hostNet(c.netns, { op: 'deleteAddress', interface: c.interface, address: c.address, prefix: c.prefix }, addressOf(c), 'removing');
    if (c.broughtUp) {
      await linkDown(c);
      await removeKernelAdded(c, c.kernelAdded ?? []);
    }
  },

  async status(options: VipOptions): Promise<VipStatus> {
    return statusOf(check(options));
  },
};
