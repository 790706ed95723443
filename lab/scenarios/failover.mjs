// Director failover on a DR cluster: two directors share the VIP over VRRP, three real servers, a
// client holding 200 connections (a line every 100 ms each, every reply checked) and opening a new
// short connection every 50 ms. The master is killed (SIGKILL, as a crash), then brought back
// (it preempts); then the same with its link down and up. Printed per event: the failover time
// (the longest gap between replies on the held connections), the held connections that survived,
// the new connections that failed; and how many connection entries the taking-over director held
// before; and, on a failback, how many of 100 connections opened through dir2 while it was master
// survive (dir1 knows them only from the sync daemon). The pairs (lab/failover/pairs.mjs):
// keepalived, node-ipvs (sync 'both', the default), node-ipvs with sync 'follow', and the mixed pairs; failoverCompare runs them
// in turn and prints them side by side.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { directorPair, PAIRS } from '../failover/pairs.mjs';
import { sideBySide } from '../failover/table.mjs';
import { lib, withTopology } from '../cluster.mjs';
import { PLANS, cidr } from '../plans.mjs';
import { inNs } from '../topology.mjs';

const { Ipvs, drRealServer } = lib;
const HELD = 200;
/** Connections opened through dir2 while it is master: does the failback keep them (a resync)? */
const LATE = 100;
const PORT = 80;
/** The share of the held connections that must survive each event. */
const SURVIVE = 0.99;
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
async function failoverClient(t, ns, vip, count = HELD) {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, new URL('../failover/client.mjs', import.meta.url).pathname, vip, String(PORT), String(count)],
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

