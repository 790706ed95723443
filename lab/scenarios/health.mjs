// Health checks on a DR cluster of three (a fourth added by reload, a sorry server beside), with
// a client sending a request every 20 ms: the director agent (`node-ipvs director`) and then
// keepalived's checkers, from the same numbers, on the same cluster. Checks on the agent's own
// figures; keepalived's printed beside them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLANS, cidr, vipUrl } from '../plans.mjs';
import { drHost, lib, report, using, withTopology } from '../cluster.mjs';
import { Keepalived } from '../keepalived.mjs';
import { Director } from './health-director.mjs';
import { KernelWatch, LabServers, RequestStream } from './health-observe.mjs';
import { runAgent } from './health-phases.mjs';
import { compare } from './health-table.mjs';

const { Ipvs, setIpvsSysctls, vip } = lib;
const plan = PLANS.ipv4;
const EVERY_MS = 20;
/** The issue's numbers: HTTP checks every second, 1 s timeout, fall 2, rise 2. */
const CHECK = { interval: 1000, timeout: 1000, fall: 2, rise: 2, path: '/health' };
const RESYNC_MS = 2000;
const NAMES = ['rs1', 'rs2', 'rs3', 'rs4', 'sorry'];

/** `agents`: which to run (both by default; one alone while working on the scenario). */
export function health(agents = ['node-ipvs', 'keepalived']) {
  return withTopology('health', async (t) => {
    const t0 = Date.now();
    t.bridge('lan');
    const client = t.ns('client');
    const dir = t.ns('director');
    t.plug(client, 'eth0', 'lan', cidr(plan, plan.client));
    t.plug(dir, 'eth0', 'lan', cidr(plan, plan.director));
    await vip.apply({ netns: dir, address: plan.vip, interface: 'eth0' });
    const address = Object.fromEntries(NAMES.map((n, i) => [n, plan.lan(i)]));
    const namespaces = [];
    for (const n of NAMES) {
      const ns = t.ns(n);
      t.plug(ns, 'eth0', 'lan', cidr(plan, address[n]));
      await drHost(ns, plan);
      namespaces.push([n, ns]);
    }
    const lab = new LabServers(t, namespaces, 80, plan.director);
    await lab.started;
    const servers = Object.fromEntries(NAMES.map((n) => [n, lab.get(n)]));
    await setIpvsSysctls({ connReuseMode: 3 }, { netns: dir });
    const model = {
      vip: plan.vip, port: 80, scheduler: 'rr', forwarding: 'route', quorum: 1, resync: RESYNC_MS, check: CHECK,
      servers: ['rs1', 'rs2', 'rs3'].map((n) => address[n]), sorry: address.sorry,
    };
    const model4 = { ...model, servers: [...model.servers, address.rs4] };
    const setup = Date.now() - t0;
    const ipvs = await Ipvs.open({ netns: dir });
    return using(ipvs, async () => {
      const key = { protocol: 'tcp', address: plan.vip, port: 80 };
      const watch = new KernelWatch(ipvs, key);
      const stream = new RequestStream(t, client, vipUrl(plan), EVERY_MS);
      if (!await stream.requests.until(() => true, 0, 20_000)) throw new Error('the client sent no request in 20 s');
      const work = mkdtempSync(join(tmpdir(), 'lab-health-'));
      const runs = [];
      try {
        for (const agent of [new Director(dir, work), new Keepalived(dir, work)].filter((a) => agents.includes(a.name))) {
          runs.push(await runAgent({ agent, model, model4, ns: dir, ipvs, key, servers, address, stream, watch }));
          await ipvs.flush();
        }
      } finally {
        await Promise.all([stream.stop(), watch.stop()]);
        rmSync(work, { recursive: true, force: true });
      }
      const [ours, theirs] = runs;
      return report(ipvs, {
        name: 'health', counts: ours.counts, expected: {},
        checks: checksOf(ours),
        watchErrors: watch.errors,
        notes: theirs ? compare(ours, theirs, { check: CHECK, resync: RESYNC_MS, every: EVERY_MS }) : [JSON.stringify(ours)],
        setup,
        figures: runs,
      });
    });
  });
}

/** The agent's own figures against the bounds its settings promise (+1 s for the sandbox's slowness). */
function checksOf(m) {
  const slack = 1000;
  const within = (x, max) => x !== null && x <= max;
  const steady = ['rs1', 'rs2', 'rs3'].map((n) => m.steady.counts[n] ?? 0);
  return [
    ['steady: the three real servers share the traffic, nothing fails', steady.every((n) => n > 0) && m.steady.failed === 0, `${JSON.stringify(m.steady.counts)}, ${m.steady.failed} failed`],
    [`one server stopped: out of the kernel within fall × interval (${CHECK.fall} × ${CHECK.interval} ms) + 1 s, not before fall - 1 intervals`,
      within(m.detection, CHECK.fall * CHECK.interval + slack) && m.detection >= (CHECK.fall - 1) * CHECK.interval, `${m.detection} ms, ${m.failedBefore} requests failed meanwhile`],
    ['no request reached it after detection', m.failedAfter === 0 && m.hitsAfter === 0, `${m.failedAfter} failed, ${m.hitsAfter} reached it`],
    [`started again: takes traffic within rise × interval (${CHECK.rise} × ${CHECK.interval} ms) + 1 s`, within(m.recovery, CHECK.rise * CHECK.interval + slack), `${m.recovery} ms (in the kernel after ${m.recoveryKernel} ms)`],
    ['all three stopped: the sorry server answers, and once it does nothing fails', within(m.sorry, CHECK.fall * CHECK.interval + slack) && m.sorryFailedAfter === 0,
      `after ${m.sorry} ms (${m.sorryFailed} failed before the kernel's switch at ${m.sorryKernel} ms, ${m.sorryFailedAfter} after${m.sorryFailuresAfter?.length ? `: ${m.sorryFailuresAfter.join(', ')}` : ''})`],
    ['all three started: traffic returns to them and the sorry server leaves', within(m.returned, CHECK.rise * CHECK.interval + slack) && within(m.sorryGone, CHECK.rise * CHECK.interval + 2 * slack),
      `first answer after ${m.returned} ms, sorry server gone after ${m.sorryGone} ms`],
    // The agent's resync timer runs from the end of one resync to the start of the next, so a
    // deletion just after a resync read the kernel waits that resync, the interval, and the next.
    [`a real server deleted with ipvsadm is back within the resync interval (${RESYNC_MS} ms) + 2 s`, within(m.drift, RESYNC_MS + 2 * slack), `${m.drift ?? 'not'} ms`],
    ['reload with a fourth server: it takes traffic', within(m.reload, 3000), `after ${m.reload} ms`],
    ['the reload touched nothing else: rs1-rs3 kept their weight and counters, no request failed',
      m.reloadTouched.length === 0 && m.countersReset.length === 0 && m.reloadFailed === 0,
      [...m.reloadTouched, ...m.countersReset, `${m.reloadFailed} failed`].join('; ')],
    ['stopped by SIGTERM with onStop remove: no service left', m.leftOnStop === 0, `${m.leftOnStop} left, stopped in ${m.stopSeconds} s`],
  ];
}
