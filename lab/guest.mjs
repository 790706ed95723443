// `npm run lab`, inside the sandbox kernel: runs the classic LVS clusters with real
// traffic and prints, per scenario, where the requests went, the checks, and
// the IPVS table as ipvsadm -L -n --stats shows it. Exit status 1 if any check fails.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { SCENARIOS, TITLES } from './scenarios.mjs';

const require = createRequire(import.meta.url);
const { formatListing } = require('../dist/cli/listing.js');

const { values } = parseArgs({ options: { scenario: { type: 'string', multiple: true }, json: { type: 'boolean' } } });
const names = values.scenario ?? Object.keys(SCENARIOS);
for (const n of names) {
  if (!SCENARIOS[n]) {
    process.stderr.write(`lab: unknown scenario '${n}' (known: ${Object.keys(SCENARIOS).join(', ')})\n`);
    process.exit(2);
  }
}


function bars(counts, expected) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  return Object.entries(counts).map(([server, n]) => {
    const share = n / total;
    const bar = '█'.repeat(Math.round(share * 40));
    return `  ${server.padEnd(6)} ${String(n).padStart(4)}  ${bar.padEnd(40)} ${(share * 100).toFixed(0).padStart(3)}%  ${expected[server] === undefined ? '' : `(expected ${(expected[server] * 100).toFixed(0)}%)`}`;
  }).join('\n');
}

const results = [];
for (const name of names) {
  const started = Date.now();
  let result;
  try {
    result = await SCENARIOS[name]();
  } catch (err) {
    result = { name, counts: {}, expected: {}, checks: [['scenario ran', false, err.message]], notes: [], table: [] };
  }
  result.seconds = (Date.now() - started) / 1000;
  results.push(result);
  if (values.json) continue;
  process.stdout.write(`\n=== ${name}: ${TITLES[name]} (${result.seconds.toFixed(1)} s)\n\n`);
  process.stdout.write(`${bars(result.counts, result.expected)}\n\n`);
  for (const [what, ok, detail] of result.checks) process.stdout.write(`  ${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? `  (${detail})` : ''}\n`);
  for (const note of result.notes ?? []) process.stdout.write(`  NOTE  ${note}\n`);
  if (result.table.length) process.stdout.write(`\n${formatListing(result.info, result.table, 'stats', true).replace(/^/gm, '  ')}`);
}

const failed = results.flatMap((r) => r.checks.filter(([, ok]) => !ok).map(([what]) => `${r.name}: ${what}`));
if (values.json) {
  process.stdout.write(`${JSON.stringify(results.map((r) => ({ ...r, table: undefined, checks: r.checks.map(([what, ok, detail]) => ({ what, ok, detail })) })), null, 2)}\n`);
} else {
  const total = results.reduce((n, r) => n + r.checks.length, 0);
  process.stdout.write(`\nlab: ${results.length} scenarios, ${total - failed.length} of ${total} checks passed${failed.length ? `; failed: ${failed.join('; ')}` : ''}\n`);
}
process.exitCode = failed.length ? 1 : 0;