/** One pair through the four events: { name, title, checks, notes, rows }. */
export function failover(kind = 'keepalived', { preemptDelay = 0 } = {}) {
  const plan = PLANS.ipv4;
  // Where a two-minute scenario is: a run that goes past a test's timeout says which wait it was in.
  const began = Date.now();
  const progress = (what) => process.stderr.write(`  failover-${kind}: ${what} at ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  return withTopology(`fo-${kind.slice(0, 4)}${kind.endsWith('reverse') ? 'r' : ''}`, async (t) => {
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
    const pair = directorPair(t, kind, dirs, { vip: plan.vip, port: PORT, servers: rs.map((_, i) => plan.lan(i)), preemptDelay });
    const ipvs = await Promise.all(dirs.map((ns) => Ipvs.open({ netns: ns })));
    const checks = [];
    const rows = [];
    let late = null;
    const holdsVip = (i) => inNs(dirs[i], 'ip', '-o', 'addr', 'show', 'dev', 'eth0').includes(`${plan.vip}/32`);
    const daemons = async (i) => (await ipvs[i].listDaemons()).map((d) => d.state).sort().join('+') || 'none';
    try {
      pair.start(0);
      pair.start(1);
      const elected = await until(() => pair.state(0) === 'master' && pair.state(1) === 'backup' && holdsVip(0) && !holdsVip(1), 20_000);
      progress(elected ? 'elected' : 'no election');
      checks.push(['dir1 (priority 150) is master and holds the VIP, dir2 backup', elected, `${pair.state(0)} / ${pair.state(1)}`]);
      const c = await failoverClient(t, client, plan.vip);
      checks.push([`${HELD} connections held through dir1`, c.start.held === HELD && c.start.servers.every(Boolean), `${c.start.held}`]);
      await sleep(2000);
      // The held connections' entries a director has (synced or its own), before it takes over.
      const known = async (i) => (await ipvs[i].listConnections()).filter((e) =>
        e.client.address === plan.client && e.virtual.port === PORT && e.state === 'ESTABLISHED').length;
      // Failover events (back = 1) open LATE connections through dir2 afterwards; the failback that
      // follows (back = 0) reports them too: dir1 knows them only from the sync daemon.
      const event = async (what, act, back, other) => {
        // A failover waits (up to 12 s) until dir2 knows the held connections: a sync message lost on
        // the way (the guest's one receive backlog drops packets under this load) is sent again only 50
        // packets later (sync_period), 5 s at a line every 100 ms. A failback does not wait: what the
        // returning dir1 knows of the connections opened meanwhile is what it measures.
        let before = await known(back);
        if (back === 1) await until(async () => (before = await known(back)) >= HELD, 12_000);
        progress(`${what}: dir${back + 1} knows ${before} connections`);
        c.mark();
        late?.mark();
        const acted = Date.now();
        await act();
        // A returning dir1 first waits as a backup: does it hold the VIP meanwhile (left by the crash)?
        // A VIP seen while the log still says backup may be the takeover itself (its line not read yet): it
        // counts only if dir1 still says backup a moment later. Its states since the event, not its last
        // one: a loaded guest can read its backup and master lines together, and polling for the last
        // state to be backup would then wait out the whole 30 s.
        const since = () => pair.statesSince(0, acted);
        const backupVip = back === 0 && await until(() => since().includes('backup') || since().includes('master'), 30_000)
          && pair.state(0) === 'backup' ? holdsVip(0) && (await sleep(300), pair.state(0) === 'backup') : null;
        progress(`${what}: dir${back + 1} ${backupVip === null && back === 0 ? `went ${since().join(' → ') || 'nowhere'}` : 'acted on'}`);
        const took = await until(() => pair.state(back) === 'master' && holdsVip(back), 15_000 + preemptDelay * 1000);
        progress(`${what}: dir${back + 1} ${took ? 'master' : 'not master'}`);
        // When the taking-over agent said it became master (its log line read), from the event.
        const takeover = took ? pair.lastState(back).t - acted : null;
        // A held connection that has not answered yet is retransmitting with a doubling backoff: after an
        // outage of 3 s on a slow guest its next try can come 6-12 s later. It survived if it answers at all,
        // so the report waits (up to 30 s) until none is silent; 5 s at least, for the new connections' count.
        await sleep(5000);
        let r = await c.report();
        for (const end = Date.now() + 25_000; r.silent > 0 && Date.now() < end; r = await c.report()) await sleep(500);
        const lr = late && await late.report();
        if (late) {
          late.stop();
          late = null;
        }
        // Who holds the VIP once it settled (a director that is not master should not), and the sync daemons each runs.
        const vips = [0, 1].filter(holdsVip).map((i) => `dir${i + 1}`).join('+') || 'none';
        rows.push({ what, before, takeover, backupVip, vips, daemons: [await daemons(0), await daemons(1)], ...r, ...(lr ? { late: { alive: lr.alive, held: lr.held, broke: lr.broke, why: lr.why } } : {}) });
        checks.push([`${what}: dir${back + 1} took over`, took, `${pair.state(back)}`]);
        checks.push([`${what}: at least ${SURVIVE * 100}% of the held connections survive`, r.alive >= SURVIVE * HELD,
          `${r.alive}/${r.held}; broke ${r.broke}${r.why.length ? ` (${r.why.join('; ')})` : ''}; dir${back + 1} knew ${before} before`]);
        if (other !== undefined) checks.push([`${what}: only dir${back + 1} holds the VIP`, vips === `dir${back + 1}`, vips]);
        if (backupVip !== null) checks.push([`${what}: dir1 holds no VIP while it waits as a backup`, !backupVip, backupVip ? 'held' : 'none']);
        if (back === 1) {
          late = await failoverClient(t, client, plan.vip, LATE);
          await sleep(3000);
        }
      };
      await event('dir1 killed (SIGKILL)', () => pair.kill(0), 1);
      await event(`dir1 back (preempts${preemptDelay ? ` after ${preemptDelay} s` : ''})`, () => pair.start(0), 0, 1);
      await event('dir1 link down', () => inNs(dirs[0], 'ip', 'link', 'set', 'eth0', 'down'), 1);
      await event(`dir1 link up (preempts${preemptDelay ? ` after ${preemptDelay} s` : ''})`, () => inNs(dirs[0], 'ip', 'link', 'set', 'eth0', 'up'), 0, 1);
      c.stop();
    } finally {
      late?.stop();
      await pair.stopAll();
      for (const i of ipvs) i.close();
    }
    const notes = rows.map((r) => `${r.what}: master after ${r.takeover} ms, failover ${r.longestGap} ms, held ${r.alive}/${r.held} alive (broke: ${r.broke}${r.why.length ? `, ${r.why.join('; ')}` : ''}), ` +
      `new connections failed ${r.newFailed} of ${r.newFailed + r.newOk}${r.newFailedWhy.length ? ` (${r.newFailedWhy.join(', ')})` : ''}, ` +
      `${r.late ? `connections opened through dir2 alive ${r.late.alive}/${r.late.held}${r.late.why.length ? ` (${r.late.why.join('; ')})` : ''}, ` : ''}` +
      `${r.backupVip === null ? '' : `dir1 ${r.backupVip ? 'held' : 'did not hold'} the VIP as a backup, `}` +
      `the taking-over director held entries for ${r.before} of them before; then VIP on ${r.vips}, sync daemons dir1 ${r.daemons[0]}, dir2 ${r.daemons[1]}`);
    notes.push(`agents' logs: ${pair.logs().join(' ')}`);
    return { name: `failover-${kind}`, title: pair.title, counts: {}, expected: {}, checks, notes, table: [], rows };
  });
}

/** Every pair of `kinds` in turn, then their figures side by side. */
export async function failoverCompare(kinds = Object.keys(PAIRS), options = {}) {
  const results = [];
  for (const kind of kinds) results.push(await failover(kind, options));
  return {
    name: `failover-compare${options.preemptDelay ? '-delay' : ''}`, counts: {}, expected: {}, table: [],
    checks: results.flatMap((r) => r.checks.map(([what, ok, detail]) => [`${r.title}: ${what}`, ok, detail])),
    notes: [...results.flatMap((r) => r.notes.map((n) => `${r.title}: ${n}`)), ...sideBySide(results)],
    pairs: results.map(({ name, title, rows }) => ({ name, title, rows })),
  };
}
