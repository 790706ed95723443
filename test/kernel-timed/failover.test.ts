/**
 * Director failover on a real kernel: the director agent's `vrrp:` section (lib/failover) run by the
 * CLI in two namespaces, dirA (priority 150) and dirB (100), on one bridge with a client and a DR
 * real server. Two agents elect one master, which alone holds the VIP, and the client's neighbour
 * entry for the VIP follows every transition (gratuitous ARP). A killed master (SIGKILL) is replaced
 * within Master_Down_Interval, a stopped one (SIGTERM, priority 0) within Skew_Time; the killed one
 * comes back as a backup without the VIP it left behind and preempts after its preempt delay; a
 * link down puts the master in fault. The sync daemons give the backup the master's connection
 * before a failover (the library's listing, /proc/net/ip_vs_conn_sync and `ipvsadm -Lnc` agree), so
 * a held TCP connection keeps echoing through each new master. keepalived and node-ipvs take over
 * from each other both ways.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drRealServer, type Ipvs } from '../../lib';
import { TestNamespace, requireIpvs, settleDaemon } from '../helpers/kernel';
import { DirectorAgent, KeepalivedAgent, keepalivedConf, STARTUP_MS } from '../helpers/vrrp-agents';

const VIP = '192.0.2.100';
const PORT = 80;
const RS = '192.0.2.21';
const CLIENT = '192.0.2.50';
const VRID = 51;
// 500 ms (keepalived's advert_int 0.5): at 200 ms a CI guest starved of CPU delayed adverts past the
// backup's Master_Down_Interval, and a returning backup took over while the test took it for a backup.
const INTERVAL_MS = 500;
const HIGH = 150;
const LOW = 100;

/** RFC 5798 6.1, in microseconds with integer division (as keepalived and lib/vrrp/timers.ts). */
const skewMs = (priority: number) => Math.floor(((256 - priority) * INTERVAL_MS * 1000) / 256) / 1000;
const masterDownMs = (priority: number) => 3 * INTERVAL_MS + skewMs(priority);
/**
 * What the sandbox adds to a protocol timer between the event and the record: the one-CPU user-mode
 * kernel runs both agents, the client and the test (a timer fires late, a process runs late).
 * Measured here: SIGKILL -> takeover 573-709 ms for a Master_Down_Interval of 721.875 ms, SIGTERM ->
 * takeover 129-149 ms for a Skew_Time of 121.875 ms. Less than the interval's 3x margin, so that a
 * backup that waited one interval too many, or a priority-0 advert that was not acted on, still fails.
 */
const SLACK_MS = 400;
/** The returning master's preempt delay: long enough that the test reads who holds the VIP inside it. */
const PREEMPT_DELAY_MS = 3000;

let sw: TestNamespace;
let dirA: TestNamespace;
let dirB: TestNamespace;
let client: TestNamespace;
let rs: TestNamespace;
let tmp: string;
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agents of the test running now, whose last lines a neighbour check's failure shows. */
const watched: (DirectorAgent | KeepalivedAgent)[] = [];
function watch<T extends DirectorAgent | KeepalivedAgent>(agent: T): T {
  watched.push(agent);
  return agent;
}
const lastLines = () => watched.map((a) => `${a.constructor.name}:\n${a.output().split('\n').slice(-12).join('\n')}`).join('\n');

