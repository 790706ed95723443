/** Normalized public values <-> the kernel numbers the addon speaks. */
import type { NativeDaemon, NativeDestination, NativeRecord, NativeService, NativeStats, NativeTableEntry } from './binding';
import {
  AF, DAEMON_STATES, FORWARDING, PROTOCOLS, SCHEDULER_FLAGS, SVC_FLAGS, TUNNEL_CHECKSUMS, TUNNEL_TYPES, nameOf,
} from './constants';
import type {
  DaemonInfo, DestinationConfig, DestinationInfo, Family, Protocol, SchedulerFlag, ServiceConfig, ServiceEntry, ServiceInfo, Stats,
} from './types';
import { internService, serviceOf } from './intern';
import type { NormalizedDestinationKey } from './validate/destination';
import { kernelMaskToPrefix, maxPrefix, prefixToMask } from './validate/netmask';
import type { NormalizedServiceKey } from './validate/service';
import type { NormalizedDaemon } from './validate/settings';

export function familyName(af: number): Family {
  return af === AF.ipv6 ? 'ipv6' : 'ipv4';
}

/** The addon's form of a service key: made once per interned service (intern.ts), frozen and shared. */
export function nativeServiceKey(key: NormalizedServiceKey): Readonly<NativeService> {
  const record = serviceOf(key) ?? internService(key);
  record.native ??= Object.freeze(record.key.kind === 'fwmark'
    ? { family: AF[record.key.family], protocol: 0, fwmark: record.key.fwmark }
    : {
      family: AF[record.key.family], protocol: PROTOCOLS[record.key.protocol],
      address: record.key.address, port: record.key.port, fwmark: 0,
    });
  return record.native;
}

export function nativeService(key: NormalizedServiceKey, config: ServiceConfig): NativeService {
  let flags = 0;
  if (config.persistence) flags |= SVC_FLAGS.PERSISTENT;
  if (config.onePacket) flags |= SVC_FLAGS.ONEPACKET;
  for (const f of config.schedulerFlags) flags |= SCHEDULER_FLAGS[f].bit;
  // Without persistence ipvsadm sends a host mask; keep the kernel state identical to its.
  const prefix = config.persistence?.netmask ?? maxPrefix(key.family);
  return {
    ...nativeServiceKey(key),
    scheduler: config.scheduler,
    persistenceEngine: config.persistenceEngine ?? '',
    flags,
    flagsMask: 0xffffffff,
    timeout: config.persistence?.timeout ?? 0,
    netmask: key.family === 'ipv6' ? prefix : prefixToMask(prefix),
  };
}

export function nativeDestination(dest: NormalizedDestinationKey, config?: DestinationConfig): NativeDestination {
  const out: NativeDestination = { family: AF[dest.family], address: dest.address, port: dest.port };
  if (!config) return out;
  out.forwarding = FORWARDING[config.forwarding];
  out.weight = config.weight;
  out.upperThreshold = config.upperThreshold;
  out.lowerThreshold = config.lowerThreshold;
  if (config.tunnel) {
    out.tunnelType = TUNNEL_TYPES[config.tunnel.type];
    out.tunnelPort = config.tunnel.port;
    out.tunnelFlags = TUNNEL_CHECKSUMS[config.tunnel.checksum];
  }
  return out;
}

export function nativeDaemon(d: NormalizedDaemon): NativeDaemon {
  return { ...d, state: DAEMON_STATES[d.state] };
}

const ZERO = 0n;
/** Where a read left the counters out (save() needs none): one shared, frozen object, not 50,000. */
const NO_STATS: Stats = Object.freeze({
  conns: ZERO, inPackets: ZERO, outPackets: ZERO, inBytes: ZERO, outBytes: ZERO,
  cps: ZERO, inPps: ZERO, outPps: ZERO, inBps: ZERO, outBps: ZERO,
});

export function stats(s: NativeStats | undefined): Stats {
  return s ?? NO_STATS;
}

function schedulerFlags(flags: number, scheduler: string): SchedulerFlag[] {
  const out: SchedulerFlag[] = [];
  for (const bit of [SVC_FLAGS.SCHED1, SVC_FLAGS.SCHED2, SVC_FLAGS.SCHED3]) {
    if (!(flags & bit)) continue;
    const names = (Object.keys(SCHEDULER_FLAGS) as SchedulerFlag[]).filter((n) => SCHEDULER_FLAGS[n].bit === bit);
    out.push(names.find((n) => SCHEDULER_FLAGS[n].scheduler === scheduler) ?? names.find((n) => SCHEDULER_FLAGS[n].scheduler === null)!);
  }
  return out;
}

export function serviceInfo(record: NativeRecord): ServiceInfo {
  return serviceInfoOf(record.service!);
}

function serviceInfoOf(s: NonNullable<NativeRecord['service']>): ServiceInfo {
  const family = familyName(s.family);
  const key = s.fwmark
    ? { fwmark: s.fwmark, family }
    : { protocol: (nameOf(PROTOCOLS, s.protocol) ?? `proto-${s.protocol}`) as Protocol, address: s.address!, port: s.port! };
  const persistent = (s.flags & SVC_FLAGS.PERSISTENT) !== 0;
  return {
    key,
    family,
    config: {
      scheduler: s.scheduler,
      schedulerFlags: schedulerFlags(s.flags, s.scheduler),
      onePacket: (s.flags & SVC_FLAGS.ONEPACKET) !== 0,
      persistence: persistent
        ? { timeout: s.timeout, netmask: family === 'ipv6' ? s.netmask : kernelMaskToPrefix(s.netmask) }
        : null,
      persistenceEngine: s.persistenceEngine || null,
    },
    stats: stats(s.stats),
  };
}

export function destinationInfo(record: NativeRecord): DestinationInfo {
  return destinationInfoOf(record.destination!);
}

function destinationInfoOf(d: NonNullable<NativeRecord['destination']>): DestinationInfo {
  const forwarding = nameOf(FORWARDING, d.forwarding) ?? 'masq';
  return {
    key: { address: d.address, port: d.port },
    family: familyName(d.family),
    config: {
      forwarding,
      weight: d.weight,
      upperThreshold: d.upperThreshold,
      lowerThreshold: d.lowerThreshold,
      tunnel: forwarding === 'tunnel'
        ? {
          type: nameOf(TUNNEL_TYPES, d.tunnelType ?? 0) ?? 'ipip',
          port: d.tunnelPort ?? 0,
          checksum: nameOf(TUNNEL_CHECKSUMS, d.tunnelFlags ?? 0) ?? 'nocsum',
        }
        : null,
    },
    connections: { active: d.activeConns, inactive: d.inactiveConns, persistent: d.persistentConns },
    stats: stats(d.stats),
  };
}

export function tableEntry(entry: NativeTableEntry): ServiceEntry {
  return { ...serviceInfoOf(entry.service), destinations: entry.destinations.map(destinationInfoOf) };
}

export function daemonInfo(record: NativeRecord): DaemonInfo {
  const d = record.daemon!;
  return {
    state: nameOf(DAEMON_STATES, d.state) ?? 'master',
    interface: d.interface,
    syncId: d.syncId,
    maxLength: d.maxLength ?? null,
    group: d.group ?? null,
    port: d.port ?? null,
    ttl: d.ttl ?? null,
  };
}
