// Persistence across all ports, built with `node-ipvs apply docs/examples/persistence-all-ports.yaml`:
// a port-0 persistent service on a DR cluster of two, each real server listening on three ports.
// One client's connections to every port reach one real server; a second client gets its own
// persistence template, and rr gives it the other real server.
import { PLANS, cidr } from '../plans.mjs';
import { applyFile, example, templates } from '../cli.mjs';
import { countersOf, drHost, lanCluster, report, tally, using, withTopology } from '../cluster.mjs';

const plan = PLANS.ipv4;
const PORTS = [80, 443, 8080];
const ROUNDS = 4;
const SECOND = '203.0.113.101';
const names = ['rs1', 'rs2'];
const addressOf = { rs1: plan.lan(0), rs2: plan.lan(1) };

export function persistenceAllPorts() {
  return withTopology('allports', async (t) => {
    const { client, dir, ipvs } = await lanCluster(t, plan, 2, drHost, PORTS);
    const client2 = t.ns('client2');
    t.plug(client2, 'eth0', 'lan', cidr(plan, SECOND));
    return using(ipvs, async () => {
      const file = example('persistence-all-ports.yaml');
      const applied = await applyFile(dir, file);
      const urls = PORTS.map((p) => `http://${plan.vip}:${p}/`);
      const runs = [[plan.client, t.requests(client, urls, ROUNDS)], [SECOND, t.requests(client2, urls, ROUNDS)]];
      const conns = templates(await ipvs.listConnections());
      const again = await applyFile(dir, file);
      const key = { protocol: 'tcp', address: plan.vip, port: 0 };
      const total = PORTS.length * ROUNDS * runs.length;
      await countersOf(ipvs, key, total); // so the table printed below shows them

      const serversOf = (r) => [...new Set(r.answers.map(([s]) => s))];
      const [one, two] = runs.map(([, r]) => serversOf(r));
      const perPort = ([who, r]) => `client ${who}: ${PORTS.map((p) => {
        const at = r.answers.filter(([, , , url]) => url.endsWith(`:${p}/`)).map(([s]) => s);
        return `port ${p} → ${[...new Set(at)].map((s) => `${s} ×${at.filter((x) => x === s).length}`).join(', ') || 'nobody'}`;
      }).join('; ')}`;
      const expectedTemplates = runs.map(([who], i) => `${who} → ${addressOf[[one, two][i][0]]}`).sort();
      const errors = runs.reduce((n, [, r]) => n + r.errors, 0);
      return report(ipvs, {
        name: 'apply-persistence',
        counts: tally(runs.flatMap(([, r]) => r.answers), names),
        expected: {},
        checks: [
          ['node-ipvs apply built the port-0 service from the file', applied.status === 0 && applied.json?.changed === true,
            `exit ${applied.status}, ${applied.json?.results.length ?? 0} steps${applied.stderr ? `: ${applied.stderr.trim()}` : ''}`],
          ['every request answered', errors === 0, `${errors} errors`],
          [`the first client's ${PORTS.length * ROUNDS} connections to ports ${PORTS.join(', ')} all reached one real server`,
            one.length === 1 && runs[0][1].answers.length === PORTS.length * ROUNDS, one.join(', ')],
          ['so did the second client\'s', two.length === 1 && runs[1][1].answers.length === PORTS.length * ROUNDS, two.join(', ')],
          ['rr gave the second client (a new template) the other real server', one.length === 1 && two.length === 1 && one[0] !== two[0], `${one[0]}, ${two[0]}`],
          ['the director holds one persistence template per client, to the server that answered it',
            JSON.stringify(conns.sort()) === JSON.stringify(expectedTemplates), conns.join('; ') || 'none'],
          ['applying the file again changes nothing', again.status === 0 && again.json?.changed === false && again.json?.results.length === 0,
            `exit ${again.status}, ${again.json?.results.length ?? '?'} steps`],
        ],
        notes: runs.map(perPort),
      });
    });
  });
}
