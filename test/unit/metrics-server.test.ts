/** serve(): GET /metrics over HTTP; 404 elsewhere, 405 for other methods, 500 with one line when the scrape fails or is late. */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ipvs, IpvsValidationError, createMetrics } from '../../lib';
import { answers, resetFake } from '../helpers/fake-binding';
import { parseSamples, valueOf } from '../helpers/prom-text';

const procNet = vi.hoisted(() => ({ fail: false }));

vi.mock('../../lib/binding', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/binding')>();
  const { FakeClient: Fake } = await import('../helpers/fake-binding');
  const file = '   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n' +
    '       A        0        0                0                0\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n' +
    '       0        0        0                0                0\n';
  const readProcNet = async () => {
    if (procNet.fail) throw Object.assign(new Error('x'), { errno: 13, stage: 'opening /proc/net/ip_vs_stats' });
    return [Buffer.from(file)];
  };
  return { ...real, native: () => ({ ...real.native(), Client: Fake, readProcNet }) };
});

let ipvs: Ipvs;
const closers: (() => Promise<void>)[] = [];
beforeAll(async () => {
  ipvs = await Ipvs.open();
});
beforeEach(() => {
  resetFake();
  procNet.fail = false;
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function served(timeout?: number) {
  const m = createMetrics(timeout === undefined ? { ipvs } : { ipvs, timeout });
  const srv = await m.serve({ host: '127.0.0.1', port: 0 });
  closers.push(() => srv.close());
  return { m, srv, url: (path: string) => `http://127.0.0.1:${srv.address.port}${path}` };
}

describe('serve', () => {
  it('answers GET /metrics with the scrape and the registry\'s content type', async () => {
    const { m, srv, url } = await served();
    expect(srv.address.host).toBe('127.0.0.1');
    expect(srv.address.port).toBeGreaterThan(0);
    const res = await fetch(url('/metrics?x=1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(m.registry.contentType);
    expect(valueOf(parseSamples(await res.text()), 'node_ipvs_connections_total')).toBe(10);
    const head = await fetch(url('/metrics'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('404 for another path, 405 for another method', async () => {
    const { url } = await served();
    for (const path of ['/', '/metric', '/metrics/', '/favicon.ico']) expect((await fetch(url(path))).status, path).toBe(404);
    const post = await fetch(url('/metrics'), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('500 with one line saying why when the kernel read fails, and 200 again after', async () => {
    const { url } = await served();
    procNet.fail = true;
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toMatch(/^scrape failed: .*EACCES.*\n$/);
    expect(body.split('\n')).toHaveLength(2);
    procNet.fail = false;
    expect((await fetch(url('/metrics'))).status).toBe(200);
  });

  it('500 when the scrape outlives its deadline', async () => {
    const { url } = await served(50);
    answers.delays.push(2000);
    const started = Date.now();
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/^scrape failed: no answer within 50 ms\n$/);
    expect(Date.now() - started).toBeLessThan(1500);
    // The late read still holds the client's queue: let it finish before the next test uses the client.
    await vi.waitFor(() => expect(ipvs.pending).toBe(0), { timeout: 3000 });
  });

  it('rejects a bad listen address before binding, and EADDRINUSE for a taken port; close() frees the port', async () => {
    const m = createMetrics({ ipvs });
    for (const [listen, field] of [[{ host: '127.0.0.1' }, 'listen.port'], [{ host: '', port: 1 }, 'listen.host'], [{ host: '127.0.0.1', port: 65536 }, 'listen.port'],
      [{ host: '127.0.0.1', port: 1, tls: true }, 'listen.tls']] as const) {
      await expect(m.serve(listen as never)).rejects.toSatisfy((e: unknown) => e instanceof IpvsValidationError && e.field === field);
    }
    const { srv } = await served();
    await expect(m.serve({ host: '127.0.0.1', port: srv.address.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await srv.close();
    closers.pop();
    const again = await m.serve({ host: '127.0.0.1', port: srv.address.port });
    await again.close();
  });

  it('close() ends kept-alive connections, so it does not wait for the client', async () => {
    const { srv, url } = await served();
    const res = await fetch(url('/metrics'), { keepalive: true });
    expect(res.status).toBe(200);
    await res.text();
    const started = Date.now();
    await srv.close();
    closers.pop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
