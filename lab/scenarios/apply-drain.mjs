// Graceful drain with `node-ipvs apply`: a DR cluster of three built from a copy of
// docs/examples/dr.yaml, connections held open to every real server, then rs3 taken out of the
// file and the file applied again. rs3 stays at weight 0 while its held connections still carry
// data; new connections go elsewhere; a later apply keeps it; once its connections have closed,
// `apply --wait` deletes it. The scenario prints the drain's timeline.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { PLANS, vipUrl } from '../plans.mjs';
import { applyFile, example, ipvsadmLine, ipvsadmList } from '../cli.mjs';
import { drHost, lanCluster, report, tally, using, withTopology } from '../cluster.mjs';

const plan = PLANS.ipv4;
const url = vipUrl(plan);
const names = ['rs1', 'rs2', 'rs3'];
/** wlc with the example's weights 1:3:1 spreads them 2, 6, 2. */
const HELD = 10;
const NEW = 20;
const LEAVING = plan.lan(2);
/**
 * The director sees only the client's packets (DR): a closed connection's entry waits in FIN_WAIT
 * for the tcpfin timeout (120 s by default) and counts as inactive until then; the drain ends when
 * it expires. 1 s keeps the scenario short.
 */
const TCP_FIN = 1;

/** The file without the destination `address` (comments and layout kept): what a person's edit leaves. */
function withoutServer(text, address) {
  const doc = parseDocument(text);
  const list = doc.getIn(['services', 0, 'destinations']);
  const i = list.items.findIndex((d) => d.get('server') === address);
  if (i < 0) throw new Error(`lab: ${address} is not in the file`);
  doc.deleteIn(['services', 0, 'destinations', i]);
  return String(doc);
}

const step = (r, action, address) => r.json?.results.find((s) => s.action === action && s.destination?.address === address);
const drainingOf = (r, address) => r.json?.draining.find((d) => d.destination.address === address);
const described = (r) => `exit ${r.status}${r.json ? `, ${r.json.results.map((s) => [s.action, s.destination?.address, s.outcome].filter(Boolean).join(' ')).join('; ') || 'no steps'}` : ''}${r.stderr ? `: ${r.stderr.trim()}` : ''}`;

