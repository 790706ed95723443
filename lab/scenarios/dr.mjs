// LVS-DR: the director rewrites only the destination MAC; real servers on the
// same LAN hold the VIP on lo and answer the client directly.
import { PLANS } from '../plans.mjs';
import { answered, bypassed, drHost, drHostWithoutArp, drive, even, evenly, lanCluster, lib, report, using, withTopology } from '../cluster.mjs';

const { drRealServer } = lib;

export function dr(family = 'ipv4') {
  const plan = PLANS[family];
  const name = `dr${plan.suffix}`;
  return withTopology(name, async (t) => {
    const { client, dir, rs, ipvs, key, dest } = await lanCluster(t, plan, 2, drHost);
    return using(ipvs, async () => {
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route' });
      const { r, counts, stats } = await drive(t, plan, ipvs, key, client, ['rs1', 'rs2']);
      const neigh = t.neighbour(client, plan.vip);
      const dirMac = t.mac(dir, 'eth0');
      const checks = [
        answered(r),
        evenly(counts),
        bypassed(stats),
        [`the client's ${family === 'ipv6' ? 'neighbour' : 'ARP'} entry for the VIP is the director's MAC`, neigh.includes(dirMac), neigh || 'none'],
      ];
      const ready = await Promise.all(rs.map((n) => drRealServer.status({ netns: n, interfaces: ['eth0'], vip: plan.vip })));
      checks.push(['drRealServer.status: VIP held, ARP settings effective', ready.every((s) => s.ready),
        ready.map((s) => `VIP ${s.vip?.present ? 'on lo' : 'missing'}, arp_ignore ${s.interfaces[0].arpIgnore}, arp_announce ${s.interfaces[0].arpAnnounce}`).join('; ')]);
      if (family === 'ipv4') {
        const answers = t.arpAnswers(client, 'eth0', plan.vip);
        checks.push(['only the director answers ARP for the VIP', answers.length === 1 && answers[0] === dirMac, answers.join(', ') || 'nobody']);
      }
      return report(ipvs, { name, counts, expected: even(['rs1', 'rs2']), checks });
    });
  });
}

/**
 * The failure the LVS recipes warn about: DR real servers holding the VIP without the ARP
 * settings answer ARP for it too, so a client may send straight to a real server and
 * bypass the director. Shown (every answer, and who the client believed), not fatal.
 */
export function drWithoutArp() {
  const plan = PLANS.ipv4;
  return withTopology('noarp', async (t) => {
    const { client, dir, rs, ipvs, key, dest } = await lanCluster(t, plan, 2, drHostWithoutArp);
    return using(ipvs, async () => {
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'route' });
      const macs = { [t.mac(dir, 'eth0')]: 'director', ...Object.fromEntries(rs.map((n, i) => [t.mac(n, 'eth0'), `rs${i + 1}`])) };
      const answers = t.arpAnswers(client, 'eth0', plan.vip).map((m) => macs[m] ?? m);
      const { counts, stats } = await drive(t, plan, ipvs, key, client, ['rs1', 'rs2'], 10);
      const neigh = t.neighbour(client, plan.vip);
      const believed = Object.entries(macs).find(([mac]) => neigh.includes(mac))?.[1] ?? 'nobody';
      const ready = await Promise.all(rs.map((n) => drRealServer.status({ netns: n, interfaces: ['eth0'], vip: plan.vip })));
      return report(ipvs, {
        name: 'dr-no-arp', counts, expected: {},
        checks: [
          ['drRealServer.status reports the real servers not ready', ready.every((s) => !s.ready), ready.map((s) => `arp_ignore ${s.interfaces[0].arpIgnore}`).join('; ')],
          ['without the settings, real servers answer ARP for the VIP too', answers.includes('rs1') && answers.includes('rs2'), `answered: ${answers.join(', ') || 'nobody'} (with the settings: the director alone)`],
        ],
        notes: [
          `the client's ARP entry for the VIP points at: ${believed}`,
          `requests through IPVS: ${stats.conns} of 10${believed === 'director' ? '' : ' (the rest went straight to a real server, bypassing the director)'}`,
        ],
      });
    });
  });
}
