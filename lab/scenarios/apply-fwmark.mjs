// A firewall-mark service grouping two ports, built with `node-ipvs apply
// docs/examples/fwmark-two-ports.yaml` on a DR cluster of two: the director's mangle table marks
// packets for the VIP's ports 80 and 443 with the example's iptables rule (iptables-legacy: the
// sandbox kernel has no nf_tables for ip), and the one fwmark service, persistent per /24, sends
// both ports of a client, and every client of that /24, to one real server. Port 8080, unmarked,
// is not the service's: the real servers listen on it too, and still no connection reaches them.
import { PLANS, cidr } from '../plans.mjs';
import { inNs } from '../topology.mjs';
import { applyFile, example, templates } from '../cli.mjs';
import { countersOf, drHost, lanCluster, report, tally, using, withTopology } from '../cluster.mjs';

const plan = PLANS.ipv4;
const MARKED = [80, 443];
const ROUNDS = 4;
const SECOND = '203.0.113.101';
const names = ['rs1', 'rs2'];
const addressOf = { rs1: plan.lan(0), rs2: plan.lan(1) };
const url = (port) => `http://${plan.vip}:${port}/`;

export function fwmarkTwoPorts() {
  return withTopology('fwmark', async (t) => {
    const { client, dir, ipvs } = await lanCluster(t, plan, 2, drHost, [...MARKED, 8080]);
    const client2 = t.ns('client2');
    t.plug(client2, 'eth0', 'lan', cidr(plan, SECOND));
    const iptables = (...args) => inNs(dir, 'iptables-legacy', '-t', 'mangle', ...args);
    // The example's rule, as its comment gives it.
    iptables('-A', 'PREROUTING', '-d', plan.vip, '-p', 'tcp', '-m', 'multiport', '--dports', MARKED.join(','), '-j', 'MARK', '--set-mark', '1');
    return using(ipvs, async () => {
      const file = example('fwmark-two-ports.yaml');
      const applied = await applyFile(dir, file);
      const runs = [[plan.client, t.requests(client, MARKED.map(url), ROUNDS)], [SECOND, t.requests(client2, MARKED.map(url), ROUNDS)]];
      const unmarked = t.requests(client, url(8080), 2);
      const conns = templates(await ipvs.listConnections());
      const again = await applyFile(dir, file);
      const marked = MARKED.length * ROUNDS * runs.length;
      const stats = await countersOf(ipvs, { fwmark: 1 }, marked);
      const rule = iptables('-L', 'PREROUTING', '-n', '-v', '-x').split('\n').find((l) => l.includes('MARK set'))?.trim().split(/\s+/) ?? [];

      const all = runs.flatMap(([, r]) => r.answers);
      const servers = [...new Set(all.map(([s]) => s))];
      const ofFirst = [...new Set(runs[0][1].answers.map(([s]) => s))];
      const errors = runs.reduce((n, [, r]) => n + r.errors, 0);
      const perPort = ([who, r]) => `client ${who}: ${MARKED.map((p) => {
        const at = r.answers.filter(([, , , u]) => u === url(p)).map(([s]) => s);
        return `port ${p} → ${[...new Set(at)].map((s) => `${s} ×${at.filter((x) => x === s).length}`).join(', ') || 'nobody'}`;
      }).join('; ')}`;
      return report(ipvs, {
        name: 'apply-fwmark',
        counts: tally(all, names),
        expected: {},
        checks: [
          ['node-ipvs apply built the fwmark service from the file', applied.status === 0 && applied.json?.changed === true,
            `exit ${applied.status}, ${applied.json?.results.length ?? 0} steps${applied.stderr ? `: ${applied.stderr.trim()}` : ''}`],
          ['every request to a marked port answered', errors === 0, `${errors} errors`],
          [`the first client's ${MARKED.length * ROUNDS} connections to ports ${MARKED.join(' and ')} reached one real server`,
            ofFirst.length === 1 && runs[0][1].answers.length === MARKED.length * ROUNDS, ofFirst.join(', ')],
          ['the second client, of the same /24, reached that server too (persistence netmask 255.255.255.0)',
            servers.length === 1 && runs[1][1].answers.length === MARKED.length * ROUNDS, servers.join(', ')],
          ['the director holds one persistence template, for 203.0.113.0/24, to that server',
            conns.length === 1 && conns[0] === `203.0.113.0 → ${addressOf[servers[0]]}`, conns.join('; ') || 'none'],
          [`the fwmark service took every one of the ${marked} marked connections`, stats.conns === BigInt(marked),
            `${stats.conns} connections; the mangle rule marked ${rule[0] ?? '?'} packets, the service took ${stats.inPackets}`],
          ['port 8080, unmarked, is not the service\'s: no connection reached a real server', unmarked.answers.length === 0 && unmarked.errors === 2,
            `${unmarked.answers.length} answered (${unmarked.answers.map(([s]) => s).join(', ') || 'none'}), ${unmarked.errors} refused by the director`],
          ['applying the file again changes nothing', again.status === 0 && again.json?.changed === false && again.json?.results.length === 0,
            `exit ${again.status}, ${again.json?.results.length ?? '?'} steps`],
        ],
        notes: runs.map(perPort),
      });
    });
  });
}
