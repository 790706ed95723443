// The seed clusters with real traffic. Each scenario builds its topology,
// sets the hosts up with the library, sends requests from the client to the
// VIP, checks what a person setting up LVS would check, and tears down.
import { createRequire } from 'node:module';
import { Topology, inNs } from './topology.mjs';

const require = createRequire(import.meta.url);
const lib = require('../dist/index.js');
const { Ipvs, director, drRealServer, natRealServer, tunRealServer, vip } = lib;

const VIP = '203.0.113.10';
const CLIENT = '203.0.113.100';
const REQUESTS = 30;

function tally(answers, names) {
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  for (const [server] of answers) counts[server] = (counts[server] ?? 0) + 1;
  return counts;
}

/** Sends the requests, then reads the service's counters (the kernel folds them every 2 s). */
async function drive(t, ipvs, key, client, names) {
  const r = t.requests(client, `http://${VIP}/`, REQUESTS);
  const counts = tally(r.answers, names);
  await new Promise((res) => setTimeout(res, 2200));
  return { r, counts, stats: (await ipvs.getService(key)).stats };
}

// The checks every scenario with two real servers under rr makes.
const answered = (r) => ['every request answered', r.errors === 0, `${r.errors} errors`];
const even = (counts) => ['rr spreads evenly', Math.abs(counts.rs1 - counts.rs2) <= 1, JSON.stringify(counts)];
const bypassed = (stats) =>
  ['replies bypass the director', stats.outPackets === 0n && stats.inPackets > 0n, `in ${stats.inPackets}, out ${stats.outPackets}`];

/** Runs fn on a fresh topology and always tears it down. */
async function withTopology(prefix, fn) {
  const t = new Topology(prefix);
  try {
    return await fn(t);
  } finally {
    t.destroy();
  }
}

/** Two real servers behind a director that rewrites addresses both ways. */
export function nat() {
  return withTopology('nat', async (t) => {
    t.bridge('ext');
    t.bridge('int');
    const client = t.ns('client');
    const dir = t.ns('director');
    const rs = [t.ns('rs1'), t.ns('rs2')];
    t.plug(client, 'eth0', 'ext', `${CLIENT}/24`);
    t.plug(dir, 'eth0', 'ext', '203.0.113.1/24');
    t.plug(dir, 'eth1', 'int', '192.0.2.1/24');
    for (let i = 0; i < rs.length; i++) {
      t.plug(rs[i], 'eth0', 'int', `192.0.2.${11 + i}/24`);
      await natRealServer.apply({ netns: rs[i], gateway: '192.0.2.1' });
    }
    await director.apply({ netns: dir, ipv4Forwarding: true });
    await vip.apply({ netns: dir, address: VIP, interface: 'eth0' });
    const ipvs = await Ipvs.open({ netns: dir });
    const key = { protocol: 'tcp', address: VIP, port: 80 };
    try {
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) {
        await t.server(rs[i], `rs${i + 1}`, 8080);
        await ipvs.addDestination(key, { address: `192.0.2.${11 + i}`, port: 8080 }, { forwarding: 'masq' });
      }
      const { r, counts, stats } = await drive(t, ipvs, key, client, ['rs1', 'rs2']);
      return {
        name: 'nat', counts, expected: { rs1: 0.5, rs2: 0.5 },
        checks: [
          answered(r),
          even(counts),
          ['real servers see the client address', r.answers.every(([, seen]) => seen.endsWith(CLIENT)), r.answers[0]?.[1]],
          ['replies return through the director', stats.outPackets > 0n, `out packets ${stats.outPackets}`],
        ],
        table: await ipvs.getTable(),
        info: await ipvs.info(),
      };
    } finally {
      ipvs.close();
    }
  });
}

/**
 * Client, director and `count` real servers on one LAN, each serving HTTP on port 80.
 * holdVip sets a real server up to take packets for the VIP (DR: on lo; TUN: on tunl0).
 * The service has no destinations yet.
 */
async function lanCluster(t, count, holdVip) {
  t.bridge('lan');
  const client = t.ns('client');
  const dir = t.ns('director');
  const rs = Array.from({ length: count }, (_, i) => t.ns(`rs${i + 1}`));
  t.plug(client, 'eth0', 'lan', `${CLIENT}/24`);
  t.plug(dir, 'eth0', 'lan', '203.0.113.1/24');
  await vip.apply({ netns: dir, address: VIP, interface: 'eth0' });
  for (let i = 0; i < rs.length; i++) {
    t.plug(rs[i], 'eth0', 'lan', `203.0.113.${11 + i}/24`);
    await holdVip(rs[i]);
    await t.server(rs[i], `rs${i + 1}`, 80);
  }
  const ipvs = await Ipvs.open({ netns: dir });
  const key = { protocol: 'tcp', address: VIP, port: 80 };
  const dest = (i) => ({ address: `203.0.113.${11 + i}`, port: 80 });
  return { client, dir, rs, ipvs, key, dest };
}

