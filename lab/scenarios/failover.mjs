// Director failover on a DR cluster: two directors share the VIP over VRRP, three real servers, a
// client holding 200 connections (a line every 100 ms each, every reply checked) and opening a new
// short connection every 50 ms. The master is killed (SIGKILL, as a crash), then brought back
// (it preempts); then the same with its link down and up. Printed per event: the failover time
// (the longest gap between replies on the held connections), the held connections that survived,
// the new connections that failed; and how many connection entries the backup held before.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KeepalivedDirector } from '../failover/keepalived-pair.mjs';
import { lib, withTopology } from '../cluster.mjs';
import { PLANS, cidr } from '../plans.mjs';
import { inNs } from '../topology.mjs';

const { Ipvs, drRealServer } = lib;
const HELD = 200;
const PORT = 80;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until check() is true, polling every 100 ms; false at the deadline. */
async function until(check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

/** The lab client (lab/failover/client.mjs) in ns: mark() starts a phase, report() reads its figures. */
async function failoverClient(t, ns, vip) {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, new URL('../failover/client.mjs', import.meta.url).pathname, vip, String(PORT), String(HELD)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  t.processes.push(p);
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('lab/failover/client.mjs exited');
    return JSON.parse(value);
  };
  const start = await next();
  return {
    start,
    mark: () => p.stdin.write('mark\n'),
    report: async () => { p.stdin.write('report\n'); return next(); },
    stop: () => p.stdin.end(),
  };
}

/**
 * The pair in `kind` ('keepalived' for now): { start(i), kill(i), state(i) } over directors 0 and 1.
 * Director 0 has the higher priority and preempts.
 */
function keepalivedPair(t, dirs, plan, servers) {
  const agents = [null, null];
  const model = (i) => ({
    name: `dir${i + 1}`, priority: i === 0 ? 150 : 100, preempt: true, advertSeconds: 0.5, vrid: 51, syncId: 51,
    vip: plan.vip, port: PORT, servers,
  });
  return {
    name: 'keepalived + keepalived',
    start: (i) => {
      const a = new KeepalivedDirector(dirs[i], mkdtempSync(join(tmpdir(), `${dirs[i]}-`)));
      agents[i] = a;
      a.start(model(i));
      t.processes.push(a.process);
    },
    kill: (i) => agents[i].kill(),
    state: (i) => agents[i].state(),
    stopAll: async () => { for (const a of agents) if (a?.process.exitCode === null && a.process.signalCode === null) await a.stop(); },
  };
}

export function failover(kind = 'keepalived') {
  const plan = PLANS.ipv4;
  return withTopology(`fo-${kind.slice(0, 4)}`, async (t) => {
    t.bridge('lan');
    const client = t.ns('client');
    const dirs = [t.ns('dir1'), t.ns('dir2')];
    const rs = [0, 1, 2].map((i) => t.ns(`rs${i + 1}`));
    t.plug(client, 'eth0', 'lan', cidr(plan, plan.client));
    dirs.forEach((ns, i) => t.plug(ns, 'eth0', 'lan', cidr(plan, `203.0.113.${i + 1}`)));
    rs.forEach((ns, i) => t.plug(ns, 'eth0', 'lan', cidr(plan, plan.lan(i))));
    for (const ns of rs) await drRealServer.apply({ netns: ns, interfaces: ['eth0'], vip: plan.vip });
    await Promise.all(rs.map((ns, i) => new Promise((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', ns, process.execPath, new URL('../failover/echo-server.mjs', import.meta.url).pathname, `rs${i + 1}`, String(PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
      t.processes.push(p);
      p.stdout.once('data', resolve);
      p.once('exit', reject);
    })));
    const pair = keepalivedPair(t, dirs, plan, rs.map((_, i) => plan.lan(i)));
    const ipvs = await Promise.all(dirs.map((ns) => Ipvs.open({ netns: ns })));
    const checks = [];
    const rows = [];
    const holdsVip = (i) => inNs(dirs[i], 'ip', '-o', 'addr', 'show', 'dev', 'eth0').includes(`${plan.vip}/32`);
    try {
      pair.start(0);
      pair.start(1);
      const elected = await until(() => pair.state(0) === 'master' && pair.state(1) === 'backup' && holdsVip(0) && !holdsVip(1), 20_000);
      checks.push(['dir1 (priority 150) is master and holds the VIP, dir2 backup', elected, `${pair.state(0)} / ${pair.state(1)}`]);
      const c = await failoverClient(t, client, plan.vip);
      checks.push([`${HELD} connections held through dir1`, c.start.held === HELD && c.start.servers.every(Boolean), `${c.start.held}`]);
      await sleep(2000);
      // The held connections' entries a director has (synced or its own), before it takes over.
      const known = async (i) => (await ipvs[i].listConnections()).filter((e) =>
        e.client.address === plan.client && e.virtual.port === PORT && e.state === 'ESTABLISHED').length;
      const event = async (what, act, back) => {
        const before = await known(back);
        c.mark();
        await act();
        const took = await until(() => pair.state(back) === 'master' && holdsVip(back), 15_000);
        await sleep(5000);
        const r = await c.report();
        rows.push({ what, before, ...r });
        checks.push([`${what}: dir${back + 1} took over`, took, `${pair.state(back)}`]);
      };
      await event('dir1 killed (SIGKILL)', () => pair.kill(0), 1);
      await event('dir1 back (preempts)', () => pair.start(0), 0);
      await event('dir1 link down', () => inNs(dirs[0], 'ip', 'link', 'set', 'eth0', 'down'), 1);
      await event('dir1 link up (preempts)', () => inNs(dirs[0], 'ip', 'link', 'set', 'eth0', 'up'), 0);
      c.stop();
    } finally {
      await pair.stopAll();
      for (const i of ipvs) i.close();
    }
    const notes = rows.map((r) => `${r.what}: failover ${r.longestGap} ms, held ${r.alive}/${r.held} alive (broke: ${r.broke}${r.why.length ? `, ${r.why.join('; ')}` : ''}), ` +
      `new connections failed ${r.newFailed} of ${r.newFailed + r.newOk}${r.newFailedWhy.length ? ` (${r.newFailedWhy.join(', ')})` : ''}, ` +
      `the taking-over director held entries for ${r.before} of them before`);
    return { name: `failover-${kind}`, counts: {}, expected: {}, checks, notes, table: [], rows };
  });
}
