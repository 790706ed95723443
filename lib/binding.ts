/**
 * The only importer of the compiled addon, and the full typed shape of what
 * it exports. Everything here speaks the kernel's numbers; lib/convert.ts
 * turns them into the public types.
 * @internal
 */
import { PACKAGE_ROOT, systemPackages } from './system-packages';
import type { Stats } from './types';
import type { VrrpDropReason } from './vrrp/types';

// node-gyp-build picks build/Release (a source build) first, then the prebuilt
// binary in prebuilds/<platform>-<arch>/ that fits this system (N-API: one per
// platform serves every Node version). It ships no types.
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

/** The addon builds stats objects with exactly the public field names. */
export type NativeStats = Stats;

export interface NativeService {
  family: number;
  protocol: number;
  /** Absent for fwmark services in records. */
  address?: string;
  port?: number;
  fwmark: number;
  scheduler?: string;
  persistenceEngine?: string;
  flags?: number;
  flagsMask?: number;
  timeout?: number;
  /** IPv4: the mask as a host-order number; IPv6: prefix length. */
  netmask?: number;
  stats?: NativeStats;
}

export interface NativeDestination {
  family: number;
  address: string;
  port: number;
  forwarding?: number;
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  activeConns?: number;
  inactiveConns?: number;
  persistentConns?: number;
  tunnelType?: number;
  tunnelPort?: number;
  tunnelFlags?: number;
  stats?: NativeStats;
}

