#!/usr/bin/env node
// Runs every suite and prints one closing line `N passed, N failed` for all:
//   unit     on this machine (no kernel needed)
//   package  on this machine: npm pack, installed without a compiler, loaded from CJS, ESM and TypeScript
//   kernel   inside a sandbox kernel with IPVS (real netlink, ipvsadm as the reference)
//   timed    the same, alone in a sandbox of its own: tests whose figures are times (the health lab)
//   no-ipvs  inside a sandbox kernel booted without IPVS
// A suite that produces no report (it crashed, or the sandbox could not boot)
// counts as a failure: a kernel suite never passes by not running.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const vitest = (config, report) => ['npx', 'vitest', 'run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
const sandbox = (args) => ['node', 'dist/cli/main.js', 'sandbox', ...args, '--'];

const suites = [
  { name: 'unit', argv: vitest('vitest.unit.config.mts', join(out, 'unit.json')), report: join(out, 'unit.json') },
  { name: 'package', argv: vitest('vitest.package.config.mts', join(out, 'package.json')), report: join(out, 'package.json') },
  { name: 'kernel', argv: [...sandbox(['--timeout', '1800']), ...vitest('vitest.kernel.config.mts', join(out, 'kernel.json'))], report: join(out, 'kernel.json') },
  { name: 'timed', argv: [...sandbox(['--timeout', '600']), ...vitest('vitest.timed.config.mts', join(out, 'timed.json'))], report: join(out, 'timed.json') },
  { name: 'no-ipvs', argv: [...sandbox(['--timeout', '600', '--no-ipvs']), ...vitest('vitest.noipvs.config.mts', join(out, 'noipvs.json'))], report: join(out, 'noipvs.json') },
];

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
const lines = [];
for (const suite of suites) {
  if (only.length && !only.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name}: ${suite.argv.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(suite.argv[0], suite.argv.slice(1), { cwd: root, stdio: 'inherit' });
  let p = 0;
  let f = 0;
  let note = '';
  try {
    const report = JSON.parse(readFileSync(suite.report, 'utf8'));
    p = report.numPassedTests;
    f = report.numFailedTests + (report.numTotalTestSuites > 0 && report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
    if (p + f === 0) { f = 1; note = ' (no test ran)'; }
  } catch {
    f = 1;
    note = ` (no report: exit status ${r.status ?? r.signal})`;
  }
  if (r.status !== 0 && f === 0) { f = 1; note = ` (exit status ${r.status})`; }
  passed += p;
  failed += f;
  lines.push(`${suite.name.padEnd(8)} ${p} passed, ${f} failed in ${((Date.now() - started) / 1000).toFixed(0)} s${note}`);
}
console.log(`\n${lines.join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
