/**
 * Each built-in checker against servers this test runs on 127.0.0.1: up, down with a readable
 * reason, a timeout (a server that accepts and never answers), and an abort.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealthSpec, createChecker, type CheckTarget, type HealthCheckSpec } from '../../lib';

const FIXTURES = join(__dirname, '../fixtures/health');
const CERT = readFileSync(join(FIXTURES, 'cert.pem'), 'utf8');
const KEY = readFileSync(join(FIXTURES, 'key.pem'), 'utf8');

const at = (port: number): CheckTarget => ({ address: '127.0.0.1', port, family: 'inet' });
const never = new AbortController().signal;

function checker(spec: Omit<HealthCheckSpec, 'interval'>) {
  return createChecker(checkHealthSpec(spec, 'check'));
}

/** A port nobody listens on: bound and released, so the kernel will refuse it. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function listen(server: NetServer | HttpServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/**
 * A port whose SYNs go unanswered: a listener with backlog 0 that never accepts (Node's servers
 * always accept, hence python, which node-gyp needs anyway), its queue filled by one connection.
 */
const children: ChildProcess[] = [];
const fillers: Socket[] = [];
async function fullBacklog(): Promise<number> {
  const child = spawn('python3', ['-c', [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'time.sleep(60)',
  ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
  });
  const filler = netConnect(port, '127.0.0.1');
  fillers.push(filler);
  await new Promise((r) => filler.once('connect', r));
  return port;
}

/** Accepts connections and never writes a byte: a hung application. */
const held: Socket[] = [];
const silent = createNetServer((s) => held.push(s));
let silentPort = 0;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes: Record<string, Handler> = {
  '/ok': (_q, r) => r.end('all ok here'),
  '/fail': (_q, r) => { r.statusCode = 503; r.end('down'); },
  '/redirect': (_q, r) => { r.statusCode = 302; r.end(); },
  '/host': (q, r) => r.end(`host=${q.headers.host}`),
  '/big': (_q, r) => { r.write('x'.repeat(100_000)); r.end('MARK'); },
  '/hang-body': (_q, r) => r.write('partial'),
};
const handle: Handler = (q, r) => (Object.hasOwn(routes, q.url ?? '') ? routes[q.url as string](q, r) : (r.statusCode = 404, r.end()));
const http = createHttpServer(handle);
const https = createHttpsServer({ cert: CERT, key: KEY }, handle);
let httpPort = 0;
let httpsPort = 0;
let refusedPort = 0;

beforeAll(async () => {
  silentPort = await listen(silent);
  httpPort = await listen(http);
  httpsPort = await listen(https);
  refusedPort = await closedPort();
});
afterAll(async () => {
  for (const s of [...held, ...fillers]) s.destroy();
  for (const c of children) c.kill();
  http.closeAllConnections();
  https.closeAllConnections();
  await Promise.all([silent, http, https].map((s) => new Promise((r) => s.close(r))));
});

describe('tcp', () => {
  it('is up when the port accepts', async () => {
    expect(await checker({ type: 'tcp' }).check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'connected' });
  });
  it('is down with the errno on a closed port', async () => {
    expect(await checker({ type: 'tcp' }).check(at(refusedPort), 1000, never)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });
  it('times out when the handshake never completes', async () => {
    const port = await fullBacklog();
    const t0 = Date.now();
    expect(await checker({ type: 'tcp' }).check(at(port), 200, never)).toEqual({ ok: false, reason: 'timeout after 200 ms' });
    expect(Date.now() - t0).toBeLessThan(600);
  });
  it('settles at once on abort', async () => {
    const port = await fullBacklog();
    const ac = new AbortController();
    const p = checker({ type: 'tcp' }).check(at(port), 5000, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
    expect(Date.now() - t0).toBeLessThan(300);
  });
});

describe('tcp: native attempts', () => {
  it('makes a new connection per attempt, and a refused or aborted one tells nothing to the next', async () => {
    const ports: number[] = [];
    const counting = createNetServer((s) => {
      ports.push(s.remotePort ?? 0);
      s.on('error', () => {});
    });
    const port = await listen(counting);
    const c = checker({ type: 'tcp' });
    const silent = await fullBacklog();
    try {
      for (let i = 0; i < 10; i++) {
        expect(await c.check(at(port), 1000, never)).toEqual({ ok: true, reason: 'connected' });
        expect(await c.check(at(refusedPort), 1000, never)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
        // Cut short while connecting: its slot, its socket closed, serves a later attempt.
        const ac = new AbortController();
        const pending = c.check(at(silent), 5000, ac.signal);
        ac.abort();
        expect(await pending).toEqual({ ok: false, reason: 'aborted' });
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(ports).toHaveLength(10);
      expect(new Set(ports).size).toBe(10);
    } finally {
      await new Promise((r) => counting.close(r));
    }
  });
  it('runs 150 attempts at once, each settled once by its own outcome', async () => {
    const c = checker({ type: 'tcp' });
    for (let round = 0; round < 2; round++) {
      const outcomes = await Promise.all(Array.from({ length: 150 }, (_, i) => c.check(at(i % 2 ? httpPort : refusedPort), 2000, never)));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(75);
      expect(new Set(outcomes.filter((o) => !o.ok).map((o) => o.reason))).toEqual(new Set(['connect ECONNREFUSED']));
    }
  });
});

describe('tcp: every socket closed', () => {
  const descriptors = () => readdirSync('/proc/self/fd').length;
  it('after attempts that connected, were refused, timed out or were aborted', async () => {
    const c = checker({ type: 'tcp' });
    const silent = await fullBacklog();
    await c.check(at(httpPort), 1000, never); // the first attempt opens the shared epoll descriptor
    const before = descriptors();
    const ac = new AbortController();
    const aborted = Array.from({ length: 20 }, () => c.check(at(silent), 5000, ac.signal));
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, () => c.check(at(httpPort), 1000, never)),
      ...Array.from({ length: 20 }, () => c.check(at(refusedPort), 1000, never)),
      ...Array.from({ length: 20 }, () => c.check(at(silent), 100, never)),
      (async () => { await new Promise((r) => setTimeout(r, 20)); ac.abort(); return Promise.all(aborted); })(),
    ]);
    expect(outcomes.slice(40, 60)).toEqual(Array(20).fill({ ok: false, reason: 'timeout after 100 ms' }));
    expect(outcomes[60]).toEqual(Array(20).fill({ ok: false, reason: 'aborted' }));
    // At most as many: other tests' sockets may close meanwhile; 20 leaked of any kind would show.
    expect(descriptors()).toBeLessThanOrEqual(before);
  });
  it('an address the socket layer cannot parse is a failed attempt (EINVAL), reported after start() returns', async () => {
    let sync = true;
    const p = checker({ type: 'tcp' }).check({ address: 'not-an-address', port: 80, family: 'inet' }, 500, never);
    const seen = p.then((o) => ({ o, sync }));
    sync = false;
    expect(await seen).toEqual({ o: { ok: false, reason: 'connect EINVAL' }, sync: false });
  });
});

describe('http', () => {
  it('is up on a 2xx status', async () => {
    expect(await checker({ type: 'http', http: { path: '/ok' } }).check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
  });
  it('is down on a status outside the accepted ones, naming it', async () => {
    expect(await checker({ type: 'http', http: { path: '/fail' } }).check(at(httpPort), 1000, never)).toEqual({ ok: false, reason: 'status 503' });
    expect(await checker({ type: 'http', http: { path: '/redirect' } }).check(at(httpPort), 1000, never)).toEqual({ ok: false, reason: 'status 302' });
    expect((await checker({ type: 'http', http: { path: '/redirect', status: [200, '300-303'] } }).check(at(httpPort), 1000, never)).ok).toBe(true);
    expect((await checker({ type: 'http', http: { path: '/fail', status: [503] } }).check(at(httpPort), 1000, never)).ok).toBe(true);
  });
  it('matches the body against the regex', async () => {
    expect(await checker({ type: 'http', http: { path: '/ok', body: 'ok\\b' } }).check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
    expect(await checker({ type: 'http', http: { path: '/ok', body: 'healthy' } }).check(at(httpPort), 1000, never))
      .toEqual({ ok: false, reason: 'body does not match /healthy/' });
  });
  it('reads only the first 64 KiB of the body', async () => {
    expect((await checker({ type: 'http', http: { path: '/big', body: '^x+$' } }).check(at(httpPort), 1000, never)).ok).toBe(true);
    expect((await checker({ type: 'http', http: { path: '/big', body: 'MARK' } }).check(at(httpPort), 1000, never)).ok).toBe(false);
  });
  it('sends the Host header: the target by default, or the one given', async () => {
    const byDefault = checker({ type: 'http', http: { path: '/host', body: `^host=127\\.0\\.0\\.1:${httpPort}$` } });
    expect(await byDefault.check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
    const given = checker({ type: 'http', http: { path: '/host', host: 'www.example', body: '^host=www\\.example$' } });
    expect(await given.check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
  });
  it("ends its connection without a stack for undici's reset error, and leaves Error.stackTraceLimit as it was", async () => {
    const limit = Error.stackTraceLimit;
    const c = checker({ type: 'http', http: { path: '/ok' } });
    for (let i = 0; i < 3; i++) {
      expect(await c.check(at(httpPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
      expect(Error.stackTraceLimit).toBe(limit);
      expect(new Error('after').stack).toMatch(/health-checkers\.test/);
    }
    // A limit the process chose is kept too, a zero one left alone.
    try {
      for (const chosen of [3, 0]) {
        Error.stackTraceLimit = chosen;
        expect((await c.check(at(httpPort), 1000, never)).ok).toBe(true);
        expect(Error.stackTraceLimit).toBe(chosen);
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
  it('uses a fresh connection per attempt', async () => {
    const seen: number[] = [];
    const counting = createHttpServer((_q, r) => r.end('x'));
    counting.on('connection', (s: Socket) => seen.push(s.remotePort ?? 0));
    const port = await listen(counting);
    const c = checker({ type: 'http' });
    for (let i = 0; i < 3; i++) expect((await c.check(at(port), 1000, never)).ok).toBe(true);
    await new Promise((r) => counting.close(r));
    expect(new Set(seen).size).toBe(3);
  });
  it('is down on a closed port with the errno', async () => {
    expect(await checker({ type: 'http' }).check(at(refusedPort), 1000, never)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });
  it('times out on a server that never answers, and on a body that never ends', async () => {
    const t0 = Date.now();
    expect(await checker({ type: 'http' }).check(at(silentPort), 300, never)).toEqual({ ok: false, reason: 'timeout after 300 ms' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await checker({ type: 'http', http: { path: '/hang-body', body: 'x' } }).check(at(httpPort), 300, never))
      .toEqual({ ok: false, reason: 'timeout after 300 ms' });
  });
  it('settles at once on abort', async () => {
    const ac = new AbortController();
    const p = checker({ type: 'http' }).check(at(silentPort), 5000, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
    expect(Date.now() - t0).toBeLessThan(500);
  });
});

describe('a target the socket layer refuses', () => {
  it('is a failed attempt naming the error, not a throw or a rejection', async () => {
    const bad: CheckTarget = { address: '127.0.0.1', port: 70000, family: 'inet' };
    expect(await checker({ type: 'tcp' }).check(bad, 500, never)).toEqual({ ok: false, reason: 'connect ERR_SOCKET_BAD_PORT' });
    expect(await checker({ type: 'http' }).check(bad, 500, never)).toEqual({ ok: false, reason: 'checker failed: ERR_INVALID_URL' });
  });
});

describe('IPv6 targets', () => {
  it('tcp and http reach [::1], and http sends the bracketed Host', async () => {
    const v6 = createHttpServer((q, r) => r.end(`host=${q.headers.host}`));
    await new Promise<void>((r) => v6.listen(0, '::1', r));
    const port = (v6.address() as { port: number }).port;
    const target: CheckTarget = { address: '::1', port, family: 'inet6' };
    try {
      expect(await checker({ type: 'tcp' }).check(target, 1000, never)).toEqual({ ok: true, reason: 'connected' });
      const c = checker({ type: 'http', http: { body: `^host=\\[::1\\]:${port}$` } });
      expect(await c.check(target, 1000, never)).toEqual({ ok: true, reason: 'status 200' });
    } finally {
      v6.closeAllConnections();
      await new Promise((r) => v6.close(r));
    }
  });
});

describe('https', () => {
  it('is up without verification by default (as SSL_GET)', async () => {
    expect(await checker({ type: 'https', http: { path: '/ok' } }).check(at(httpsPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
  });
  it('with verify, refuses an unknown CA and accepts the given one', async () => {
    const untrusted = await checker({ type: 'https', http: { verify: true, path: '/ok' } }).check(at(httpsPort), 1000, never);
    expect(untrusted.ok).toBe(false);
    expect(untrusted.reason).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    const trusted = checker({ type: 'https', http: { verify: true, ca: CERT, path: '/ok' } });
    expect(await trusted.check(at(httpsPort), 1000, never)).toEqual({ ok: true, reason: 'status 200' });
  });
  it('sends the SNI name given, and verification checks it', async () => {
    const names: (string | false)[] = [];
    https.on('secureConnection', (s: { servername?: string | false }) => names.push(s.servername ?? false));
    const good = checker({ type: 'https', http: { verify: true, ca: CERT, sni: 'health.test', path: '/ok' } });
    expect((await good.check(at(httpsPort), 1000, never)).ok).toBe(true);
    const wrong = await checker({ type: 'https', http: { verify: true, ca: CERT, sni: 'other.test', path: '/ok' } }).check(at(httpsPort), 1000, never);
    expect(wrong.ok).toBe(false);
    expect(wrong.reason).toMatch(/ALTNAME|hostname/i);
    expect(names[0]).toBe('health.test');
    // Without sni, the Host header's name is the server name; an address never is.
    names.length = 0;
    expect((await checker({ type: 'https', http: { host: 'health.test', path: '/ok' } }).check(at(httpsPort), 1000, never)).ok).toBe(true);
    expect((await checker({ type: 'https', http: { path: '/ok' } }).check(at(httpsPort), 1000, never)).ok).toBe(true);
    expect(names).toEqual(['health.test', false]);
  });
  it('times out on a server that never completes the handshake', async () => {
    expect(await checker({ type: 'https' }).check(at(silentPort), 300, never)).toEqual({ ok: false, reason: 'timeout after 300 ms' });
  });
});

const questions: { name: string; type: number }[] = [];

/** A DNS server for the test: answers per name (NOERROR with an A record, NODATA, NXDOMAIN, SERVFAIL, or nothing). */
function dnsResponder(): UdpSocket {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    // Question: after the 12-byte header, labels until a zero byte, then type and class.
    let i = 12;
    const labels: string[] = [];
    while (msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString());
      i += msg[i] + 1;
    }
    const name = labels.join('.');
    const question = msg.subarray(12, i + 5);
    questions.push({ name, type: msg.readUInt16BE(i + 1) });
    if (name === 'silent.example') return;
    const rcode = name === 'missing.example' ? 3 : name === 'broken.example' ? 2 : 0;
    const answer = name === 'ok.example'
      ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]) : Buffer.alloc(0);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer.length ? 1 : 0, 6);
    sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
  });
  return sock;
}

describe('dns', () => {
  const responder = dnsResponder();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => responder.bind(0, '127.0.0.1', r));
    port = responder.address().port;
  });
  afterAll(() => responder.close());
  const dns = (name: string, type = 'A') => checker({ type: 'dns', dns: { type, name } });

  it('is up on NOERROR, with records or without', async () => {
    expect(await dns('ok.example').check(at(port), 1000, never)).toEqual({ ok: true, reason: 'A ok.example: 1 record(s)' });
    expect(await dns('empty.example').check(at(port), 1000, never)).toEqual({ ok: true, reason: 'A empty.example: no records' });
  });
  it("queries SOA for '.' by default", async () => {
    expect(await checker({ type: 'dns' }).check(at(port), 1000, never)).toEqual({ ok: true, reason: 'SOA .: no records' });
    expect(questions.at(-1)).toEqual({ name: '', type: 6 });
  });
  it('is down on an error rcode, naming it', async () => {
    expect(await dns('missing.example').check(at(port), 1000, never)).toEqual({ ok: false, reason: 'A missing.example: NXDOMAIN' });
    expect(await dns('broken.example').check(at(port), 1000, never)).toEqual({ ok: false, reason: 'A broken.example: SERVFAIL' });
  });
  it('times out when nothing answers', async () => {
    const t0 = Date.now();
    const out = await dns('silent.example').check(at(port), 300, never);
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/^(timeout after 300 ms|no answer to A silent\.example)$/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('settles at once on abort', async () => {
    const ac = new AbortController();
    const p = dns('silent.example').check(at(port), 5000, ac.signal);
    setTimeout(() => ac.abort(), 20);
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
  });
});

describe('exec', () => {
  const exec = (command: string[], dynamicWeight = false) => checker({ type: 'exec', exec: { command, dynamicWeight } });
  it('exit 0 is up, 1 down', async () => {
    expect(await exec(['sh', '-c', 'exit 0']).check(at(80), 1000, never)).toEqual({ ok: true, reason: 'exit 0' });
    expect(await exec(['sh', '-c', 'exit 1']).check(at(80), 1000, never)).toEqual({ ok: false, reason: 'exit 1' });
  });
  it('2-255 is down, or up at weight code-2 with dynamicWeight', async () => {
    expect(await exec(['sh', '-c', 'exit 3']).check(at(80), 1000, never)).toEqual({ ok: false, reason: 'exit 3' });
    expect(await exec(['sh', '-c', 'exit 3'], true).check(at(80), 1000, never)).toEqual({ ok: true, reason: 'exit 3 (weight 1)', weight: 1 });
    expect(await exec(['sh', '-c', 'exit 255'], true).check(at(80), 1000, never)).toEqual({ ok: true, reason: 'exit 255 (weight 253)', weight: 253 });
  });
  it('substitutes {address} and {port}, without a shell', async () => {
    const c = exec(['sh', '-c', 'test "$1" = 127.0.0.1 && test "$2" = 8080 && test "$3" = "a;b"', 'sh', '{address}', '{port}', 'a;b']);
    expect(await c.check(at(8080), 1000, never)).toEqual({ ok: true, reason: 'exit 0' });
  });
  it('drains a lot of output without blocking', async () => {
    expect(await exec(['sh', '-c', 'head -c 1000000 /dev/zero; exit 0']).check(at(80), 2000, never)).toEqual({ ok: true, reason: 'exit 0' });
  });
  it('names a program that cannot start', async () => {
    expect(await exec(['/nonexistent/health-check']).check(at(80), 1000, never)).toEqual({ ok: false, reason: 'spawn ENOENT' });
  });
  it('kills the whole process group at the timeout', async () => {
    const marker = `/tmp/health-exec-${process.pid}-${Date.now()}`;
    // The grandchild would create the marker after 1 s if it survived the kill.
    const out = await exec(['sh', '-c', `(sleep 1; touch ${marker}) & sleep 10`]).check(at(80), 200, never);
    expect(out).toEqual({ ok: false, reason: 'killed after 200 ms' });
    await new Promise((r) => setTimeout(r, 1300));
    expect(() => readFileSync(marker)).toThrow(/ENOENT/);
  });
  it('settles at once on abort', async () => {
    const ac = new AbortController();
    const p = exec(['sleep', '10']).check(at(80), 5000, ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect(await p).toEqual({ ok: false, reason: 'aborted' });
  });
});
