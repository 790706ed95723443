/**
 * node-ipvs status against IPVS: a config file applied with --state, a real server removed from
 * it while a TCP connection through the service to it is held open (NAT to a second namespace),
 * and status shows that server draining (weight 0, its connection, since when, the time left),
 * the service owned and another tool's service not; in text and JSON. A drain past its timeout
 * is due; the next apply deletes it and status shows it gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAsync } from '../helpers/child';
import { TestNamespace, natPair, requireIpvs } from '../helpers/kernel';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const VIP = '192.0.2.110';
const A = '198.51.100.2';
const B = '198.51.100.3';

let director: TestNamespace;
let real: TestNamespace;
let server: ChildProcess;
let holder: ChildProcess | undefined;
let tmp: string;
let file: string;
let state: string;

const cli = (...args: string[]) => spawnAsync(process.execPath, [CLI, ...args, '--netns', director.name]);
const yaml = (...servers: string[]) => `services:
  - service: tcp ${VIP}:80
    scheduler: rr
    destinations:
${servers.map((s) => `      - server: ${s}:8080\n        forwarding: nat\n`).join('')}`;
const apply = async (...args: string[]) => {
  const r = await cli('apply', file, '--state', state, ...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r;
};

/** A connection to the VIP from the director's namespace, held open; resolves with the server that answered. */
function hold(): Promise<string> {
  holder = spawn('ip', ['netns', 'exec', director.name, process.execPath, '-e',
    `require('net').connect(80, '${VIP}').once('data', (d) => console.log(String(d))).on('error', (e) => console.log('error ' + e.message));`]);
  return new Promise((resolve) => holder!.stdout!.once('data', (d) => resolve(String(d).trim())));
}

beforeAll(async () => {
  await requireIpvs();
  tmp = mkdtempSync(join(tmpdir(), 'status-'));
  file = join(tmp, 'lb.yaml');
  state = join(tmp, 'state.json');
  ({ director, real } = natPair('s', VIP, [A, B]));
  // Answers with the address it was reached at, and keeps the connection open.
  server = spawn('ip', ['netns', 'exec', real.name, process.execPath, '-e', `
    const keep = [];
    require('net').createServer((s) => { keep.push(s); s.on('error', () => {}); s.write(s.localAddress.replace('::ffff:', '')); })
      .listen(8080, '::', () => console.log('ready'));`]);
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  // Another tool's service beside the file's.
  director.ipvsadm('-A', '-u', '203.0.113.53:53', '-s', 'wlc');
}, 60_000);

afterAll(() => {
  holder?.kill();
  server?.kill();
  director?.delete();
  real?.delete();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('node-ipvs status', () => {
  it('shows a removed real server draining while a connection to it is held, in text and JSON', async () => {
    writeFileSync(file, yaml(A));
    await apply();
    expect(await hold()).toBe(A);
    writeFileSync(file, yaml(B));
    const drained = await apply();
    expect(drained.stdout).toMatch(new RegExp(`^draining tcp ${VIP}:80 -> ${A}:8080 {2}since \\S+, 1 active, 0 inactive$`, 'm'));
    const since = JSON.parse(readFileSync(state, 'utf8')).drains[0].since as number;

    const text = await cli('status', '--state', state, '--drain-timeout', '600');
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '1 of 2 service(s) owned, 1 destination(s) draining',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      `TCP  ${VIP}:80 rr  owned`,
    ]);
    const elapsed = `(\\d+m)?\\d+s \\(since ${new Date(since).toISOString().replace(/[.]/g, '\\.')}\\), \\d+m\\d{2}s to the drain timeout$`;
    expect(lines[4]).toMatch(new RegExp(`^ {2}-> ${A}:8080 +Masq +0 +1 +0 {2}draining ${elapsed}`));
    expect(lines[5]).toMatch(new RegExp(`^ {2}-> ${B}:8080 +Masq +1 +0 +0 *$`));
    expect(lines[6]).toBe('UDP  203.0.113.53:53 wlc  not owned');

    const json = await cli('status', '--state', state, '--drain-timeout', '600', '--json');
    expect(json.status).toBe(0);
    const j = JSON.parse(json.stdout);
    expect(j.ownership).toBe(state);
    expect(j.services.map((s: { key: unknown; owned: boolean }) => [s.key, s.owned])).toEqual([
      [{ protocol: 'tcp', address: VIP, port: 80 }, true],
      [{ protocol: 'udp', address: '203.0.113.53', port: 53 }, false],
    ]);
    const [a, b] = j.services[0].destinations;
    expect(b).toMatchObject({ key: { address: B, port: 8080 }, config: { weight: 1 }, drain: null });
    expect(a).toMatchObject({ key: { address: A, port: 8080 }, config: { weight: 0 }, connections: { active: 1, inactive: 0 } });
    expect(a.drain).toMatchObject({ since: new Date(since).toISOString(), due: false });
    expect(a.drain.elapsedMs).toBe(Date.parse(j.at) - since);
    expect(a.drain.elapsedMs + a.drain.timeoutLeftMs).toBe(600_000);
    expect(Date.parse(j.at)).toBeGreaterThanOrEqual(since);
  }, 60_000);

  it('without --state nothing is marked; a bad record is refused, naming its field', async () => {
    const bare = await cli('status');
    expect(bare.status).toBe(0);
    expect(bare.stdout.split('\n')[0]).toBe('no ownership record (--state FILE): ownership and drains not known');
    expect(bare.stdout).not.toContain('draining');
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ version: 1, services: [], drains: [{ since: 1 }] }));
    // A short path: a long one is clipped in the message.
    const r = await spawnAsync(process.execPath, [CLI, 'status', '--state', 'bad.json', '--netns', director.name], { cwd: tmp });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('node-ipvs: ownership record bad.json.drains[0].destination: expected an object, got undefined\n');
  });

  it('a drain past its timeout is due; the next apply deletes it and status no longer shows it', async () => {
    const due = await cli('status', '--state', state, '--drain-timeout', '0');
    expect(due.stdout).toMatch(new RegExp(`^ {2}-> ${A}:8080 +Masq +0 +1 +0 {2}draining .*, timed out: due, the next apply deletes it$`, 'm'));
    await apply('--drain-timeout', '0');
    const after = await cli('status', '--state', state);
    expect(after.stdout.split('\n')[0]).toBe('1 of 2 service(s) owned, 0 destination(s) draining');
    expect(after.stdout).not.toContain(A);
    expect(JSON.parse(readFileSync(state, 'utf8')).drains).toEqual([]);
  });
});
