// The health bench's part of `npm run bench`: bench/health.mjs on this machine's kernel (the
// library's HealthMonitor alone: the issue's targets are for a real kernel) and in the sandbox
// kernel (the monitor and keepalived's checkers on the same checks, side by side; keepalived
// needs IPVS). Returns the Markdown section for docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const script = join(root, 'bench', 'health.mjs');

const parse = (output) => {
  const line = output.split('\n').find((l) => l.startsWith('HEALTH-BENCH '));
  if (!line) throw new Error(`bench/health.mjs printed no result:\n${output.slice(-2000)}`);
  return JSON.parse(line.slice('HEALTH-BENCH '.length));
};

/**
 * Host: the full 1,000 × 4. Sandbox: `sandboxServices` × 4, both agents: the sandbox's one CPU, whose
 * system calls cost about 50 µs, serves about 150 HTTP checks a second in all (both agents saturate there).
 */
export async function healthBench({ sandboxServices = 25, seconds = 10 } = {}) {
  const host = parse(execFileSync(process.execPath, [script, '--services', '1000', '--seconds', String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  const { runInSandbox } = require(join(root, 'dist'));
  let output = '';
  const r = await runInSandbox({
    command: ['node', script, '--agent', 'node-ipvs', '--agent', 'keepalived', '--services', String(sandboxServices), '--seconds', String(seconds)],
    timeoutMs: 600_000, onOutput: (text) => { output += text; },
  });
  if (r.exitCode !== 0) throw new Error(`bench/health.mjs in the sandbox failed (${r.exitCode}):\n${output.slice(-2000)}`);
  return { host, sandbox: parse(output) };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const ms = (x) => (x === null || x === undefined ? '–' : `${x.toFixed(1)} ms`);

export function healthSection({ host, sandbox }) {
  const h = host.results[0];
  const [ours, theirs] = sandbox.results;
  const s = host.settings;
  const targets = [
    ['CPU share of one core', 'under 25%', pct(h.cpuShare), h.cpuShare < 0.25],
    ['longest event-loop stall', 'under 50 ms', ms(h.stallMaxMs), h.stallMaxMs < 50],
  ];
  return `## Health checks: ${(s.services * s.per).toLocaleString('en')} checks a second

\`bench/health.mjs\`: ${s.services.toLocaleString('en')} services × ${s.per} real servers, an ${s.type.toUpperCase()} check of each every second
(timeout 1 s, fall 2, rise 2), against one local listener every 127.1.x.y address reaches, measured over
${s.seconds} s after a warm-up. The library's \`HealthMonitor\` in the bench's process, on this machine's kernel:

| target | wanted | measured | met |
|---|---|---|---|
${targets.map(([what, want, got, met]) => `| ${what} | ${want} | ${got} | ${met ? 'yes' : '**no**'} |`).join('\n')}

checks done: ${Math.round(h.checksPerSecond).toLocaleString('en')} a second (of ${h.checks.toLocaleString('en')}), ${h.failed} failed; event loop busy ${pct(h.eventLoopUtilization)};
check latency: ${ms(h.latency.idle.median)} alone (median, p99 ${ms(h.latency.idle.p99)}), ${ms(h.latency.loaded.median)} under this load (p99 ${ms(h.latency.loaded.p99)}):
the load adds ${ms(h.latency.loaded.median - h.latency.idle.median)} at the median.

Beside keepalived's checkers (\`keepalived -C\`, one \`virtual_server\` per service, HTTP_GET with the same
timings; CPU from /proc/PID/stat of its processes) in the sandbox kernel, where keepalived can program its
virtual servers, with ${sandbox.settings.services} × ${sandbox.settings.per} = ${(sandbox.settings.services * sandbox.settings.per).toLocaleString('en')} checks a second (the sandbox's one CPU serves them too):

| agent | CPU share of one core | checks done a second | per check |
|---|---|---|---|
| node-ipvs (HealthMonitor) | ${pct(ours.cpuShare)} | ${Math.round(ours.checksPerSecond).toLocaleString('en')} | ${((ours.cpuShare / ours.checksPerSecond) * 1e6).toFixed(0)} µs |
| keepalived 2.2.7 | ${pct(theirs.cpuShare)} | ${Math.round(theirs.checksPerSecond).toLocaleString('en')} | ${((theirs.cpuShare / theirs.checksPerSecond) * 1e6).toFixed(0)} µs |

node-ipvs / keepalived CPU per check: ${((ours.cpuShare / ours.checksPerSecond) / (theirs.cpuShare / theirs.checksPerSecond)).toFixed(1)}×.
`;
}

// `node bench/health-report.mjs`: this section alone, printed (npm run bench appends it to docs/benchmarks.md).
if (process.argv[1] === new URL(import.meta.url).pathname) process.stdout.write(healthSection(await healthBench()));
