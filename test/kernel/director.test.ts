/**
 * node-ipvs director CONFIG --netns NS as a child process against real IPVS, with the real health
 * monitor: HTTP servers only reachable inside NS (addresses on its lo) are the real servers.
 * A server stopped is removed within fall × interval (plus a check's timeout); started, back;
 * a destination deleted with ipvsadm behind the agent's back comes back within resyncInterval;
 * a reload adding a server sends that alone; a bad reload is refused with line and column and
 * changes nothing; SIGTERM keeps the table (onStop: keep) or removes only what it owns (remove).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const SERVERS = ['192.0.2.11', '192.0.2.12', '192.0.2.13'];
const VIP = '203.0.113.10:80';
const INTERVAL_MS = 500;
const TIMEOUT_MS = 400;
const FALL = 2;

let ns: TestNamespace;
let tmp: string;
let file: string;
const servers = new Map<string, ChildProcess>();

const HTTP_SERVER = `
const [address, port] = process.argv.slice(1);
require('node:http').createServer((q, r) => r.end('ok', () => console.log('answered'))).listen(Number(port), address, () => console.log('ready'));`;

/** An HTTP server on address:8080 inside the namespace; resolves once it listens. */
function startServer(address: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', HTTP_SERVER, address, '8080'], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.set(address, child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server ${address} exited (${code})`)));
  });
}

