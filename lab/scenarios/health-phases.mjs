// One agent's run of the health scenario (the director agent or keepalived, same steps, same
// cluster): start it, then stop and start real servers, delete one behind its back, reload with
// a fourth, stop it; every figure measured from the kernel (KernelWatch), the client's requests
// and the servers' own view. Figures are ms or counts; null means "did not happen in time".
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sleep } from './health-observe.mjs';

const run = promisify(execFile);
const WAIT_MS = 10_000;
const up = (weights, address) => (weights.get(address) ?? 0) > 0;
const since = (t0, t) => (t === null || t === undefined ? null : t - t0);

/**
 * ctx: { agent, model (three servers), model4 (the fourth added), ns (the director's), ipvs, key,
 * servers: { rs1 … rs4, sorry }, address: { name: address }, stream, watch }.
 */
export async function runAgent(ctx) {
  const { agent, model, address: A, servers: S, stream, watch } = ctx;
  const t0 = Date.now();
  const three = ['rs1', 'rs2', 'rs3'];
  const m = { name: agent.name, timeline: [] };
  const mark = (label) => m.timeline.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The client's figures are read at the end: a request is reported when it ends (within its
  // 1 s timeout), and on a busy machine some end well after the window they started in.
  const later = [];

  agent.start(model);
  const ready = await Promise.race([watch.until((w) => three.every((n) => up(w, A[n])), t0, 20_000), agent.exited.then(() => null)]);
  if (ready === null) {
    await agent.stop();
    throw new Error(`${agent.name}: the real servers never appeared in the kernel (its last words: ${agent.log.slice(-5).map((l) => l.line).join(' | ') || 'none'})`);
  }
  m.startup = ready - t0;

  mark('started');
  // Steady: every real server takes traffic, nothing fails.
  const s0 = Date.now();
  await sleep(1000);
  const s1 = Date.now();
  later.push(() => { m.steady = { counts: stream.tally(s0, s1), failed: stream.failed(s0, s1) }; });

  // One down, stopped right after a check it answered: every agent meets its worst case, a whole
  // interval before the next check.
  await S.rs1.nextCheck();
  const down = await S.rs1.stop();
  const out = await watch.until((w) => !up(w, A.rs1), down, WAIT_MS);
  await sleep(700);
  const downEnd = Date.now();
  m.detection = since(down, out);
  later.push(() => {
    m.failedBefore = stream.failed(down, out ?? downEnd);
    m.failedAfter = out === null ? null : stream.failed(out, downEnd);
  });
  m.hitsAfter = out === null ? null : S.rs1.hits(out, downEnd);

  mark('one down');
  // Back, started right after a check it refused: again a whole interval before the next.
  await S.rs1.nextCheck();
  const back = await S.rs1.start();
  m.recoveryKernel = since(back, await watch.until((w) => up(w, A.rs1), back, WAIT_MS));
  m.recovery = since(back, (await stream.answeredBy('rs1', back, WAIT_MS))?.t);

  mark('back');
  // All three down: the sorry server takes the traffic; then all back.
  await S.rs1.nextCheck();
  const allDown = Math.min(...await Promise.all(three.map((n) => S[n].stop())));
  const switched = await watch.until((w) => up(w, A.sorry) && !three.some((n) => up(w, A[n])), allDown, WAIT_MS);
  m.sorryKernel = since(allDown, switched);
  const sorry = (await stream.answeredBy('sorry', allDown, WAIT_MS))?.t ?? null;
  await sleep(500);
  const sorryEnd = Date.now();
  m.sorry = since(allDown, sorry);
  // The connection table then, for a failure after the switch: which destination a request that
  // never connected was sent to, and in what state (a reused port's old entry, a SYN not answered).
  const connTable = (await run('ip', ['netns', 'exec', ctx.ns, 'ipvsadm', '-L', '-n', '-c'])).stdout.split('\n');
  // "Once it answers" counts from the kernel's switch, not from the start of the first request the
  // sorry server answered: a request whose SYN was retried answers a second after it started, and
  // its start would count the last refusals of the dead servers as failures after the switch.
  later.push(() => {
    m.sorryFailed = stream.failed(allDown, switched ?? sorryEnd);
    m.sorryFailedAfter = switched === null ? null : stream.failed(switched, sorryEnd);
    m.sorryFailuresAfter = switched === null ? [] : stream.requests.between(switched, sorryEnd).filter((r) => r.e).map((r) => {
      const entry = r.p === undefined ? [] : connTable.filter((line) => line.includes(`:${r.p} `)).map((line) => line.trim().replace(/\s+/g, ' '));
      return `+${r.t - switched} ms ${r.e} after ${r.ms} ms (port ${r.p ?? '?'}, ${r.c === undefined ? 'never connected' : `connected in ${r.c} ms`}; ipvsadm -Lnc: ${entry.join(' / ') || 'no entry'})`;
    });
  });
  await S.rs1.nextCheck();
  const allBack = Math.min(...await Promise.all(three.map((n) => S[n].start())));
  // rs1's, whose checks the start followed: the others' checks fall anywhere in the interval.
  m.returned = since(allBack, (await stream.answeredBy('rs1', allBack, WAIT_MS))?.t);
  m.sorryGone = since(allBack, await watch.until((w) => !up(w, A.sorry) && three.every((n) => up(w, A[n])), allBack, WAIT_MS));

  mark('all down and back');
  // Drift: rs2 deleted behind the agent's back, timed from when ipvsadm has deleted it (returned): the
  // start of `ip netns exec ipvsadm` (a process start in the guest: longer the more loaded it is) is not the agent's.
  await run('ip', ['netns', 'exec', ctx.ns, 'ipvsadm', '-d', '-t', `${model.vip}:${model.port}`, '-r', `${A.rs2}:${model.port}`]);
  const deleted = Date.now();
  const repaired = await watch.until((w) => up(w, A.rs2), Date.now(), model.resync + 2000);
  m.drift = since(deleted, repaired);
  m.driftWaited = Date.now() - deleted;
  m.driftLog = agent.log.filter((l) => l.t >= deleted).map((l) => l.line);
  if (repaired === null) {
    // Put it back by hand, as an operator would, so the reload starts from the same table.
    await run('ip', ['netns', 'exec', ctx.ns, 'ipvsadm', '-a', '-t', `${model.vip}:${model.port}`, '-r', `${A.rs2}:${model.port}`, '-g', '-w', '1']);
  }

  mark('drift');
  // Reload with a fourth real server: it takes traffic, nothing else is touched.
  await watch.until((w) => three.every((n) => up(w, A[n])), Date.now(), WAIT_MS);
  const before = await conns(ctx, three);
  const reload = Date.now();
  agent.reload(ctx.model4);
  m.reloadKernel = since(reload, await watch.until((w) => up(w, A.rs4), reload, WAIT_MS));
  m.reload = since(reload, (await stream.answeredBy('rs4', reload, WAIT_MS))?.t);
  // The kernel folds its per-CPU counters into what it reports every 2 s.
  await sleep(2500);
  const reloadEnd = Date.now();
  const after = await conns(ctx, three);
  later.push(() => {
    m.reloadFailed = stream.failed(reload, reloadEnd);
    m.reloadFailures = stream.requests.between(reload, reloadEnd).filter((r) => r.e).map((r) => `${r.e} at +${r.t - reload} ms after ${r.ms} ms`);
  });
  m.reloadTouched = touched(watch, three.map((n) => [n, A[n]]), reload, reloadEnd);
  m.countersReset = three.filter((n) => after[n] === undefined || after[n] < before[n]).map((n) => `${n} ${before[n]} → ${after[n] ?? 'gone'}`);
  m.reloadLog = agent.log.filter((l) => l.t >= reload && l.t < reloadEnd).map((l) => l.line);

  mark('reload');
  // Requests started just before reloadEnd end before the stop takes the service away.
  await sleep(500);
  const stopped = Date.now();
  await agent.stop();
  m.stopSeconds = (Date.now() - stopped) / 1000;
  m.leftOnStop = (await ctx.ipvs.listServices()).length;
  mark('stopped');
  await sleep(reloadEnd + 1200 - Date.now());
  for (const figure of later) figure();
  m.counts = stream.tally(t0, reloadEnd);
  if (process.env.LAB_DEBUG) m.debug = { reloadAt: reload - t0, deletedAt: deleted - t0, downAt: down - t0, allDownAt: allDown - t0, sorryAt: sorry === null ? null : sorry - t0, failures: stream.requests.entries.filter((r) => r.e).map((r) => `${r.t - t0}+${r.ms} ${r.e}`), rs1: S.rs1.events.entries.filter((e) => e.t >= t0).map((e) => `${e.kind}${e.kind === 'check' ? (e.ok ? '+' : '-') : ''} ${e.t - t0}`), log: agent.log.map((l) => `${l.t - t0} ${l.line}`) };
  return m;
}

/** Cumulative connections of the named servers (stats.conns), as numbers. */
async function conns(ctx, names) {
  const list = await ctx.ipvs.listDestinations(ctx.key);
  const byAddress = new Map(list.map((d) => [d.key.address, Number(d.stats.conns)]));
  return Object.fromEntries(names.map((n) => [n, byAddress.get(ctx.address[n])]));
}

/** For each [name, address] whose weight was ever not 1 in [from, to): "name absent|weight W for ~N ms". */
function touched(watch, servers, from, to) {
  return servers.flatMap(([name, address]) => {
    const off = watch.where((w) => w.get(address) !== 1, from, to);
    if (off.length === 0) return [];
    const how = [...new Set(off.map((x) => (x.weights.has(address) ? `weight ${x.weights.get(address)}` : 'absent')))].join(', then ');
    return [`${name} ${how} for ~${off.at(-1).seen - off[0].t} ms`];
  });
}
