// LVS-TUN: the director wraps each packet (IPv4-in-IPv4, or IPv6-in-IPv6) to
// real servers that hold the VIP on their tunnel device: two on the LAN, one
// in another network behind a router. Replies go straight to the client.
import { PLANS, cidr } from '../plans.mjs';
import { answered, bypassed, drive, even, evenly, lanCluster, lib, report, tunHost, using, withTopology } from '../cluster.mjs';
import { inNs } from '../topology.mjs';

const { defaultRoute, director } = lib;
const NAMES = ['rs1', 'rs2', 'rs3'];

export function tun(family = 'ipv4') {
  const plan = PLANS[family];
  const name = `tun${plan.suffix}`;
  return withTopology(name, async (t) => {
    const { client, dir, rs, ipvs, key, dest } = await lanCluster(t, plan, 2, tunHost);
    return using(ipvs, async () => {
      // The far network: a router (a host that forwards), and rs3 behind it.
      t.bridge('far');
      const router = t.ns('router');
      t.plug(router, 'eth0', 'lan', cidr(plan, plan.router));
      t.plug(router, 'eth1', 'far', cidr(plan, plan.far.router));
      await director.apply({ netns: router, ...plan.forwarding });
      const far = t.ns('rs3');
      t.plug(far, 'eth0', 'far', cidr(plan, plan.far.rs(0)));
      await defaultRoute.apply({ netns: far, gateway: plan.far.router });
      await tunHost(far, plan);
      await t.server(far, 'rs3', 80);
      await defaultRoute.apply({ netns: dir, gateway: plan.router });

      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, dest(i), { forwarding: 'tunnel' });
      await ipvs.addDestination(key, { address: plan.far.rs(0), port: 80 }, { forwarding: 'tunnel' });
      const { r, counts, stats } = await drive(t, plan, ipvs, key, client, NAMES);
      const tunnelled = [...rs, far].map((n) => Number(inNs(n, 'cat', `/sys/class/net/${plan.tunnel}/statistics/rx_packets`)));
      return report(ipvs, {
        name, counts, expected: even(NAMES),
        checks: [
          answered(r),
          evenly(counts),
          bypassed(stats),
          ['the real server behind a router answered', counts.rs3 > 0, `rs3 ${counts.rs3}`],
          [`real servers receive ${family === 'ipv4' ? 'IP-in-IP' : 'IPv6-in-IPv6'} on ${plan.tunnel}`, tunnelled.every((n) => n > 0), `${plan.tunnel} rx packets ${tunnelled.join(', ')}`],
        ],
      });
    });
  });
}
