// LVS-NAT: two real servers on a private network behind the director, which
// rewrites the destination to a real server and the reply's source to the VIP.
import { PLANS, cidr } from '../plans.mjs';
import { answered, drive, even, evenly, lib, report, using, withTopology } from '../cluster.mjs';

const { Ipvs, director, natRealServer, vip } = lib;

export function nat(family = 'ipv4') {
  const plan = PLANS[family];
  const name = `nat${plan.suffix}`;
  return withTopology(name, async (t) => {
    t.bridge('ext');
    t.bridge('int');
    const client = t.ns('client');
    const dir = t.ns('director');
    const rs = [t.ns('rs1'), t.ns('rs2')];
    t.plug(client, 'eth0', 'ext', cidr(plan, plan.client));
    t.plug(dir, 'eth0', 'ext', cidr(plan, plan.director));
    t.plug(dir, 'eth1', 'int', cidr(plan, plan.inside.director));
    for (let i = 0; i < rs.length; i++) {
      t.plug(rs[i], 'eth0', 'int', cidr(plan, plan.inside.rs(i)));
      await natRealServer.apply({ netns: rs[i], gateway: plan.inside.director });
    }
    await director.apply({ netns: dir, ...plan.forwarding });
    await vip.apply({ netns: dir, address: plan.vip, interface: 'eth0' });
    const ipvs = await Ipvs.open({ netns: dir });
    const key = { protocol: 'tcp', address: plan.vip, port: 80 };
    return using(ipvs, async () => {
      await Promise.all(rs.map((n, i) => t.server(n, `rs${i + 1}`, 8080)));
      await ipvs.addService(key, { scheduler: 'rr' });
      for (let i = 0; i < rs.length; i++) await ipvs.addDestination(key, { address: plan.inside.rs(i), port: 8080 }, { forwarding: 'masq' });
      const { r, counts, stats } = await drive(t, plan, ipvs, key, client, ['rs1', 'rs2']);
      return report(ipvs, {
        name, counts, expected: even(['rs1', 'rs2']),
        checks: [
          answered(r),
          evenly(counts),
          ['real servers see the client address', r.answers.length > 0 && r.answers.every(([, seen]) => seen.endsWith(plan.client)), r.answers[0]?.[1]],
          ['replies return through the director', stats.outPackets > 0n, `out packets ${stats.outPackets}`],
        ],
      });
    });
  });
}