export function drain() {
  return withTopology('drain', async (t) => {
    const { client, dir, ipvs } = await lanCluster(t, plan, 3, drHost);
    const tmp = mkdtempSync(join(tmpdir(), 'lab-drain-'));
    const file = join(tmp, 'dr.yaml');
    const state = join(tmp, 'state.json');
    const apply = (...options) => applyFile(dir, file, '--state', state, ...options);
    try {
      return await using(ipvs, async () => {
        await ipvs.setTimeouts({ tcpFin: TCP_FIN });
        copyFileSync(example('dr.yaml'), file);
        const built = await apply();
        const held = await t.hold(client, url, HELD, { echo: true });
        const heldOn = tally(held.servers.map((s) => [s]), names);
        let release = held.release;
        try {
          const timeline = [];
          const edited = withoutServer(readFileSync(file, 'utf8'), LEAVING);
          writeFileSync(file, edited);
          const t0 = Date.now();
          const at = (what) => timeline.push(`t=${((Date.now() - t0) / 1000).toFixed(1).padStart(4)} s  ${what}`);
          at(`file changed: rs3 (${LEAVING}) taken out`);
          const drained = await apply();
          const line = ipvsadmLine(ipvsadmList(dir), `${LEAVING}:80`);
          at(`node-ipvs apply (exit ${drained.status}): ipvsadm -Ln shows rs3 as ${line || 'nothing'}  (weight, active, inactive)`);
          const pinged = await held.ping();
          at(`held connections: ${pinged.filter((s, i) => s !== null && s === held.servers[i]).length} of ${HELD} answered by their own server, ${pinged.filter((s) => s === 'rs3').length} of them rs3`);
          const fresh = t.requests(client, url, NEW);
          const freshOn = tally(fresh.answers, names);
          at(`${NEW} new connections: ${freshOn.rs3} to rs3 (${JSON.stringify(freshOn)})`);
          const later = await apply();
          const laterLine = ipvsadmLine(ipvsadmList(dir), `${LEAVING}:80`);
          at(`node-ipvs apply again (exit ${later.status}): ${drainingOf(later, LEAVING) ? `rs3 still draining, ${drainingOf(later, LEAVING).active} active` : 'rs3 not draining'}, ${laterLine ? 'kept' : 'gone'}`);
          const pinged2 = await held.ping();
          at(`held connections: ${pinged2.filter((s, i) => s !== null && s === held.servers[i]).length} of ${HELD} still answered by their own server`);
          release = async () => {};
          await held.release();
          const closedLine = ipvsadmLine(ipvsadmList(dir), `${LEAVING}:80`);
          at(`held connections closed: ipvsadm -Ln shows rs3 as ${closedLine || 'nothing'}`);
          const done = await apply('--wait', '--drain-timeout', '30');
          const after = ipvsadmList(dir);
          at(`node-ipvs apply --wait returned (exit ${done.status}): rs3 ${ipvsadmLine(after, `${LEAVING}:80`) ? 'still listed' : 'deleted'} (its FIN_WAIT entries live tcpfin ${TCP_FIN} s)`);

          const fields = (l) => l.split(' '); // '->', ADDRESS:PORT, FORWARD, WEIGHT, ACTIVE, INACTIVE
          const sameServer = (answers) => answers.every((s, i) => s === held.servers[i]);
          return report(ipvs, {
            name: 'apply-drain',
            counts: heldOn,
            expected: {},
            checks: [
              ['node-ipvs apply built the cluster of three from the file', built.status === 0 && built.json?.results.length === 4, described(built)],
              ['every real server holds connections', names.every((n) => heldOn[n] > 0), JSON.stringify(heldOn)],
              ['apply of the file without rs3 drains it (weight 0), deletes nothing', drained.status === 0 && step(drained, 'drain-destination', LEAVING)?.outcome === 'applied'
                && !drained.json.results.some((s) => s.action.startsWith('remove')) && drainingOf(drained, LEAVING)?.active === heldOn.rs3, described(drained)],
              ['ipvsadm -Ln shows rs3 at weight 0 with its held connections active', fields(line)[3] === '0' && fields(line)[4] === String(heldOn.rs3), line || 'not listed'],
              ['held connections still carry data to their own server, rs3\'s too', sameServer(pinged) && sameServer(pinged2),
                `${JSON.stringify(pinged)}, then ${JSON.stringify(pinged2)}`],
              ['new connections never reach rs3', fresh.errors === 0 && freshOn.rs3 === 0 && fresh.answers.length === NEW, `${JSON.stringify(freshOn)}, ${fresh.errors} errors`],
              ['a later apply while they are held keeps rs3 (no removal)', later.status === 0 && !later.json?.results.some((s) => s.action.startsWith('remove'))
                && drainingOf(later, LEAVING) !== undefined && fields(laterLine)[3] === '0', `${described(later)}; ${laterLine}`],
              ['once they have closed, apply --wait deletes rs3', done.status === 0 && step(done, 'remove-destination', LEAVING)?.outcome === 'applied'
                && done.json.draining.length === 0 && ipvsadmLine(after, `${LEAVING}:80`) === '', `${described(done)} after ${(done.ms / 1000).toFixed(1)} s`],
              ['rs1 and rs2 kept their weights 1 and 3', fields(ipvsadmLine(after, `${plan.lan(0)}:80`))[3] === '1' && fields(ipvsadmLine(after, `${plan.lan(1)}:80`))[3] === '3',
                [0, 1].map((i) => ipvsadmLine(after, `${plan.lan(i)}:80`)).join('; ')],
            ],
            notes: [`the drain's timeline:\n        ${timeline.join('\n        ')}`],
          });
        } finally {
          await release();
        }
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
