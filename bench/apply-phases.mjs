// Where a 1% apply's time goes on the bench's largest table (10,000 × 4, IPv4), phase by phase:
// the no-op apply twice, the packed reading alone, the 1% change planned (dry run) twice, then
// applied with each batch timed. Times and fresh memory pages (minor faults: dear in the sandbox,
// where each one traps to the guest kernel). Not part of `npm run bench`: a tool for issue 9.
//   node dist/cli/main.js sandbox --timeout 900 -- node bench/apply-phases.mjs
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { makeChanged, makeTable } from './tables.mjs';

const require = createRequire(import.meta.url);
const { Ipvs, Table } = require('../dist');
const ns = `phases-${process.pid}`;
execFileSync('ip', ['netns', 'add', ns]);
// lo up: the kernel refuses IPv4 destinations while it is down (EINVAL).
execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
const COUNT = 10_000;
const table = makeTable('10,000 × 4 (IPv4)', COUNT, ['v4']);
const changed = makeChanged(COUNT);

async function time(what, fn) {
  const faults = process.resourceUsage().minorPageFault;
  const t = process.hrtime.bigint();
  const value = await fn();
  console.log(`${what.padEnd(28)} ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0).padStart(6)} ms  ${String(process.resourceUsage().minorPageFault - faults).padStart(8)} faults`);
  return value;
}

const ipvs = await Ipvs.open({ netns: ns, timeout: 600_000 });
try {
  await ipvs.restore(table.rules);
  const desired = Table.fromRules(table.rules);
  const desiredChanged = Table.fromRules(changed.rules);
  await time('no-op apply', () => ipvs.apply(desired));
  await time('no-op apply again', () => ipvs.apply(desired));
  await time('packed read', () => ipvs.packedTable());
  await time('1% planned (dry run)', () => ipvs.apply(desiredChanged, { dryRun: true }));
  await time('1% planned again', () => ipvs.apply(desiredChanged, { dryRun: true }));
  const batch = ipvs.batch.bind(ipvs);
  ipvs.batch = (ops, o) => time(`  one batch of ${ops.length}`, () => batch(ops, o));
  const r = await time('1% apply', () => ipvs.apply(desiredChanged));
  if (r.results.length === 0 || !r.results.every((x) => x.outcome === 'applied')) throw new Error('the 1% apply did not apply every step');
  console.log(`${r.results.length} steps (${changed.operations} operations expected)`);
  await time('no-op apply of the changed', () => ipvs.apply(desiredChanged));
} finally {
  ipvs.close();
  execFileSync('ip', ['netns', 'delete', ns]);
}
