/**
 * Numbers of the kernel's <linux/ip_vs.h> (uapi of Linux 6.1) and the names
 * the public API uses for them. test/unit/constants.test.ts checks every
 * number here against the value the addon was compiled with.
 */

export const AF = { ipv4: 2, ipv6: 10 } as const;

export const CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

export const PROTOCOLS = { tcp: 6, udp: 17, sctp: 132 } as const;

export const SVC_FLAGS = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** Forwarding methods (IP_VS_CONN_F_*). NAT, DR and TUN are masq, route and tunnel. */
export const FORWARDING = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 } as const;

export const TUNNEL_TYPES = { ipip: 0, gue: 1, gre: 2 } as const;

export const TUNNEL_CHECKSUMS = { nocsum: 0, csum: 1, remcsum: 2 } as const;

export const DAEMON_STATES = { master: 1, backup: 2 } as const;

/** Scheduler flags by name: the sh and mh schedulers give flags 1 and 2 a meaning. */
export const SCHEDULER_FLAGS = {
  'sh-fallback': { bit: SVC_FLAGS.SCHED1, scheduler: 'sh' },
  'sh-port': { bit: SVC_FLAGS.SCHED2, scheduler: 'sh' },
  'mh-fallback': { bit: SVC_FLAGS.SCHED1, scheduler: 'mh' },
  'mh-port': { bit: SVC_FLAGS.SCHED2, scheduler: 'mh' },
  'flag-1': { bit: SVC_FLAGS.SCHED1, scheduler: null },
  'flag-2': { bit: SVC_FLAGS.SCHED2, scheduler: null },
  'flag-3': { bit: SVC_FLAGS.SCHED3, scheduler: null },
} as const;

/** Longest scheduler or persistence-engine name: 16 bytes with the NUL. */
export const NAME_MAX_BYTES = 15;
export const IFNAME_MAX_BYTES = 15;

const reverse = new WeakMap<object, Map<number, string>>();

/** Reverse lookup of a name table: number -> name (the reverse map is built once per table). */
export function nameOf<T extends Record<string, number>>(table: T, value: number): keyof T | undefined {
  let map = reverse.get(table);
  if (!map) {
    map = new Map();
    for (const k of Object.keys(table)) if (!map.has(table[k])) map.set(table[k], k);
    reverse.set(table, map);
  }
  return map.get(value) as keyof T | undefined;
}
