// The health bench (issue 10, "Speed"): SERVICES services × PER real servers checked every
// second against local servers (bench/health-servers.mjs: one listener, every 127.x address),
// by the library's HealthMonitor in this process, and by keepalived's checkers (-C) where IPVS
// exists (keepalived programs its virtual servers before it checks). Measured over SECONDS after
// a warm-up: CPU share of one core (process.cpuUsage; keepalived: /proc/PID/stat of its checker
// child), checks done per second (counted by the servers), the longest event-loop stall
// (monitorEventLoopDelay) and the check latency the load adds (the monitor's own latency figures
// against single checks on an idle process). Prints one line: HEALTH-BENCH {json}.
//   node bench/health.mjs [--agent node-ipvs] [--agent keepalived] [--services 1000] [--per 4]
//                         [--seconds 10] [--type http|tcp]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { HealthMonitor, createChecker, checkHealthSpec } = require('../dist');

const PORT = 8080;
const INTERVAL_MS = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The i-th real server: 127.1.0.1, 127.1.0.2, … (loopback: all reach the one listener). */
const serverAddress = (i) => `127.1.${(i + 1) >> 8}.${(i + 1) & 255}`;

function checkSpec(type) {
  return { type, interval: INTERVAL_MS, timeout: 1000, retries: 0, fall: 2, rise: 2, warmup: INTERVAL_MS, ...(type === 'http' ? { http: { path: '/' } } : {}) };
}

/** The local servers, and how many connections they have accepted. */
async function startServers() {
  const p = spawn(process.execPath, [new URL('health-servers.mjs', import.meta.url).pathname, String(PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  await lines.next();
  return {
    served: async () => { p.stdin.write('\n'); return Number((await lines.next()).value); },
    stop: async () => { p.stdin.end(); await once(p, 'exit'); },
  };
}

const quantile = (xs, q) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] : null);

/** One check at a time, nothing else running: the latency a check costs by itself (ms). */
async function idleLatency(type, count = 200) {
  const checker = createChecker(checkHealthSpec(checkSpec(type), 'check'));
  const ms = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const outcome = await checker.check({ address: serverAddress(i), port: PORT, family: 'inet' }, 1000, new AbortController().signal);
    if (!outcome.ok) throw new Error(`idle check failed: ${outcome.reason}`);
    ms.push(performance.now() - t);
  }
  return { median: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

async function benchMonitor({ services, per, seconds, type }, servers) {
  const idle = await idleLatency(type);
  const table = {
    services: Array.from({ length: services }, (_, s) => ({
      service: { protocol: 'tcp', address: '203.0.113.10', port: 10000 + s },
      destinations: Array.from({ length: per }, (_, d) => ({
        destination: { address: serverAddress(s * per + d), port: PORT }, weight: 1, check: checkSpec(type),
      })),
    })),
  };
  const monitor = new HealthMonitor();
  const latencies = [];
  let failed = 0;
  let measuring = false;
  monitor.on('check', (e) => {
    if (!measuring) return;
    latencies.push(e.latencyMs);
    if (!e.outcome.ok) failed++;
  });
  monitor.update(table);
  monitor.start();
  await sleep(INTERVAL_MS * 2 + 1000);  // warm-up: every server past its random first delay
  const delay = monitorEventLoopDelay({ resolution: 5 });
  measuring = true;
  const served0 = await servers.served();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  delay.enable();
  await sleep(seconds * 1000);
  delay.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  measuring = false;
  const served = (await servers.served()) - served0;
  await monitor.stop();
  const down = monitor.states().filter((s) => s.state !== 'up').length;
  return {
    agent: 'node-ipvs', checks: services * per, seconds: wall,
    ...cpuShares(cpu.user / 1e6, cpu.system / 1e6, wall, served),
    checksPerSecond: served / wall,
    eventsPerSecond: latencies.length / wall,
    failed, down,
    stallMaxMs: delay.max / 1e6,
    stallP99Ms: delay.percentile(99) / 1e6,
    eventLoopUtilization: elu.utilization,
    latency: { idle, loaded: { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) } },
  };
}

/** keepalived.conf: the same checks as the monitor's, one virtual_server per service (NAT, so the real servers' port may differ). */
function keepalivedConf({ services, per, type }) {
  const check = type === 'http'
    ? 'HTTP_GET {\n        url {\n          path /\n          status_code 200\n        }\n        connect_timeout 1\n        retry 1\n        delay_before_retry 1\n      }'
    : 'TCP_CHECK {\n        connect_timeout 1\n        retry 1\n        delay_before_retry 1\n      }';
  const vs = Array.from({ length: services }, (_, s) => `virtual_server 203.0.113.10 ${10000 + s} {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
${Array.from({ length: per }, (_, d) => `  real_server ${serverAddress(s * per + d)} ${PORT} {
      weight 1
      ${check}
  }`).join('\n')}
}`);
  return `global_defs {\n  router_id bench\n}\n${vs.join('\n')}\n`;
}

/**
 * CPU as shares of one core over `wall` seconds, user and system apart (system: the connect and
 * close calls, which any checker pays), and per check done, in µs.
 */
function cpuShares(user, system, wall, checks) {
  return { cpuShare: (user + system) / wall, userShare: user / wall, systemShare: system / wall, cpuPerCheckUs: ((user + system) / checks) * 1e6 };
}

/** utime and stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

async function benchKeepalived({ services, per, seconds, type }, servers) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-keepalived-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, keepalivedConf({ services, per, type }));
  const pids = ['keepalived.pid', 'checkers.pid', 'vrrp.pid'].map((f) => join(dir, f));
  const p = spawn('keepalived', ['-n', '-G', '-C', '-f', conf, '-p', pids[0], '-c', pids[1], '-r', pids[2]], { stdio: 'ignore' });
  try {
    // Ready when every real server answers checks: the servers see checks/s near the count.
    let rate = 0;
    for (let waited = 0; waited < 60_000 && rate < 0.9 * services * per; waited += 2000) {
      const s0 = await servers.served();
      await sleep(2000);
      rate = ((await servers.served()) - s0) / 2;
      if (p.exitCode !== null) throw new Error(`keepalived exited with status ${p.exitCode}`);
    }
    const checker = Number(readFileSync(pids[1], 'utf8'));
    const main = Number(readFileSync(pids[0], 'utf8'));
    const served0 = await servers.served();
    const c0 = cpuSeconds(checker);
    const m0 = cpuSeconds(main);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const served = (await servers.served()) - served0;
    const c1 = cpuSeconds(checker);
    const m1 = cpuSeconds(main);
    return {
      agent: 'keepalived', checks: services * per, seconds: wall,
      ...cpuShares(c1.user - c0.user + m1.user - m0.user, c1.system - c0.system + m1.system - m0.system, wall, served),
      checksPerSecond: served / wall,
    };
  } finally {
    p.kill('SIGTERM');
    await once(p, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    agent: { type: 'string', multiple: true, default: ['node-ipvs'] },
    services: { type: 'string', default: '1000' },
    per: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    type: { type: 'string', default: 'http' },
  },
});
const settings = { services: Number(values.services), per: Number(values.per), seconds: Number(values.seconds), type: values.type };
const servers = await startServers();
const results = [];
try {
  for (const agent of values.agent) results.push(await (agent === 'keepalived' ? benchKeepalived : benchMonitor)(settings, servers));
} finally {
  await servers.stop();
}
process.stdout.write(`HEALTH-BENCH ${JSON.stringify({ settings, results })}\n`);