function plug(ns: TestNamespace, port: string, address: string): void {
  sw.exec('ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
  sw.exec('ip', 'link', 'set', port, 'master', 'br0', 'up');
  ns.exec('ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  ns.exec('ip', 'link', 'set', 'eth0', 'up');
}

const macOf = (ns: TestNamespace) => ns.exec('cat', '/sys/class/net/eth0/address').trim();
const holdsVip = (ns: TestNamespace) => ns.exec('ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0').includes(` ${VIP}/32 `);
const neighbour = () => client.exec('ip', '-4', 'neigh', 'show', VIP, 'dev', 'eth0').trim();

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`timed out (${ms} ms) waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * The client's neighbour entry for the VIP names `mac`. Called as the new master's VIP appears, so
 * only its gratuitous ARP can have moved it this soon: the held connection's replies come from the
 * real server (DR) and keep confirming the old entry, which would go stale and be probed only after
 * several seconds (5 s in DELAY, then probes a second apart).
 *
 * The announcements are spread (100 ms apart): the guest has one CPU and one backlog of received
 * packets for all its namespaces, and a test file running beside this one can fill it, dropping a
 * burst sent back to back (a CI run lost a whole burst of keepalived's that way).
 */
async function neighbourIs(mac: string, ms = 4000): Promise<void> {
  try {
    await until(`the client's neighbour entry for ${VIP} to be ${mac}`, () => neighbour().includes(`lladdr ${mac} `), ms);
  } catch (err) {
    throw new Error(`${(err as Error).message} (it is: ${neighbour()}); the agents' last lines:\n${lastLines()}`);
  }
}

function directorConfig(priority: number, { preemptDelay = '0s' } = {}): string {
  return [
    'services:',
    `  - service: tcp ${VIP}:${PORT}`,
    '    scheduler: rr',
    '    forwarding: route',
    '    destinations:',
    `      - server: ${RS}`,
    'vrrp:',
    '  instances:',
    '    - name: VI_1',
    '      interface: eth0',
    `      vrid: ${VRID}`,
    `      priority: ${priority}`,
    `      interval: ${INTERVAL_MS}ms`,
    `      preemptDelay: ${preemptDelay}`,
    `      vips: [${VIP}]`,
    // Spread (see neighbourIs) and without the second burst: a late burst from a master that is
    // stepping down would move the client back for a moment.
    '      garp: { repeat: 5, interval: 100ms, delay: 0 }',
    '  sync:',
    '    interface: eth0',
    '    mode: follow',            // the switch on every transition, which these tests watch ('both' is the default)
    '',
  ].join('\n');
}

/**
 * A TCP connection from the client to VIP:PORT held open: a numbered line every 100 ms, each echoed
 * by the real server. `echoed()` counts the replies so far (in order, else it throws).
 */
