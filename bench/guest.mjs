// Runs inside the sandbox kernel (see scripts/bench.mjs): every measurement of
// docs/benchmarks.md in one boot. Each run starts from an empty table in a
// namespace of its own (a flushed table would make re-adds slow: the kernel
// searches its deleted destinations). Results are checked equal first.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { TABLES, makeChanged } from './tables.mjs';
import { watched } from './parse-stall.mjs';

const require = createRequire(import.meta.url);
const { Ipvs, Table } = require('../dist');
const root = new URL('..', import.meta.url).pathname;
const FLOOR = process.env.BENCH_FLOOR;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** 'apply': only the apply measurements (benchApply), to iterate on them. */
const ONLY = process.env.BENCH_ONLY ?? '';
const CLI = join(root, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'bench-'));

let nsCount = 0;
function freshNs() {
  const name = `bench-${process.pid}-${nsCount++}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return name;
}
const dropNs = (name) => execFileSync('ip', ['netns', 'delete', name]);

/** Seconds a whole command takes (stdin from a file if given); fails loudly. */
function timed(argv, { input, ns } = {}) {
  const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const t = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { input, maxBuffer: 1 << 30, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${full.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return { seconds, stdout: r.stdout };
}
const saved = (ns) => timed(['ipvsadm', '-S', '-n'], { ns }).stdout;

/** Time and fresh memory pages (minor faults) of one in-process call. */
async function inProcess(fn) {
  const faults = process.resourceUsage().minorPageFault;
  const t = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, value, faults: process.resourceUsage().minorPageFault - faults };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchTable(table) {
  const rulesFile = join(work, 'rules.txt');
  const floorFile = join(work, 'floor.txt');
  writeFileSync(rulesFile, table.rules);
  writeFileSync(floorFile, table.floor);
  const m = {};
  const add = (key, v) => (m[key] ??= []).push(v);
  let stall = 0;
  const gc = { runs: 0, ms: 0, longest: 0 };
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`  ${table.name}: run ${run + 1}/${RUNS}\n`);
    // What any node command pays before its first line runs, here: part of every command's time.
    add('node.startup', timed(['node', '-e', '0']).seconds);
    // Restore: the library in-process (call to last ACK), its CLI, ipvsadm, the floor.
    const lib = freshNs();
    const ipvs = await Ipvs.open({ netns: lib, timeout: 600_000 });
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const w = await watched(() => inProcess(() => ipvs.restore(table.rules)));
    const restore = w.value;
    h.disable();
    stall = Math.max(stall, h.max / 1e6);
    if (w.gc.longest > gc.longest) Object.assign(gc, w.gc);
    if (!restore.value.ok) throw new Error(`library restore failed: ${restore.value.failed} lines`);
    add('restore.lib', restore.seconds);
    add('restore.lib.faults', restore.faults);
    const cli = freshNs();
    add('restore.cli', timed(['node', CLI, 'restore', '--netns', cli, rulesFile]).seconds);
    const adm = freshNs();
    add('restore.ipvsadm', timed(['ipvsadm', '-R'], { ns: adm, input: table.rules }).seconds);
    const floor = freshNs();
    const floorRun = timed([FLOOR, 'add'], { ns: floor, input: table.floor });
    add('restore.floor', Number(floorRun.stdout.split(' ')[0]));
    // A fast wrong answer cannot win: all four tables must be the same.
    const reference = saved(adm);
    for (const [who, ns] of [['library', lib], ['node-ipvs restore', cli], ['floor', floor]])
      if (saved(ns) !== reference) throw new Error(`${table.name}: the ${who} table differs from ipvsadm's`);
    if (reference.split('\n').length - 1 !== table.objects) throw new Error(`${table.name}: ${table.objects} objects expected`);

    // Full listing: every service and destination with stats.
    const list = await inProcess(() => ipvs.getTable());
    if (list.value.length !== table.services) throw new Error('getTable returned the wrong number of services');
    add('list.lib', list.seconds);
    add('list.lib.faults', list.faults);
    const save = timed(['node', CLI, 'save', '--no-thresholds', '--netns', lib]);
    if (save.stdout !== reference) throw new Error('node-ipvs save differs from ipvsadm -S -n');
    add('save.cli', save.seconds);
    add('save.ipvsadm', timed(['ipvsadm', '-S', '-n'], { ns: lib }).seconds);
    add('liststats.ipvsadm', timed(['ipvsadm', '-L', '-n', '--stats'], { ns: lib }).seconds);
    add('liststats.cli', timed(['node', CLI, 'list', '--stats', '--netns', lib]).seconds);
    const dump = timed([FLOOR, 'dump'], { ns: lib }).stdout.split(' ');
    if (Number(dump[1]) !== table.services) throw new Error('floor dump saw the wrong number of services');
    add('list.floor', Number(dump[0]));

    // Flush.
    add('flush.lib', (await inProcess(() => ipvs.flush())).seconds);
    add('flush.ipvsadm', timed(['ipvsadm', '-C'], { ns: adm }).seconds);
    ipvs.close();
    for (const ns of [lib, cli, adm, floor]) dropNs(ns);
  }
  const med = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
  return { name: table.name, objects: table.objects, median: med, stall, gc };
}

