/**
 * What a new master sends so that neighbours move the virtual addresses to its MAC at once: a
 * gratuitous ARP per IPv4 address, an unsolicited neighbour advertisement (override flag) per IPv6
 * address (native/vrrp_announce.cc). One call sends each frame once; repeating them, as keepalived's
 * garp_master_repeat does, is the caller's.
 */
import { native } from '../binding';
import { DEFAULT_TIMEOUT_MS, isNativeError } from '../call';
import { IpvsValidationError } from '../errors';
import { resolveNetns } from '../netns';
import { address, addressKind, boolean, integer, interfaceName, onlyKeys, own, plainObject } from '../validate/primitives';
import { VrrpSocketError } from './socket';

export interface AnnounceOptions {
  interface: string;
  /** IPv4 and IPv6 addresses, mixed as they come. */
  addresses: string[];
  netns?: string;
  /** Set the NA's router flag (the host forwards IPv6); default false. */
  router?: boolean;
  /** Milliseconds for the whole announcement, thread-pool wait included; default 10,000. */
  timeout?: number;
}

const KEYS = ['interface', 'addresses', 'netns', 'router', 'timeout'];

/** Resolves with the number of frames sent; rejects with IpvsValidationError or VrrpSocketError (EOPNOTSUPP: not Ethernet). */
export async function announceAddresses(options: AnnounceOptions): Promise<number> {
  const o = plainObject(options, 'options');
  onlyKeys(o, KEYS, 'options');
  const iface = interfaceName(own(o, 'interface'), 'options.interface');
  const list = own(o, 'addresses');
  if (!Array.isArray(list) || list.length === 0 || list.length > 4096)
    throw new IpvsValidationError('options.addresses', list, 'an array of 1 to 4096 addresses');
  const addresses = list.map((v, i) => {
    const a = address(v, `options.addresses[${i}]`);
    if (addressKind(a) !== 'unicast') throw new IpvsValidationError(`options.addresses[${i}]`, v, 'a unicast address');
    return a.address;
  });
  const netns = own(o, 'netns') === undefined ? null : resolveNetns(own(o, 'netns'), 'options.netns');
  const router = own(o, 'router') === undefined ? false : boolean(own(o, 'router'), 'options.router');
  const timeout = own(o, 'timeout') === undefined ? DEFAULT_TIMEOUT_MS : integer(own(o, 'timeout'), 'options.timeout', 1, 2 ** 31 - 1);
  try {
    return await native().vrrpAnnounce(netns, iface, addresses, router, timeout);
  } catch (err) {
    if (isNativeError(err)) throw new VrrpSocketError(err, iface, 'announcing the addresses');
    throw err;
  }
}
