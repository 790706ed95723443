// What the lab's scenarios share: the library, a topology that is always torn
// down, the traffic step, the LAN cluster of DR and TUN, and common checks.
import { createRequire } from 'node:module';
import { Topology } from './topology.mjs';
import { cidr, vipUrl } from './plans.mjs';

const require = createRequire(import.meta.url);
export const lib = require('../dist/index.js');
const { Ipvs, drRealServer, setIpvsSysctls, tunRealServer, vip } = lib;

export const REQUESTS = 30;

/** Runs fn on a fresh topology and always tears it down. */
export async function withTopology(prefix, fn) {
  const t = new Topology(prefix);
  try {
    return await fn(t);
  } finally {
    t.destroy();
  }
}

export function tally(answers, names) {
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  for (const [server] of answers) counts[server] = (counts[server] ?? 0) + 1;
  return counts;
}

/**
 * The service's counters once `conns` connections are counted. The kernel folds its per-CPU
 * counters into what it reports every 2 s, so this reads until then (at most 3 s).
 */
export async function countersOf(ipvs, key, conns) {
  let stats = (await ipvs.getService(key)).stats;
  for (let waited = 0; stats.conns < BigInt(conns) && waited < 3000; waited += 200) {
    await new Promise((res) => setTimeout(res, 200));
    stats = (await ipvs.getService(key)).stats;
  }
  return stats;
}

/** Sends the requests, then reads the service's counters. */
export async function drive(t, plan, ipvs, key, client, names, count = REQUESTS) {
  const r = t.requests(client, vipUrl(plan), count);
  const counts = tally(r.answers, names);
  return { r, counts, stats: await countersOf(ipvs, key, r.answers.length) };
}

/** A scenario's result: what the lab prints, --json writes and the kernel tests assert. */
export async function report(ipvs, result) {
  return { notes: [], ...result, table: await ipvs.getTable(), info: await ipvs.info() };
}

export const even = (names) => Object.fromEntries(names.map((n) => [n, 1 / names.length]));

// Checks that several scenarios make.
export const answered = (r) => ['every request answered', r.errors === 0, `${r.errors} errors`];
export const evenly = (counts) => {
  const n = Object.values(counts);
  return ['rr spreads evenly', Math.max(...n) - Math.min(...n) <= 1, JSON.stringify(counts)];
};
export const bypassed = (stats) =>
  ['replies bypass the director', stats.outPackets === 0n && stats.inPackets > 0n, `in ${stats.inPackets}, out ${stats.outPackets}`];

/**
 * Client, director and `count` real servers on one LAN, each serving HTTP on port 80 (or on
 * each of `ports`).
 * holdVip(ns, plan) sets a real server up to take packets for the VIP (DR: on lo; TUN: on
 * the tunnel device). The service has no destinations yet.
 */
export async function lanCluster(t, plan, count, holdVip, ports = 80) {
  t.bridge('lan');
  const client = t.ns('client');
  const dir = t.ns('director');
  const rs = Array.from({ length: count }, (_, i) => t.ns(`rs${i + 1}`));
  t.plug(client, 'eth0', 'lan', cidr(plan, plan.client));
  t.plug(dir, 'eth0', 'lan', cidr(plan, plan.director));
  await vip.apply({ netns: dir, address: plan.vip, interface: 'eth0' });
  for (let i = 0; i < rs.length; i++) {
    t.plug(rs[i], 'eth0', 'lan', cidr(plan, plan.lan(i)));
    await holdVip(rs[i], plan);
  }
  // Servers start side by side: a Node start-up is the slowest step of a scenario.
  await Promise.all(rs.map((n, i) => t.server(n, `rs${i + 1}`, ports)));
  const ipvs = await Ipvs.open({ netns: dir });
  // The director sees only the client's packets, so its TCP entries end in FIN_WAIT, not
  // TIME_WAIT; a client port reused within their 2 minutes would follow the old entry to its
  // old server, past a new weight or scheduler. conn_reuse_mode bit 2 schedules it anew.
  await setIpvsSysctls({ connReuseMode: 3 }, { netns: dir });
  const key = { protocol: 'tcp', address: plan.vip, port: 80 };
  const dest = (i) => ({ address: plan.lan(i), port: 80 });
  return { client, dir, rs, ipvs, key, dest };
}

/**
 * A DR real server: the ARP settings, then the VIP on lo (one call, the LVS recipes' real-server
 * script). IPv6 needs no ARP settings (Linux answers neighbour solicitations only for
 * addresses of the interface they arrive on); they are harmless there.
 */
export async function drHost(ns, plan) {
  await drRealServer.apply({ netns: ns, interfaces: ['eth0'], vip: plan.vip });
}

/** A DR real server without the ARP settings: what the LVS recipes warn about. */
export async function drHostWithoutArp(ns, plan) {
  await vip.apply({ netns: ns, address: plan.vip });
}

/**
 * A TUN real server: ARP and rp_filter settings, then the VIP on the tunnel device (tunl0
 * for IPv4-in-IPv4, ip6tnl0 for IPv6-in-IPv6, chosen by the VIP's family), brought up.
 */
export async function tunHost(ns, plan) {
  await tunRealServer.apply({ netns: ns, interfaces: ['eth0'], vip: plan.vip });
}

/** Closes the client whatever fn does. */
export async function using(ipvs, fn) {
  try {
    return await fn();
  } finally {
    ipvs.close();
  }
}