/** A DR real server: ARP settings, then the VIP on lo. */
async function drHost(ns) {
  await drRealServer.apply({ netns: ns, interfaces: ['eth0'] });
  await vip.apply({ netns: ns, address: VIP });
}

/** A TUN real server: the VIP on tunl0 (brought up), then ARP and rp_filter settings. */
async function tunHost(ns) {
  await vip.apply({ netns: ns, address: VIP, interface: 'tunl0' });
  await tunRealServer.apply({ netns: ns, interfaces: ['eth0'] });
}

/** Direct routing: real servers hold the VIP on lo and answer the client themselves. */
export function dr() {
  return withTopology('dr', async (t) => {
    const { client, dir, rs, ipvs, key, dest } = await lanCluster(t, 2, drHost);
    try {
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route' });
      const { r, counts, stats } = await drive(t, ipvs, key, client, ['rs1', 'rs2']);
      const neigh = inNs(client, 'ip', 'neigh', 'show', VIP);
      const dirMac = t.mac(dir, 'eth0');
      const ready = await Promise.all(rs.map((n) => drRealServer.status({ netns: n, interfaces: ['eth0'] })));
      return {
        name: 'dr', counts, expected: { rs1: 0.5, rs2: 0.5 },
        checks: [
          answered(r),
          even(counts),
          bypassed(stats),
          ["the client's ARP entry for the VIP is the director's MAC", neigh.includes(dirMac), neigh.trim() || 'none'],
          ['real servers: ARP settings effective', ready.every((s) => s.ready), ready.map((s) => `arp_ignore ${s.interfaces[0].arpIgnore}, arp_announce ${s.interfaces[0].arpAnnounce}`).join('; ')],
        ],
        table: await ipvs.getTable(),
        info: await ipvs.info(),
      };
    } finally {
      ipvs.close();
    }
  });
}

/** Weights, stickiness and a live scheduler change, on a DR cluster of three. */
export function schedulers() {
  return withTopology('sched', async (t) => {
    const { client, rs, ipvs, key, dest } = await lanCluster(t, 3, drHost);
    try {
      // wrr 1:2:2 (the seeds' weights), then sh (source hashing: one client, one server), then persistence.
      await ipvs.addService(key, { scheduler: 'wrr' });
      const weights = [1, 2, 2];
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route', weight: weights[i] });
      const n = 50;
      const w = tally(t.requests(client, `http://${VIP}/`, n).answers, ['rs1', 'rs2', 'rs3']);
      const wrrOk = [0, 1, 2].every((i) => Math.abs(w[`rs${i + 1}`] / n - weights[i] / 5) <= 0.1);
      // The seeds' `ipvsadm -E ... -s sh`: a live change, without dropping the service.
      await ipvs.updateService(key, { scheduler: 'sh' });
      const sh = new Set(t.requests(client, `http://${VIP}/`, 10).answers.map(([s]) => s));
      await ipvs.updateService(key, { scheduler: 'rr', persistence: 60 });
      const sticky = new Set(t.requests(client, `http://${VIP}/`, 10).answers.map(([s]) => s));
      const services = await ipvs.listServices();
      return {
        name: 'schedulers', counts: w, expected: { rs1: 0.2, rs2: 0.4, rs3: 0.4 },
        checks: [
          ['wrr 1:2:2 gives those shares within 10 points', wrrOk, JSON.stringify(w)],
          ['sh (after a live -E) keeps one client on one real server', sh.size === 1, [...sh].join(',')],
          ['persistence keeps one client on one real server', sticky.size === 1, [...sticky].join(',')],
          ['the service lived through both changes', services.length === 1 && services[0].config.persistence?.timeout === 60, services.map((s) => s.config.scheduler).join(',')],
        ],
        table: await ipvs.getTable(),
        info: await ipvs.info(),
      };
    } finally {
      ipvs.close();
    }
  });
}

/** IP-in-IP: the director tunnels to real servers that hold the VIP on tunl0. */
export function tun() {
  return withTopology('tun', async (t) => {
    const { client, rs, ipvs, key, dest } = await lanCluster(t, 2, tunHost);
    try {
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'tunnel' });
      const { r, counts, stats } = await drive(t, ipvs, key, client, ['rs1', 'rs2']);
      const tunnelled = rs.map((n) => Number(inNs(n, 'cat', '/sys/class/net/tunl0/statistics/rx_packets')));
      return {
        name: 'tun', counts, expected: { rs1: 0.5, rs2: 0.5 },
        checks: [
          answered(r),
          even(counts),
          bypassed(stats),
          ['real servers receive IP-in-IP on tunl0', tunnelled.every((n) => n > 0), `tunl0 rx packets ${tunnelled.join(', ')}`],
        ],
        table: await ipvs.getTable(),
        info: await ipvs.info(),
      };
    } finally {
      ipvs.close();
    }
  });
}

export const SCENARIOS = { nat, dr, tun, schedulers };