export interface NativeDaemon {
  state: number;
  interface?: string;
  syncId?: number;
  maxLength?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export interface NativeTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface NativeRequest {
  cmd: number;
  dump?: boolean;
  service?: NativeService;
  destination?: NativeDestination;
  daemon?: NativeDaemon;
  timeouts?: NativeTimeouts;
}

export interface NativeRecord {
  cmd: number;
  service?: Required<Pick<NativeService, 'family' | 'protocol' | 'fwmark' | 'scheduler' | 'persistenceEngine' | 'flags' | 'timeout' | 'netmask'>> &
    Pick<NativeService, 'address' | 'port' | 'stats'>;
  destination?: Required<Omit<NativeDestination, 'tunnelType' | 'tunnelPort' | 'tunnelFlags' | 'stats'>> &
    Pick<NativeDestination, 'tunnelType' | 'tunnelPort' | 'tunnelFlags' | 'stats'>;
  daemon?: NativeDaemon & { interface: string; syncId: number };
  timeouts?: NativeTimeouts;
  info?: { version: number; connTableSize: number };
}

/** One service of a table listing with its destinations, as the addon's getTable() builds it. */
export interface NativeTableEntry {
  service: NonNullable<NativeRecord['service']>;
  destinations: NonNullable<NativeRecord['destination']>[];
}

/** The shape of a native rejection: an Error with the errno kept exactly. */
export interface NativeError extends Error {
  errno: number;
  stage: string;
  /** Execute only: per request 0, an errno, -1 (no ACK read) or -2 (not sent). */
  status?: Int32Array;
}

export interface NativeClient {
  open(netnsPath: string | null, timeoutMs: number): Promise<void>;
  execute(requests: NativeRequest[], timeoutMs: number): Promise<Int32Array>;
  query(request: NativeRequest, timeoutMs: number): Promise<NativeRecord[]>;
  /**
   * The whole table in one worker run: the services dump, then each service's destinations dump keyed by
   * the dumped service itself (no round trip through JS); repeats dropped. withStats false: counters not decoded.
   */
  getTable(timeoutMs: number, withStats: boolean): Promise<NativeTableEntry[]>;
  /** getTable(timeoutMs, false) packed on the worker thread (lib/table/packed.ts reads it). */
  getTablePacked(timeoutMs: number): Promise<{ words: Uint32Array; strings: string[] }>;
  close(): void;
  family(): number;
}

export type NativeHostNetRequest =
  | { op: 'link' | 'linkUp' | 'linkDown' | 'listAddresses'; interface: string }
  | { op: 'addAddress' | 'deleteAddress'; interface: string; address: string; prefix: number; noDad?: boolean; deprecated?: boolean }
  | { op: 'addDefaultRoute' | 'deleteDefaultRoute' | 'defaultRoutes'; family: number; gateway?: string; interface?: string };

/** An advert as the VRRP codec and sockets take and give it (lib/vrrp/types.ts's Advert). */
export interface NativeVrrpAdvert {
  family: 'inet' | 'inet6';
  vrid: number;
  priority: number;
  intervalCs: number;
  addresses: string[];
}

/** What the VRRP decoder answers: the advert with its source (and interface, from a socket), or why it was dropped. */
export type NativeVrrpReceived = (NativeVrrpAdvert & { source: string; interface?: string }) | VrrpDropReason;

export interface NativeVrrpSocketOptions {
  family: 'inet' | 'inet6';
  interface: string;
  netns: string | null;
  peers?: string[];
  source?: string;
}

export interface NativeVrrpStats {
  received: number;
  sent: number;
  dropped: Record<VrrpDropReason, number>;
}

/** A raw IPPROTO_VRRP socket on one interface; the listener gets every datagram, checked, on the JS thread. */
export interface NativeVrrpSocket {
  /** Once per object; resolves with the address adverts leave from. */
  open(options: NativeVrrpSocketOptions, timeoutMs: number, listener: (received: NativeVrrpReceived) => void): Promise<{ source: string }>;
  /** A non-blocking sendmsg to the group or to each peer, now: rejects with its errno (EAGAIN included). */
  send(advert: NativeVrrpAdvert): Promise<void>;
  stats(): NativeVrrpStats;
  /** Reads the datagrams waiting now and calls open()'s listener with each, before it returns. */
  drain(): void;
  /** Idempotent; the descriptor is closed once libuv has let go of it. */
  close(): void;
  ref(): void;
  unref(): void;
}

/** A link change as the kernel announced it (RTM_NEWLINK / RTM_DELLINK), or 'overrun' when some were lost. */
export interface NativeLinkEvent {
  index: number;
  /** Empty when the message carried no name. */
  name: string;
  up: boolean;
  running: boolean;
  removed: boolean;
}

export interface NativeLinkWatch {
  /** Once per object: joins RTNLGRP_LINK in the namespace at nsPath (null: this process's). */
  open(nsPath: string | null, timeoutMs: number, listener: (event: NativeLinkEvent | 'overrun') => void): Promise<void>;
  /** Idempotent; the descriptor is closed once libuv has let go of it. */
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeTcpConnects {
  /** -1: in flight (its end reaches the listener); 0: connected at once; else the errno (EINVAL for a bad address). */
  start(slot: number, address: string, port: number): number;
  /** Ends the slot's attempt without a result, its socket closed. */
  cancel(slot: number): void;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeBinding {
  Client: new () => NativeClient;
  constants: Record<string, number>;
  encodeRequest(request: NativeRequest, familyId: number, seq: number): Buffer;
  /** withStats false: the counters are skipped, as getTable(…, false) skips them (for tests). */
  decodeRecord(message: Buffer, withStats?: boolean): NativeRecord;
  canonicalAddress(text: string): string | null;
  /** Moves the calling thread into the network namespace at path (throws a NativeError). */
  enterNetns(path: string): void;
  /** Opens a /proc/sys file as seen from network namespace nsPath; resolves with its descriptor. */
  openInNetns(nsPath: string, path: string, writable: boolean): Promise<number>;
  /** Reads one or two of /proc/net/ip_vs_conn, ip_vs_conn_sync, ip_vs_stats whole, as seen from namespace nsPath (null: this one), within timeoutMs. */
  readProcNet(nsPath: string | null, names: ReadonlyArray<'ip_vs_conn' | 'ip_vs_conn_sync' | 'ip_vs_stats'>, timeoutMs: number): Promise<Buffer[]>;
  /** rtnetlink on an interface of namespace nsPath (null: this one), ended by its deadline (timeoutMs from the call). */
  hostNet(nsPath: string | null, request: NativeHostNetRequest, timeoutMs: number): Promise<unknown>;
  VrrpSocket: new () => NativeVrrpSocket;
  LinkWatch: new () => NativeLinkWatch;
  /** TCP connection attempts; `listener` gets [slot, errno (0: connected)] pairs of those that ended. Unreferenced. */
  TcpConnects: new (listener: (ended: Int32Array) => void) => NativeTcpConnects;
  /** A gratuitous ARP per IPv4 address, an unsolicited NA per IPv6 one, out of interface in namespace nsPath; resolves with the frames sent. */
  vrrpAnnounce(nsPath: string | null, iface: string, addresses: string[], router: boolean, timeoutMs: number): Promise<number>;
  /** The codec the sockets run, for byte-exact and fuzz tests. */
  vrrpCodec: {
    encode(advert: NativeVrrpAdvert, source: string, destination: string): Buffer;
    /** A whole IPv4 datagram, header included (what a raw IPv4 socket reads). */
    decodeIpv4(datagram: Buffer): NativeVrrpReceived;
    /** A VRRP message with its IPv6 endpoints and hop limit (what a raw IPv6 socket's ancillary data says). */
    decodeIpv6(message: Buffer, source: string, destination: string, hopLimit: number): NativeVrrpReceived;
    gratuitousArp(mac: Buffer, address: string): Buffer;
    unsolicitedNa(mac: Buffer, address: string, router: boolean): Buffer;
  };
}

let loaded: NativeBinding | undefined;

/** Loads the addon once; says what to install when it cannot. */
export function native(): NativeBinding {
  if (loaded) return loaded;
  try {
    loaded = nodeGypBuild(PACKAGE_ROOT) as NativeBinding;
  } catch (err) {
    throw new Error(`${loadFailureMessage(err as Error)}\nCause: ${(err as Error).message}`);
  }
  return loaded;
}

/**
 * Why the addon did not load, and what to install: a shared library the
 * dynamic loader could not find (the libnl runtime is missing), or no addon
 * at all for this system (no prebuilt binary fits and none was built here).
 */
export function loadFailureMessage(err: Error): string {
  const library = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(err.message)?.[1];
  if (library) {
    return `node-ipvs: the native addon needs ${library}, which this system lacks. ` +
      `On Debian/Ubuntu: \`apt-get install -y ${systemPackages('runtime').join(' ')}\`.`;
  }
  if (/No native build was found/.test(err.message)) {
    return `node-ipvs: the native addon is not built (no prebuilt binary fits ${process.platform}-${process.arch}). ` +
      `On Debian/Ubuntu install the build dependencies with \`apt-get install -y ${systemPackages('build').join(' ')}\`, ` +
      'then run `npm rebuild node-ipvs` (npm 11 may ask you to approve its install script: ' +
      '`npm install-scripts approve node-ipvs`).';
  }
  return 'node-ipvs: the native addon failed to load.';
}

/** Only for status codes of batch requests: -1 and -2 from the addon. */
export const STATUS_UNKNOWN = -1;
export const STATUS_NOT_SENT = -2;
