/**
 * The VRRP transport over a raw IPPROTO_VRRP socket (native/vrrp_socket.cc): one socket per
 * interface and family, optionally in another network namespace. Received packets are checked and
 * decoded in native code on the JS thread; listeners see only Adverts and drop reasons.
 */
import { native, type NativeError, type NativeVrrpReceived, type NativeVrrpSocket, type NativeVrrpStats } from '../binding';
import { DEFAULT_TIMEOUT_MS, isNativeError } from '../call';
import { errnoName, IpvsValidationError } from '../errors';
import { resolveNetns } from '../netns';
import { integer, interfaceName, onlyKeys, oneOf, own, plainObject } from '../validate/primitives';
import { familyAddress } from './options';
import type { Advert, VrrpDropReason, VrrpFamily, VrrpTransport } from './types';

export interface VrrpSocketOptions {
  /** The interface adverts are sent and received on. */
  interface: string;
  family: VrrpFamily;
  /** A name under /run/netns or a path to a namespace file; default: this process's namespace. */
  netns?: string;
  /** Unicast peers: adverts go to each of them instead of 224.0.0.18 / ff02::12, and no group is joined. */
  peers?: string[];
  /** The address adverts leave from; default: the interface's first IPv4 / first link-local IPv6 address. */
  source?: string;
  /** Milliseconds for opening (namespace, address lookup, socket options); default 10,000. */
  timeout?: number;
}

export type VrrpStats = NativeVrrpStats;

/** A failure of the socket (open, send) or of an announcement: the errno kept exactly. */
export class VrrpSocketError extends Error {
  override readonly name = 'VrrpSocketError';
  /** errno name: 'ENODEV', 'EADDRNOTAVAIL', 'EPERM', 'EAGAIN', 'ETIMEDOUT', ... */
  readonly code: string;
  readonly errno: number;
  readonly interface: string;
  /** What the native layer was doing. */
  readonly stage: string;

  constructor(err: NativeError, iface: string, doing: string) {
    const code = errnoName(err.errno);
    super(`${doing} on ${iface}: ${code} (${err.stage})`);
    this.code = code;
    this.errno = err.errno;
    this.interface = iface;
    this.stage = err.stage;
  }
}

const OPTION_KEYS = ['interface', 'family', 'netns', 'peers', 'source', 'timeout'];
const ADVERT_KEYS = ['family', 'vrid', 'priority', 'intervalCs', 'addresses'];

function addressList(value: unknown, field: string, family: VrrpFamily, min: number, max: number): string[] {
  if (!Array.isArray(value) || value.length < min || value.length > max)
    throw new IpvsValidationError(field, value, `an array of ${min} to ${max} addresses`);
  return value.map((v, i) => familyAddress(v, `${field}[${i}]`, family, true));
}

/** An advert to send, checked against what the wire can carry (RFC 5798 §5.2). */
export function checkAdvert(value: unknown, field = 'advert'): Omit<Advert, 'source' | 'interface'> {
  const a = plainObject(value, field);
  onlyKeys(a, ADVERT_KEYS, field);
  const family = oneOf(own(a, 'family'), `${field}.family`, ['inet', 'inet6'] as const);
  return {
    family,
    vrid: integer(own(a, 'vrid'), `${field}.vrid`, 1, 255),
    priority: integer(own(a, 'priority'), `${field}.priority`, 0, 255),
    intervalCs: integer(own(a, 'intervalCs'), `${field}.intervalCs`, 1, 4095),
    addresses: addressList(own(a, 'addresses'), `${field}.addresses`, family, 1, 255),
  };
}

export class VrrpSocket implements VrrpTransport {
  readonly interface: string;
  readonly family: VrrpFamily;
  /** The address adverts leave from (in their checksum's pseudo-header). */
  readonly source: string;
  readonly #socket: NativeVrrpSocket;
  readonly #advertListeners: ((advert: Advert) => void)[] = [];
  readonly #dropListeners: ((reason: VrrpDropReason) => void)[] = [];

  private constructor(socket: NativeVrrpSocket, iface: string, family: VrrpFamily, source: string) {
    this.#socket = socket;
    this.interface = iface;
    this.family = family;
    this.source = source;
  }

  /** Opens the socket and starts receiving; rejects with IpvsValidationError or VrrpSocketError. */
  static async open(options: VrrpSocketOptions): Promise<VrrpSocket> {
    const o = plainObject(options, 'options');
    onlyKeys(o, OPTION_KEYS, 'options');
    const iface = interfaceName(own(o, 'interface'), 'options.interface');
    const family = oneOf(own(o, 'family'), 'options.family', ['inet', 'inet6'] as const);
    const netns = own(o, 'netns') === undefined ? null : resolveNetns(own(o, 'netns'), 'options.netns');
    const peers = own(o, 'peers') === undefined ? undefined : addressList(own(o, 'peers'), 'options.peers', family, 1, 1024);
    const source = own(o, 'source') === undefined ? undefined : familyAddress(own(o, 'source'), 'options.source', family, true);
    const timeout = own(o, 'timeout') === undefined ? DEFAULT_TIMEOUT_MS : integer(own(o, 'timeout'), 'options.timeout', 1, 2 ** 31 - 1);

    const socket = new (native().VrrpSocket)();
    let self: VrrpSocket | undefined;
    const early: NativeVrrpReceived[] = [];
    const receive = (r: NativeVrrpReceived) => (self ? self.#dispatch(r) : early.push(r));
    try {
      const opened = await socket.open({ family, interface: iface, netns, peers, source }, timeout, receive);
      self = new VrrpSocket(socket, iface, family, opened.source);
    } catch (err) {
      socket.close();
      if (isNativeError(err)) throw new VrrpSocketError(err, iface, 'opening a VRRP socket');
      throw err;
    }
    // Packets read between the open and this line (none in practice: the promise settles first).
    for (const r of early) self.#dispatch(r);
    return self;
  }

  /** Sends one advert now (non-blocking): rejects with IpvsValidationError, or VrrpSocketError (EAGAIN for a full send buffer). */
  async send(advert: Omit<Advert, 'source' | 'interface'>): Promise<void> {
    const a = checkAdvert(advert);
    if (a.family !== this.family) throw new IpvsValidationError('advert.family', a.family, `'${this.family}' (the socket's family)`);
    try {
      await this.#socket.send(a);
    } catch (err) {
      if (isNativeError(err)) throw new VrrpSocketError(err, this.interface, `sending VRID ${a.vrid}`);
      throw err;
    }
  }

  onAdvert(listener: (advert: Advert) => void): void {
    this.#advertListeners.push(listener);
  }

  onDrop(listener: (reason: VrrpDropReason) => void): void {
    this.#dropListeners.push(listener);
  }

  /** Reads what waits in the socket now and delivers it to the listeners before returning. */
  drain(): void {
    this.#socket.drain();
  }

  /** Adverts received, datagrams sent, and drops per reason since the open. */
  stats(): VrrpStats {
    return this.#socket.stats();
  }

  /** A socket keeps the process alive while open, as a bound dgram socket does; unref() lets it exit. */
  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  async close(): Promise<void> {
    this.#socket.close();
  }

  #dispatch(r: NativeVrrpReceived): void {
    if (typeof r === 'string') for (const l of this.#dropListeners) l(r);
    else for (const l of this.#advertListeners) l(r);
  }
}
