// Schedulers on a DR cluster of three: wrr weights, a live change to sh,
// persistence; and the least-connection schedulers with connections held open.
import { PLANS, vipUrl } from '../plans.mjs';
import { countersOf, drHost, lanCluster, report, tally, using, withTopology } from '../cluster.mjs';

const plan = PLANS.ipv4;
const url = vipUrl(plan);

/** wrr with weights gives those shares, within this many points. */
const TOLERANCE = 0.1;

export function schedulers() {
  return withTopology('sched', async (t) => {
    const { client, dir, rs, ipvs, key, dest } = await lanCluster(t, plan, 3, drHost);
    const names = ['rs1', 'rs2', 'rs3'];
    const seenPorts = new Set();
    const dirMac = t.mac(dir, 'eth0');
    /**
     * One phase's requests, and `why`: what besides the scheduler can have placed them (a
     * client port an earlier phase used; the client sending to a real server's MAC).
     */
    const phase = (count) => {
      const { answers } = t.requests(client, url, count);
      const reused = answers.filter(([, , port]) => seenPorts.has(port)).length;
      for (const [, , port] of answers) seenPorts.add(port);
      const neigh = t.neighbour(client, plan.vip);
      const why = [
        reused ? `${reused} of ${answers.length} reused a client port of an earlier phase` : '',
        neigh.includes(dirMac) ? '' : `the client's entry for the VIP is ${neigh || 'none'}, the director is ${dirMac}`,
      ].filter(Boolean).map((w) => `; ${w}`).join('');
      return { answers, why };
    };
    const shares = (counts, weights) => {
      const total = weights.reduce((a, b) => a + b, 0);
      const n = Object.values(counts).reduce((a, b) => a + b, 0);
      return names.every((s, i) => Math.abs(counts[s] / n - weights[i] / total) <= TOLERANCE);
    };
    return using(ipvs, async () => {
      // wrr 1:2:2 (the LVS recipes' weights), then 2:5 with rs3 quiesced (weight 0).
      await ipvs.addService(key, { scheduler: 'wrr' });
      const weights = [1, 2, 2];
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route', weight: weights[i] });
      const p1 = phase(50);
      const w = tally(p1.answers, names);
      const weights2 = [2, 5, 0];
      for (let i = 0; i < rs.length; i++) await ipvs.updateDestination(key, dest(i), { weight: weights2[i] });
      const p2 = phase(35);
      const w2 = tally(p2.answers, names);
      const reuse = reusePort(t, client, p1.answers.filter(([s]) => s === 'rs3').map(([, , port]) => port));
      // The LVS recipes' `ipvsadm -E ... -s sh`: a live change, without dropping the service.
      await ipvs.updateService(key, { scheduler: 'sh' });
      const p3 = phase(10);
      const sh = new Set(p3.answers.map(([s]) => s));
      await ipvs.updateService(key, { scheduler: 'rr', persistence: 60 });
      const p4 = phase(10);
      const sticky = new Set(p4.answers.map(([s]) => s));
      const services = await ipvs.listServices();
      await countersOf(ipvs, key, 50 + 35 + 1 + 10 + 10);  // so the table printed below shows them
      return report(ipvs, {
        name: 'schedulers', counts: w, expected: { rs1: 0.2, rs2: 0.4, rs3: 0.4 },
        checks: [
          [`wrr 1:2:2 gives those shares within ${TOLERANCE * 100} points`, shares(w, weights), `${JSON.stringify(w)}${p1.why}`],
          [`wrr 2:5 (rs3 quiesced at weight 0) gives those shares within ${TOLERANCE * 100} points`, shares(w2, weights2) && w2.rs3 === 0, `${JSON.stringify(w2)}${p2.why}`],
          ['a client port reused while the director still holds its old entry is scheduled anew, not sent to quiesced rs3',
            reuse !== null && reuse.server !== 'rs3', reuse ? `port ${reuse.port}: ${reuse.server}` : 'no port of rs3 could be used again'],
          ['sh (after a live -E) keeps one client on one real server', sh.size === 1, `${[...sh].join(',')}${p3.why}`],
          ['persistence keeps one client on one real server', sticky.size === 1, `${[...sticky].join(',')}${p4.why}`],
          ['the service lived through both changes', services.length === 1 && services[0].config.persistence?.timeout === 60, services.map((s) => s.config.scheduler).join(',')],
        ],
      });
    });
  });
}

