#!/usr/bin/env node
// Runs every suite and prints one closing line `N passed, N failed` for all:
//   unit     on this machine (no kernel needed)
//   package  on this machine: npm pack, installed without a compiler, loaded from CJS, ESM and TypeScript
//   kernel   inside a sandbox kernel with IPVS (real netlink, ipvsadm as the reference), in two shards:
//            two guests side by side, one per host core (a guest has one CPU; see vitest.kernel.config.mts)
//   timed    the same, alone in a sandbox of its own: tests whose figures are times (the health lab)
//   no-ipvs  inside a sandbox kernel booted without IPVS
// A suite that produces no report (it crashed, or the sandbox could not boot)
// counts as a failure: a kernel suite never passes by not running.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const vitest = (config, report, ...extra) =>
  ['npx', 'vitest', 'run', '--config', config, ...extra, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
const sandbox = (args) => ['node', 'dist/cli/main.js', 'sandbox', ...args, '--'];
const suite = (name, argv, report) => ({ name, argv, report });
const kernelShard = (i, n) => suite(`kernel ${i}/${n}`,
  [...sandbox(['--timeout', '1800']), ...vitest('vitest.kernel.config.mts', join(out, `kernel-${i}.json`), `--shard=${i}/${n}`)],
  join(out, `kernel-${i}.json`));

// Each step runs its suites side by side; steps run one after another.
const steps = [
  { group: 'unit', suites: [suite('unit', vitest('vitest.unit.config.mts', join(out, 'unit.json')), join(out, 'unit.json'))] },
  { group: 'package', suites: [suite('package', vitest('vitest.package.config.mts', join(out, 'package.json')), join(out, 'package.json'))] },
  { group: 'kernel', suites: [kernelShard(1, 2), kernelShard(2, 2)] },
  { group: 'timed', suites: [suite('timed', [...sandbox(['--timeout', '1200']), ...vitest('vitest.timed.config.mts', join(out, 'timed.json'))], join(out, 'timed.json'))] },
  { group: 'no-ipvs', suites: [suite('no-ipvs', [...sandbox(['--timeout', '600', '--no-ipvs']), ...vitest('vitest.noipvs.config.mts', join(out, 'noipvs.json'))], join(out, 'noipvs.json'))] },
];

/** Runs one suite; beside another, each of its lines is prefixed with its name. */
function run(s, prefixed) {
  console.log(`\n=== ${s.name}: ${s.argv.join(' ')}`);
  const started = Date.now();
  const child = spawn(s.argv[0], s.argv.slice(1), { cwd: root, stdio: ['ignore', prefixed ? 'pipe' : 'inherit', prefixed ? 'pipe' : 'inherit'] });
  if (prefixed) {
    for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      let pending = '';
      from.on('data', (chunk) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) to.write(`[${s.name}] ${line}\n`);
      });
      from.on('end', () => { if (pending) to.write(`[${s.name}] ${pending}\n`); });
    }
  }
  return new Promise((resolve) => child.on('close', (status, signal) => resolve(tally(s, status ?? signal, Date.now() - started))));
}

function tally(s, status, ms) {
  let p = 0;
  let f = 0;
  let note = '';
  try {
    const report = JSON.parse(readFileSync(s.report, 'utf8'));
    p = report.numPassedTests;
    f = report.numFailedTests + (report.numTotalTestSuites > 0 && report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
    if (p + f === 0) { f = 1; note = ' (no test ran)'; }
  } catch {
    f = 1;
    note = ` (no report: exit status ${status})`;
  }
  if (status !== 0 && f === 0) { f = 1; note = ` (exit status ${status})`; }
  return { p, f, line: `${s.name.padEnd(10)} ${p} passed, ${f} failed in ${(ms / 1000).toFixed(0)} s${note}` };
}

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
const lines = [];
for (const step of steps) {
  if (only.length && !only.includes(step.group)) continue;
  const results = await Promise.all(step.suites.map((s) => run(s, step.suites.length > 1)));
  for (const r of results) {
    passed += r.p;
    failed += r.f;
    lines.push(r.line);
  }
}
console.log(`\n${lines.join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