/** Counts what a client sends: apply reaches the kernel only through batch (test/kernel/apply.test.ts shows it). */
function countWrites(ipvs) {
  const counter = { batches: 0, operations: 0 };
  const batch = ipvs.batch.bind(ipvs);
  ipvs.batch = (ops, options) => {
    counter.batches++;
    counter.operations += ops.length;
    return batch(ops, options);
  };
  return counter;
}

/**
 * apply() on the largest table, side by side with the floor in one boot: a no-op apply against
 * the floor's full dump; an apply changing 1% against the floor's dump plus the same operations;
 * apply into an empty namespace against restore. Both sides start from identical tables (loaded
 * by the floor) and must end identical.
 */
async function benchApply(table) {
  const changed = makeChanged(table.services);
  const desired = Table.fromRules(table.rules);
  const desiredChanged = Table.fromRules(changed.rules);
  const m = {};
  const add = (key, v) => (m[key] ??= []).push(v);
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`  apply ${table.name}: run ${run + 1}/${RUNS}\n`);
    const lib = freshNs();
    const floor = freshNs();
    for (const ns of [lib, floor]) timed([FLOOR, 'add'], { ns, input: table.floor });
    // The floor's dump between the library's calls: on a shared machine the two sides see the
    // same load only when measured in turns.
    const floorDump = () => {
      const dump = timed([FLOOR, 'dump'], { ns: floor }).stdout.split(' ');
      if (Number(dump[1]) !== table.services) throw new Error('floor dump saw the wrong number of services');
      add('apply.floor.dump', Number(dump[0]));
    };
    floorDump();

    const ipvs = await Ipvs.open({ netns: lib, timeout: 600_000 });
    const writes = countWrites(ipvs);
    // A no-op apply with the defaults (consistent reading, drain): nothing may be sent.
    for (let turn = 0; turn < 2; turn++) {
      const noop = await inProcess(() => ipvs.apply(desired));
      if (writes.operations !== 0 || noop.value.changed || noop.value.results.length) throw new Error(`no-op apply sent ${writes.operations} operations`);
      add('apply.noop', noop.seconds);
      add('apply.noop.faults', noop.faults);
      floorDump();
    }
    // The same reading alone (packed, as apply reads it), for where the time goes; and the listing as objects.
    add('apply.read', (await inProcess(() => ipvs.packedTable())).seconds);
    floorDump();
    add('apply.read.objects', (await inProcess(() => ipvs.getTable({ stats: false }))).seconds);
    floorDump();

    // 1%: exactly the operations the change needs, against the floor sending them after its dump.
    const change = await inProcess(() => ipvs.apply(desiredChanged));
    if (writes.operations !== changed.operations) throw new Error(`the 1% apply sent ${writes.operations} operations, ${changed.operations} expected`);
    if (!change.value.results.every((r) => r.outcome === 'applied')) throw new Error('the 1% apply did not apply every step');
    add('apply.change', change.seconds);
    add('apply.change.ops', writes.operations);
    add('apply.change.batches', writes.batches);
    const ops = timed([FLOOR, 'add'], { ns: floor, input: changed.floor }).stdout.split(' ');
    if (Number(ops[1]) !== changed.operations || Number(ops[2]) !== 0) throw new Error(`floor: ${ops.join(' ')}`);
    add('apply.change.floor.ops', Number(ops[0]));
    if (saved(lib) !== saved(floor)) throw new Error('after the 1% change, the library\'s table differs from the floor\'s');
    ipvs.close();

    // The whole table into empty namespaces: apply (of a built Table, and of the rules text
    // through Table.fromRules) against restore of the same text. Twice a run, in both orders:
    // whichever goes first grows the process's heap into fresh pages and the other reuses them
    // (seen: ~5,000 pages more for the first, either side), so each side goes first as often.
    for (const restoreFirst of [false, true]) {
      const empties = [freshNs(), freshNs(), freshNs()];
      const [a, b, r] = await Promise.all(empties.map((netns) => Ipvs.open({ netns, timeout: 600_000 })));
      const restoreTurn = async () => {
        const restore = await inProcess(() => r.restore(table.rules));
        if (!restore.value.ok) throw new Error('restore failed');
        add('apply.restore', restore.seconds);
        add('apply.restore.faults', restore.faults);
      };
      if (restoreFirst) await restoreTurn();
      const full = await inProcess(() => a.apply(desired));
      if (!full.value.results.every((x) => x.outcome === 'applied')) throw new Error('apply into an empty namespace failed');
      add('apply.full', full.seconds);
      add('apply.full.faults', full.faults);
      add('apply.full.text', (await inProcess(() => b.apply(Table.fromRules(table.rules)))).seconds);
      if (!restoreFirst) await restoreTurn();
      const reference = saved(empties[2]);
      for (const ns of empties.slice(0, 2)) if (saved(ns) !== reference) throw new Error('apply into an empty namespace differs from restore');
      for (const c of [a, b, r]) c.close();
      for (const ns of empties) dropNs(ns);
    }
    for (const ns of [lib, floor]) dropNs(ns);
  }
  const med = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
  // Every turn's figure too: on a shared machine the spread says as much as the median.
  return { name: table.name, objects: table.objects, changed: changed.operations, median: med, turns: m };
}