/**
 * One request from a client port that an earlier connection used (the first of `ports` the
 * client can bind again): { port, server }, or null. In DR the director's entry for the old
 * connection lingers in FIN_WAIT for 2 minutes; conn_reuse_mode 3 (lanCluster) schedules a
 * new connection that matches it anew, where the default (1) would follow the old entry.
 */
function reusePort(t, client, ports) {
  // Every port rs3 had, not the first few: on a loaded machine a request may time out (3 s), and
  // a port whose own TIME_WAIT the client still holds cannot be bound.
  for (const port of ports) {
    const [answer] = t.requests(client, url, 1, port).answers;
    if (answer) return { port, server: answer[0] };
  }
  return null;
}

/**
 * The server lc or wlc picks for each of `count` new connections, as ip_vs_lc.c and
 * ip_vs_wlc.c do: the least (active × 256 + inactive) / weight, the first one on a tie;
 * weight 0 is never picked. (lc is wlc with every weight 1.) Held connections stay active;
 * short ones have closed (inactive) before the next one is scheduled.
 */
export function leastConnectionPicks(weights, active, inactive, count, held) {
  const a = [...active];
  const ia = [...inactive];
  const picks = [];
  const overhead = (i) => a[i] * 256 + ia[i];
  for (let k = 0; k < count; k++) {
    let least = -1;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) continue;
      if (least < 0 || overhead(i) * weights[least] < overhead(least) * weights[i]) least = i;
    }
    if (held) a[least]++;
    else ia[least]++;
    picks.push(least);
  }
  return picks;
}

/** wlc spreads held connections by weight; after a live -E to lc, new ones go to the least loaded. */
export function leastConnection() {
  return withTopology('lc', async (t) => {
    const { client, rs, ipvs, key, dest } = await lanCluster(t, plan, 2, drHost);
    const names = ['rs1', 'rs2'];
    return using(ipvs, async () => {
      const weights = [1, 3];
      await ipvs.addService(key, { scheduler: 'wlc' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route', weight: weights[i] });
      const held = await t.hold(client, url, 8);
      try {
        const expectedHeld = tally(leastConnectionPicks(weights, [0, 0], [0, 0], 8, true).map((i) => [names[i]]), names);
        const listed = await ipvs.listDestinations(key);
        const active = rs.map((_, i) => listed.find((d) => d.key.address === dest(i).address)?.connections.active ?? -1);
        const heldCounts = tally(held.servers.map((s) => [s]), names);
        // The LVS recipes' `ipvsadm -E ... -s lc`: rs1 now has the fewest active connections.
        await ipvs.updateService(key, { scheduler: 'lc' });
        const after = tally(t.requests(client, url, 10).answers, names);
        const expectedAfter = tally(leastConnectionPicks([1, 1], active, [0, 0], 10, false).map((i) => [names[i]]), names);
        const services = await ipvs.listServices();
        await countersOf(ipvs, key, 8 + 10);  // so the table printed below shows them
        return report(ipvs, {
          name: 'least-connection', counts: heldCounts, expected: { rs1: 0.25, rs2: 0.75 },
          checks: [
            ['wlc 1:3 spreads 8 held connections as the kernel formula says', JSON.stringify(heldCounts) === JSON.stringify(expectedHeld), `held ${JSON.stringify(heldCounts)}, formula ${JSON.stringify(expectedHeld)}`],
            ["the kernel's active counts match the held connections", active.join(',') === names.map((n) => heldCounts[n]).join(','), `active ${active.join(', ')}`],
            ['lc (after a live -E) sends new connections to the least loaded', JSON.stringify(after) === JSON.stringify(expectedAfter) && after.rs1 === 10, `new ${JSON.stringify(after)}`],
            ['the service lived through the change', services.length === 1 && services[0].config.scheduler === 'lc', services.map((s) => s.config.scheduler).join(',')],
          ],
        });
      } finally {
        await held.release();
      }
    });
  });
}
