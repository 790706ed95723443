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
import { TABLES } from './tables.mjs';
import { watched } from './parse-stall.mjs';

const require = createRequire(import.meta.url);
const { Ipvs } = require('../dist');
const root = new URL('..', import.meta.url).pathname;
const FLOOR = process.env.BENCH_FLOOR;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
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
const parse = JSON.parse(execFileSync(process.execPath, [join(root, 'bench', 'parse-stall.mjs')], { encoding: 'utf8' }));
const faultCost = JSON.parse(execFileSync(process.execPath, [join(root, 'bench', 'fault-cost.mjs')], { encoding: 'utf8' }));

const results = [];
for (const make of TABLES) results.push(await benchTable(make()));
const memory = await memoryRounds();
const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
process.stdout.write(`BENCH-RESULT ${JSON.stringify({ results, memory, kernel, runs: RUNS, parse, faultCost })}\n`);