async function memoryRounds() {
  const table = TABLES[0]();
  globalThis.gc?.();
  const before = process.memoryUsage();
  for (let round = 0; round < 10; round++) {
    const ns = freshNs();
    const ipvs = await Ipvs.open({ netns: ns, timeout: 600_000 });
    const r = await ipvs.restore(table.rules);
    if (!r.ok) throw new Error('memory round: restore failed');
    await ipvs.getTable();
    await ipvs.flush();
    ipvs.close();
    dropNs(ns);
  }
  globalThis.gc?.();
  const after = process.memoryUsage();
  return { table: table.name, before, after };
}

// The JavaScript half alone, for comparison with the same run on the host (scripts/bench.mjs).
const measure = (file) => JSON.parse(execFileSync(process.execPath, [join(root, 'bench', file)], { encoding: 'utf8' }));
const parse = ONLY === 'apply' ? null : measure('parse-stall.mjs');
const faultCost = ONLY === 'apply' ? null : measure('fault-cost.mjs');

const results = [];
if (ONLY !== 'apply') for (const make of TABLES) results.push(await benchTable(make()));
const largest = TABLES.map((make) => make()).reduce((x, y) => (y.objects > x.objects ? y : x));
const apply = await benchApply(largest);
const memory = ONLY === 'apply' ? null : await memoryRounds();
const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
process.stdout.write(`BENCH-RESULT ${JSON.stringify({ results, apply, memory, kernel, runs: RUNS, parse, faultCost })}\n`);