async function holdConnection(): Promise<{ port: number; echoed: () => number; close: () => void }> {
  const script = `
    const s = require('net').connect(${PORT}, '${VIP}', () => {
      s.setNoDelay(true);
      console.log('port ' + s.localPort);
      let n = 0;
      setInterval(() => s.write(n++ + '\\n'), 100);
    });
    s.setEncoding('utf8');
    let pending = '';
    s.on('data', (d) => { pending += d; let i; while ((i = pending.indexOf('\\n')) >= 0) { console.log('echo ' + pending.slice(0, i)); pending = pending.slice(i + 1); } });
    s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
    s.on('close', () => { console.log('closed'); process.exit(1); });`;
  const child = spawn('ip', ['netns', 'exec', client.name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (l) => lines.push(l));
  await until('the held connection to open', () => lines.length > 0, 10_000);
  const m = /^port (\d+)$/.exec(lines[0]);
  if (!m) throw new Error(`the held connection did not open: ${lines.join('\n')}`);
  return {
    port: Number(m[1]),
    echoed: () => {
      const echoes = lines.filter((l) => l.startsWith('echo '));
      const bad = lines.find((l) => l.startsWith('error') || l === 'closed');
      if (bad) throw new Error(`the held connection broke: ${bad}`);
      echoes.forEach((l, i) => {
        if (l !== `echo ${i}`) throw new Error(`the held connection's reply ${i} was "${l}"`);
      });
      return echoes.length;
    },
    close: () => child.kill('SIGKILL'),
  };
}

/** The held connection answers again: `count` more echoes (about `count` × 100 ms) after now. */
async function stillEchoes(held: { echoed: () => number }, count = 5, ms = 8000): Promise<void> {
  const before = held.echoed();
  await until(`${count} more echoes on the held connection (${held.echoed() - before} so far)`, () => held.echoed() >= before + count, ms);
}

beforeAll(async () => {
  await requireIpvs();
  tmp = mkdtempSync(join(tmpdir(), 'failover-'));
  sw = new TestNamespace('fosw');
  sw.exec('ip', 'link', 'add', 'br0', 'type', 'bridge');
  sw.exec('ip', 'link', 'set', 'br0', 'up');
  dirA = new TestNamespace('foA');
  dirB = new TestNamespace('foB');
  client = new TestNamespace('foC');
  rs = new TestNamespace('foR');
  plug(dirA, 'pa', '192.0.2.1');
  plug(dirB, 'pb', '192.0.2.2');
  plug(client, 'pc', CLIENT);
  plug(rs, 'pr', RS);
  await drRealServer.apply({ netns: rs.name, interfaces: ['eth0'], vip: VIP });
  const echo = spawn('ip', ['netns', 'exec', rs.name, process.execPath, '-e',
    `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${PORT}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(echo);
  await new Promise<void>((resolve, reject) => {
    echo.stdout!.once('data', () => resolve());
    echo.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)));
  });
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const ns of [dirA, dirB, client, rs, sw]) ns?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('two node-ipvs directors', () => {
  let a: DirectorAgent;
  let b: DirectorAgent;

  /** Runs what ends A's mastership; B's takeover, for `reason`, in ms from it (logged). */
  async function takeover(act: () => Promise<unknown>, reason: string, what: string): Promise<number> {
    const after = b.transitions().length;
    const at = Date.now();
    await act();
    const took = await b.transition('master', { after, from: 'backup' });
    expect(took.reason).toBe(reason);
    console.log(`${what} -> dirB master after ${took.time - at} ms`);
    return took.time - at;
  }
  let ipvsA: Ipvs;
  let ipvsB: Ipvs;
  let held: Awaited<ReturnType<typeof holdConnection>>;

  beforeAll(async () => {
    a = watch(new DirectorAgent(dirA.name, join(tmp, 'a.yaml')));
    b = watch(new DirectorAgent(dirB.name, join(tmp, 'b.yaml')));
    ipvsA = await dirA.open();
    ipvsB = await dirB.open();
  });

  afterAll(async () => {
    held?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    ipvsA?.close();
    ipvsB?.close();
  });

  it('elect one master: the higher priority holds the VIP alone, the client resolves the VIP to its MAC', async () => {
    // A first: B then starts while A advertises (a B that took over first would switch its sync
    // daemons twice within a second, which the 6.1 kernel may not survive: helpers/kernel.ts settleDaemon).
    a.start(directorConfig(HIGH));
    const elected = await a.transition('master', { ms: 20_000 });
    expect(a.transitions().map((t) => `${t.from} -> ${t.to} (${t.reason})`)).toEqual(['initialize -> backup (startup)', 'backup -> master (master-down)']);
    expect(elected).toMatchObject({ instance: 'VI_1', priority: HIGH });
    b.start(directorConfig(LOW));
    await b.transition('backup', { ms: 20_000 });
    await until('the VIP on dirA', () => holdsVip(dirA));
    // Several of B's Master_Down_Intervals: it stays backup, without the VIP; one master.
    await sleep(2 * masterDownMs(LOW));
    expect(b.transitions().map((t) => `${t.from} -> ${t.to} (${t.reason})`)).toEqual(['initialize -> backup (startup)']);
    expect(a.state()).toBe('master');
    expect(holdsVip(dirA)).toBe(true);
    expect(holdsVip(dirB)).toBe(false);
    // The sync daemons follow the state: A sends, B receives.
    expect((await ipvsA.listDaemons()).map((d) => d.state)).toEqual(['master']);
    expect((await ipvsB.listDaemons()).map((d) => d.state)).toEqual(['backup']);
    held = await holdConnection();
    await stillEchoes(held, 3);
    await neighbourIs(macOf(dirA));
  }, 40_000 + 2 * STARTUP_MS);

  it("the backup holds the master's connection as a sync entry before any failover", async () => {
    const synced = async () => (await ipvsB.listConnections({ origin: true })).find((e) => e.client.port === held.port);
    await until('the held connection synced to dirB', async () => (await synced()) !== undefined, 10_000);
    expect(await synced()).toMatchObject({
      origin: 'sync', protocol: 'tcp', state: 'ESTABLISHED',
      client: { address: CLIENT, port: held.port }, virtual: { address: VIP, port: PORT }, destination: { address: RS, port: PORT },
    });
    // The kernel's own views in dirB: the sync table's Origin column, and ipvsadm's listing.
    const hex = (address: string, port: number) => `${Buffer.from(address.split('.').map(Number)).toString('hex').toUpperCase()} ${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const row = dirB.exec('cat', '/proc/net/ip_vs_conn_sync').split('\n').find((l) => l.includes(hex(CLIENT, held.port)));
    expect(row).toMatch(new RegExp(`^TCP\\s+${hex(CLIENT, held.port)}\\s+${hex(VIP, PORT)}\\s+${hex(RS, PORT)}\\s+ESTABLISHED\\s+SYNC\\s`));
    expect(dirB.exec('ipvsadm', '-Lnc')).toMatch(new RegExp(`TCP\\s+\\S+\\s+ESTABLISHED\\s+${CLIENT}:${held.port}\\s+${VIP}:${PORT}\\s+${RS}:${PORT}`));
  }, 30_000);

  it('SIGKILL of the master: the backup takes over within Master_Down_Interval, the connection goes on through it', async () => {
    const delay = await takeover(() => a.kill(), 'master-down', `SIGKILL (Master_Down_Interval ${masterDownMs(LOW)} ms)`);
    // The last advert left at most one interval before the kill, so B's timer ran out between
    // Master_Down_Interval - interval and Master_Down_Interval after it.
    expect(delay).toBeGreaterThanOrEqual(masterDownMs(LOW) - INTERVAL_MS - 20);
    expect(delay).toBeLessThanOrEqual(masterDownMs(LOW) + SLACK_MS);
    await until('the VIP on dirB', () => holdsVip(dirB), 2000);
    await neighbourIs(macOf(dirB));
    // A killed agent cannot remove its VIP (keepalived's crash leaves it too).
    expect(holdsVip(dirA)).toBe(true);
    await stillEchoes(held);
  }, 30_000);

  it('the killed director comes back as a backup without its stale VIP, waits out its preempt delay, then preempts', async () => {
    const afterB = b.transitions().length;
    const started = Date.now();
    a.start(directorConfig(HIGH, { preemptDelay: `${PREEMPT_DELAY_MS}ms` }));
    const backup = await a.transition('backup', { ms: 20_000 });
    expect(backup).toMatchObject({ from: 'initialize', reason: 'startup' });
    // Who holds the VIP while A waits, read until A logs its takeover. The log is read late on a
    // loaded guest, so only readings that ended before A's own transition time count: each of them
    // must show A without the VIP (the one the killed agent left was removed before it started)
    // and B with it.
    const readings: { end: number; a: boolean; b: boolean }[] = [];
    while (a.state() === 'backup' && Date.now() - started < 20_000) {
      const onA = holdsVip(dirA);
      const onB = holdsVip(dirB);
      readings.push({ end: Date.now(), a: onA, b: onB });
      await sleep(100);
    }
    const master = await a.transition('master', { ms: 10_000 });
    expect(master).toMatchObject({ from: 'backup', reason: 'master-down', priority: HIGH });
    const waiting = readings.filter((r) => r.end < master.time);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.filter((r) => r.a || !r.b)).toEqual([]);
    // Not before the hold ended plus one Master_Down_Interval of its own.
    expect(master.time - backup.time).toBeGreaterThanOrEqual(PREEMPT_DELAY_MS);
    expect(master.time - backup.time).toBeLessThanOrEqual(PREEMPT_DELAY_MS + masterDownMs(HIGH) + INTERVAL_MS + SLACK_MS);
    const yielded = await b.transition('backup', { after: afterB, from: 'master' });
    expect(yielded.reason).toBe('higher-priority');
    await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 2000);
    await neighbourIs(macOf(dirA));
    await stillEchoes(held);
    // The master sync daemon the killed agent left running in the kernel is adopted, not started twice.
    await a.waitLine('the sync daemons to follow master', (l) => l.includes('sync daemons for VI_1 master'), 0, 5000);
    expect(a.output()).toMatch(/sync daemons for VI_1 master: master adopted, backup stopped/);
    expect((await ipvsA.listDaemons()).map((d) => d.state)).toEqual(['master']);
    console.log(`restart -> dirA backup after ${backup.time - started} ms, master ${master.time - backup.time} ms later`);
  }, 40_000);

  it('SIGTERM of the master: priority 0, the backup takes over within Skew_Time, the stopped one removed its VIP', async () => {
    const delay = await takeover(() => a.stop(), 'master-left', `SIGTERM (Skew_Time ${skewMs(LOW)} ms)`);
    // Much sooner than a dead master's Master_Down_Interval.
    expect(delay).toBeLessThan(masterDownMs(LOW) - INTERVAL_MS);
    expect(a.transitions().at(-1)).toMatchObject({ from: 'master', to: 'initialize', reason: 'shutdown' });
    expect(holdsVip(dirA)).toBe(false);
    await until('the VIP on dirB', () => holdsVip(dirB), 2000);
    await neighbourIs(macOf(dirB));
    await stillEchoes(held);
  }, 30_000);

  it('started again without a preempt delay, it preempts after one Master_Down_Interval', async () => {
    const afterB = b.transitions().length;
    a.start(directorConfig(HIGH));
    const backup = await a.transition('backup', { ms: 20_000 });
    const master = await a.transition('master', { ms: 10_000 });
    expect(master.time - backup.time).toBeLessThanOrEqual(masterDownMs(HIGH) + SLACK_MS);
    await b.transition('backup', { after: afterB, from: 'master' });
    await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 2000);
    await neighbourIs(macOf(dirA));
    await stillEchoes(held);
  }, 40_000);

  it("link down on the master's interface: fault, VIP removed, the other takes over; link up: backup, then it preempts", async () => {
    const afterA = a.transitions().length;
    const afterB = b.transitions().length;
    // Each takeover below stops a master sync daemon (follow mode): never moments after it started (settleDaemon).
    await settleDaemon();
    dirA.exec('ip', 'link', 'set', 'eth0', 'down');
    // Up again whatever ends the test early: the tests after it need the link.
    let down = true;
    try {
      const fault = await a.transition('fault', { after: afterA, from: 'master' });
      expect(fault.reason).toBe('track');
      expect(a.lines.some((l) => l.line.includes('-> fault'))).toBe(true);
      await until('the VIP gone from dirA', () => !holdsVip(dirA), 2000);
      await b.transition('master', { after: afterB, from: 'backup' });
      await until('the VIP on dirB', () => holdsVip(dirB), 2000);
      await neighbourIs(macOf(dirB));
      await stillEchoes(held);

      await settleDaemon();
      dirA.exec('ip', 'link', 'set', 'eth0', 'up');
      down = false;
      const back = await a.transition('backup', { after: afterA, from: 'fault' });
      expect(back.reason).toBe('recovered');
      expect(holdsVip(dirA)).toBe(false);
      const master = await a.transition('master', { after: afterA, from: 'backup' });
      expect(master.time - back.time).toBeLessThanOrEqual(masterDownMs(HIGH) + SLACK_MS);
      await b.transition('backup', { after: afterB, from: 'master' });
      await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 2000);
      await neighbourIs(macOf(dirA));
      await stillEchoes(held);
    } finally {
      if (down) dirA.exec('ip', 'link', 'set', 'eth0', 'up');
    }
  }, 40_000);
});

