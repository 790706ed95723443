/**
 * enterNetns in a worker_thread: the worker's sockets are in the namespace it entered (it
 * reaches a server only reachable there), the main thread's are not (the same connect fails),
 * and the main thread's namespace is unchanged. This is how a library user runs a Director whose
 * checks must start inside the IPVS table's namespace (docs/director.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const DIST = join(__dirname, '..', '..', 'dist', 'netns.js');
const LIB = join(__dirname, '..', '..', 'dist');
const ADDRESS = '192.0.2.50';
let ns: TestNamespace;
let server: ChildProcess;

beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('enter');
  ns.exec('ip', 'addr', 'add', `${ADDRESS}/32`, 'dev', 'lo');
  // Where SYNs go unanswered: a dummy device drops what it is sent.
  ns.exec('ip', 'link', 'add', 'd0', 'type', 'dummy');
  ns.exec('ip', 'link', 'set', 'd0', 'up');
  ns.exec('ip', 'route', 'add', '198.51.100.0/24', 'dev', 'd0');
  server = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e',
    `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('inside\\n'); }).listen(7000, '${ADDRESS}', () => console.log('ready'))`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => server.stdout!.once('data', resolve));
});

afterAll(() => {
  server?.kill('SIGKILL');
  ns?.delete();
});

/** What a TCP connect to ADDRESS:7000 from this thread gets: the server's line or the error code. */
function reach(): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: ADDRESS, port: 7000, timeout: 3000 });
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve(data.trim()));
    s.on('timeout', () => (s.destroy(), resolve('timeout')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('enterNetns in a worker', () => {
  it('moves the worker alone: it reaches the server inside, the main thread does not', async () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { readlinkSync } = require('node:fs');
      const net = require('node:net');
      require(workerData.dist).enterNetns(workerData.name);
      const s = net.connect({ host: workerData.address, port: 7000 });
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => parentPort.postMessage({ data: data.trim(), ns: readlinkSync('/proc/thread-self/ns/net') }));
      s.on('error', (e) => parentPort.postMessage({ data: e.code, ns: readlinkSync('/proc/thread-self/ns/net') }));`,
    { eval: true, workerData: { dist: DIST, name: ns.name, address: ADDRESS } });
    const got = await new Promise<{ data: string; ns: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(got.data).toBe('inside');
    expect(got.ns).toBe(ns.exec('readlink', '/proc/self/ns/net').trim());
    expect(got.ns).not.toBe(before);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
    expect(await reach()).not.toBe('inside');
  });
});

describe('TCP checks (native connects) follow the thread', () => {
  it("a worker in the namespace checks the server inside as up; the main thread's check of it fails; a worker ended mid-check is no crash", async () => {
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const lib = require(workerData.lib);
      lib.enterNetns(workerData.name);
      const tcp = lib.createChecker(lib.checkHealthSpec({ type: 'tcp' }, 'check'));
      const never = new AbortController().signal;
      tcp.check({ address: workerData.address, port: 7000, family: 'inet' }, 2000, never).then((inside) => {
        // Left in flight when the worker ends: SYNs to 198.51.100.99 go into the dummy device.
        let settled = false;
        tcp.check({ address: '198.51.100.99', port: 7000, family: 'inet' }, 60000, never).then(() => (settled = true));
        setTimeout(() => parentPort.postMessage({ inside, settled }), 200);
      });`,
    { eval: true, workerData: { lib: LIB, name: ns.name, address: ADDRESS } });
    const inside = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(await worker.terminate()).toBe(1);
    expect(inside).toEqual({ inside: { ok: true, reason: 'connected' }, settled: false });
    const { checkHealthSpec, createChecker } = await import('../../lib');
    const outside = await createChecker(checkHealthSpec({ type: 'tcp' }, 'check'))
      .check({ address: ADDRESS, port: 7000, family: 'inet' }, 2000, new AbortController().signal);
    expect(outside.ok).toBe(false);
  });
});