function stopServer(address: string): Promise<void> {
  const child = servers.get(address)!;
  servers.delete(address);
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Resolves once the server has answered a request (a check: nothing else connects to it). */
function answered(address: string): Promise<void> {
  const child = servers.get(address)!;
  return new Promise((resolve) => {
    const seen = (d: Buffer) => {
      if (!d.toString().includes('answered')) return;
      child.stdout!.off('data', seen);
      resolve();
    };
    child.stdout!.on('data', seen);
  });
}

function configText({ servers: list = SERVERS.slice(0, 2), onStop = 'keep', interval = `${INTERVAL_MS}ms`, metrics = 'false' } = {}): string {
  return [
    'director:',
    '  resyncInterval: 1s',
    `  metrics: ${metrics}`,
    `  onStop: ${onStop}`,
    `  state: ${join(tmp, 'state.json')}`,
    'services:',
    `  - service: tcp ${VIP}`,
    '    scheduler: rr',
    '    forwarding: nat',
    '    health:',
    '      type: http',
    '      path: /',
    `      interval: ${interval}`,
    `      timeout: ${TIMEOUT_MS}ms`,
    '      retries: 0',
    `      fall: ${FALL}`,
    '      rise: 1',
    '      warmup: 50ms',
    '    destinations:',
    ...list.map((a) => `      - server: ${a}:8080`),
    '',
  ].join('\n');
}

interface LogLine {
  time: string;
  level: string;
  event: string;
  message: string;
  [k: string]: unknown;
}

/** The agent as a child; its JSON log lines collected, waited on by predicate. */
class Agent {
  readonly records: LogLine[] = [];
  readonly child: ChildProcess;
  stderr = '';
  private waiters: { test: (r: LogLine) => boolean; resolve: (r: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    this.child = spawn(process.execPath, [CLI, 'director', file, '--netns', ns.name, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as LogLine;
      this.records.push(r);
      this.waiters = this.waiters.filter((w) => !(w.test(r) && (w.resolve(r), true)));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** The first record (already seen or to come) that passes test. */
  next(test: (r: LogLine) => boolean, from = 0, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.records.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such log record in ${timeoutMs} ms; got:\n${this.records.map((r) => r.message).join('\n')}\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ test, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** The VIP's real servers as ipvsadm lists them. */
function listed(): string[] {
  return ns.ipvsadm('-S', '-n').split('\n').filter((l) => l.startsWith(`-a -t ${VIP}`)).map((l) => l.split(' ')[4]).sort();
}

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('dir');
  for (const a of SERVERS) ns.exec('ip', 'addr', 'add', `${a}/32`, 'dev', 'lo');
  tmp = mkdtempSync(join(tmpdir(), 'director-'));
  file = join(tmp, 'lb.yaml');
  writeFileSync(file, configText());
  // Another tool's service: never touched, not even by onStop: remove.
  ns.ipvsadm('-A', '-t', '198.51.100.50:25', '-s', 'rr');
  await Promise.all(SERVERS.map(startServer));
});

afterAll(async () => {
  for (const a of [...servers.keys()]) await stopServer(a);
  ns?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('node-ipvs director', () => {
  let agent: Agent;

  // A failure shows what the agent logged and the table, so a CI failure explains itself.
  // A failure shows what the agent logged and the table, so a CI failure explains itself; a server
  // a failed test left stopped is started again, so one failure does not fail the tests after it.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    if (agent) console.log(`agent log:\n${agent.records.map((r) => `${r.time} ${r.message}`).join('\n')}\n${agent.stderr}\ntable:\n${ns.ipvsadm('-S', '-n')}`);
    await Promise.all(SERVERS.filter((a) => !servers.has(a)).map(startServer));
  });

  it('starts: applies the file and checks from inside the namespace', async () => {
    agent = new Agent();
    await agent.next((r) => r.event === 'start');
    expect(listed()).toEqual(['192.0.2.11:8080', '192.0.2.12:8080']);
    expect(agent.records[0]).toMatchObject({ event: 'apply', level: 'info' });
    expect(agent.records[0].message).toMatch(/^apply \(start\): \+ tcp 203.0.113.10:80/);
    // The ownership record is the file's state: the service is owned.
    expect(JSON.parse(readFileSync(join(tmp, 'state.json'), 'utf8')).services).toEqual([{ protocol: 'tcp', address: '203.0.113.10', port: 80 }]);
  });

  it('a stopped server is removed within fall × interval (+ a timeout), logged as gone; started, it is back', async () => {
    // Let each server pass its first check (rise 1) before the stop; stop it right after it answered
    // one, so no check is in flight (one would fail too, and could end the count early).
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    await answered('192.0.2.11');
    const from = agent.records.length;
    const stopped = Date.now();
    await stopServer('192.0.2.11');
    const elapsed = await until(() => !listed().includes('192.0.2.11:8080'), 10_000, 'removal');
    const gone = await agent.next((r) => r.event === 'transition' && r.to === 'down', from);
    expect(gone.message).toMatch(/^tcp 203.0.113.10:80 -> 192.0.2.11:8080 is gone \(up for [\d.]+ s\): connect ECONNREFUSED/);
    // fall checks one interval apart, the first up to an interval after the stop; slack for the one-CPU guest.
    expect(elapsed).toBeLessThan(FALL * INTERVAL_MS + TIMEOUT_MS + 3000);
    expect(Date.now() - stopped).toBeGreaterThanOrEqual((FALL - 1) * INTERVAL_MS);
    expect(listed()).toEqual(['192.0.2.12:8080']);

    const back = agent.records.length;
    await startServer('192.0.2.11');
    await until(() => listed().includes('192.0.2.11:8080'), 10_000, 'return');
    expect((await agent.next((r) => r.event === 'transition' && r.to === 'up', back)).message).toMatch(/192.0.2.11:8080 is back/);
  });

  it('repairs drift: a destination deleted with ipvsadm comes back within resyncInterval', async () => {
    const from = agent.records.length;
    ns.ipvsadm('-d', '-t', VIP, '-r', '192.0.2.12:8080');
    ns.ipvsadm('-e', '-t', VIP, '-r', '192.0.2.11:8080', '-m', '-w', '7');
    await until(() => listed().length === 2, 1000 + 2000, 'drift repair');
    expect(ns.ipvsadm('-S', '-n')).toContain(`-a -t ${VIP} -r 192.0.2.11:8080 -m -w 1`);
    const repair = await agent.next((r) => r.event === 'apply' && (r.reasons as string[]).includes('resync'), from);
    expect(repair.message).toMatch(/\+ tcp 203.0.113.10:80 -> 192.0.2.12:8080/);
  });

  it('a reload adding a server sends that alone; the others are not touched', async () => {
    const before = ns.ipvsadm('-S', '-n').split('\n').filter(Boolean);
    const stats = ns.ipvsadm('-L', '-n', '--stats', '--exact').split('\n').filter((l) => l.includes('192.0.2.1'));
    const from = agent.records.length;
    writeFileSync(file, configText({ servers: SERVERS }));
    const reload = await agent.next((r) => r.event === 'reload', from);
    expect(reload.level).toBe('info');
    const applied = agent.records.slice(from).filter((r) => r.event === 'apply' && (r.reasons as string[]).includes('reload'));
    expect(applied.map((r) => r.message)).toEqual([expect.stringMatching(/^apply \(reload\): \+ tcp 203.0.113.10:80 -> 192.0.2.13:8080  forwarding masq, weight 1$/)]);
    const after = ns.ipvsadm('-S', '-n').split('\n').filter(Boolean);
    expect(after.filter((l) => !before.includes(l))).toEqual([`-a -t ${VIP} -r 192.0.2.13:8080 -m -w 1`]);
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
    // Same objects: their counters carry on from where they were (never reset by a re-add).
    const statsAfter = ns.ipvsadm('-L', '-n', '--stats', '--exact').split('\n').filter((l) => l.includes('192.0.2.11') || l.includes('192.0.2.12'));
    expect(statsAfter).toEqual(stats.filter((l) => l.includes('192.0.2.11') || l.includes('192.0.2.12')));
  });

  it('a bad new config is refused with line and column; the running one stays; SIGHUP reloads', async () => {
    const table = ns.ipvsadm('-S', '-n');
    const from = agent.records.length;
    writeFileSync(file, configText({ servers: SERVERS.slice(0, 1), interval: 'fast' }));
    const refused = await agent.next((r) => r.event === 'reload' && r.level === 'error', from);
    expect(refused.message).toMatch(/^reload \(file changed\) refused, the running config stays: .*lb\.yaml:13:17: services\[0\]\.health\.interval: expected a duration/);
    await new Promise((r) => setTimeout(r, 500));
    expect(ns.ipvsadm('-S', '-n')).toBe(table);
    // Fixed, and reloaded by SIGHUP as well (the file watch may see it first: either reloads once).
    const fixed = agent.records.length;
    writeFileSync(file, configText({ servers: SERVERS }));
    agent.child.kill('SIGHUP');
    await agent.next((r) => r.event === 'reload' && r.level === 'info', fixed);
    expect(ns.ipvsadm('-S', '-n')).toBe(table);
  });

  it('SIGTERM with onStop: keep leaves the table as it is, exit 0', async () => {
    const table = ns.ipvsadm('-S', '-n');
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.records.at(-1)!.message).toBe('stopped: the table is left as it is');
    expect(ns.ipvsadm('-S', '-n')).toBe(table);
  });

  it('SIGTERM with onStop: remove deletes what it owns, nothing else; exit 0', async () => {
    writeFileSync(file, configText({ servers: SERVERS, onStop: 'remove' }));
    agent = new Agent();
    await agent.next((r) => r.event === 'start');
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.records.at(-1)!.message).toBe('stopped: removed the services it owned');
    expect(ns.ipvsadm('-S', '-n').trim()).toBe('-A -t 198.51.100.50:25 -s rr');
  });

  it('serves metrics when the file says so: the table and the health state, from inside the namespace', async () => {
    writeFileSync(file, configText({ servers: SERVERS, metrics: '127.0.0.1:9475', onStop: 'remove' }));
    agent = new Agent();
    await agent.next((r) => r.event === 'start');
    expect((await agent.next((r) => r.event === 'metrics')).message).toBe('metrics on http://127.0.0.1:9475/metrics');
    // Let every server be checked once.
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    const fetched = await new Promise<string>((resolve, reject) => {
      const c = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e',
        "fetch('http://127.0.0.1:9475/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))"], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (d) => (out += d));
      c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`fetch exited ${code}`))));
    });
    for (const a of SERVERS) {
      expect(fetched).toMatch(new RegExp(`^node_ipvs_backend_weight\\{[^}]*remote_address="${a.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm'));
      expect(fetched).toMatch(new RegExp(`^ipvs_destination_health_up\\{[^}]*${a.replace(/\./g, '\\.')}[^}]*\\} 1$`, 'm'));
    }
    expect(await agent.stop('SIGTERM')).toBe(0);
  });

  it('a config with problems: exit 1 with line and column, nothing applied', async () => {
    writeFileSync(file, configText().replace('type: http', 'type: ping'));
    const bad = new Agent();
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toMatch(/lb\.yaml:11:13: services\[0\]\.health\.type: expected one of 'tcp'/);
    expect(ns.ipvsadm('-S', '-n').trim()).toBe('-A -t 198.51.100.50:25 -s rr');
  });
});