describe('keepalived interoperation', () => {
  const kaConf = (priority: number) => keepalivedConf({ name: `ka${priority}`, priority, vrid: VRID, interval: INTERVAL_MS / 1000, vip: VIP });

  it('keepalived 150 + node-ipvs 100: keepalived is master; killed, node-ipvs takes the VIP; restarted, keepalived preempts and node-ipvs gives the VIP up', async () => {
    const ka = watch(new KeepalivedAgent(dirA.name, mkdtempSync(join(tmp, 'ka-'))));
    const b = watch(new DirectorAgent(dirB.name, join(tmp, 'b-ka.yaml')));
    try {
      ka.start(kaConf(HIGH));
      await ka.entering('MASTER', 0, 20_000);
      b.start(directorConfig(LOW));
      await b.transition('backup', { ms: 20_000 });
      await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 3000);
      await sleep(2 * masterDownMs(LOW));
      expect(b.transitions().map((t) => t.to)).toEqual(['backup']);
      await neighbourIs(macOf(dirA));

      const after = b.transitions().length;
      const killed = Date.now();
      await ka.kill();
      const took = await b.transition('master', { after, from: 'backup' });
      expect(took.reason).toBe('master-down');
      expect(took.time - killed).toBeLessThanOrEqual(masterDownMs(LOW) + SLACK_MS);
      await until('the VIP on dirB', () => holdsVip(dirB), 2000);
      await neighbourIs(macOf(dirB));

      const afterB = b.transitions().length;
      await settleDaemon(); // B's master sync daemon stops when keepalived preempts
      ka.start(kaConf(HIGH));
      await ka.entering('MASTER', 0, 20_000);
      const yielded = await b.transition('backup', { after: afterB, from: 'master' });
      expect(yielded.reason).toBe('higher-priority');
      await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 3000);
      await neighbourIs(macOf(dirA));
    } finally {
      await Promise.all([ka.running ? ka.stop() : undefined, b.stop()]);
    }
    expect(holdsVip(dirA)).toBe(false);
  }, 60_000);

  it('node-ipvs 150 + keepalived 100: node-ipvs is master; stopped (SIGTERM), keepalived takes over within Skew_Time', async () => {
    const a = watch(new DirectorAgent(dirA.name, join(tmp, 'a-ka.yaml')));
    const ka = watch(new KeepalivedAgent(dirB.name, mkdtempSync(join(tmp, 'ka-'))));
    try {
      ka.start(kaConf(LOW));
      a.start(directorConfig(HIGH));
      await a.transition('master', { ms: 20_000 });
      await ka.entering('BACKUP', 0, 20_000);
      await until('the VIP on dirA only', () => holdsVip(dirA) && !holdsVip(dirB), 3000);
      await neighbourIs(macOf(dirA));
      // keepalived's last state is backup, the node-ipvs master answered any advert of its own.
      await sleep(3 * INTERVAL_MS);
      const last = (state: string) => ka.lines.map((l) => l.line.includes(`(VI_1) Entering ${state} STATE`)).lastIndexOf(true);
      expect(last('BACKUP')).toBeGreaterThan(last('MASTER'));

      const from = ka.lines.length;
      const stopped = Date.now();
      await a.stop();
      const took = await ka.entering('MASTER', from, 5000);
      console.log(`node-ipvs SIGTERM -> keepalived master after ${took.read - stopped} ms (Skew_Time ${skewMs(LOW)} ms)`);
      expect(took.read - stopped).toBeLessThan(masterDownMs(LOW) - INTERVAL_MS);
      expect(holdsVip(dirA)).toBe(false);
      await until('the VIP on dirB', () => holdsVip(dirB), 3000);
      await neighbourIs(macOf(dirB));
    } finally {
      await Promise.all([a.stop(), ka.running ? ka.stop() : undefined]);
    }
  }, 60_000);
});
