/**
 * Memory safety of the native layer against the real kernel: the socket core
 * under valgrind (batches, dumps, a deadline, a cancel: no error, no leak), and
 * the whole addon through the N-API edge: no growth over many rounds. The
 * rtnetlink calls of the host helpers (addresses, links, routes) too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, requireIpvs } from '../helpers/kernel';
import { buildCoreCheck, runChild as run } from '../helpers/native-check';

let ns: TestNamespace;
beforeAll(async () => {
  await requireIpvs();
  ns = new TestNamespace('mem');
});
afterAll(() => ns?.delete());

describe('native memory', () => {
  it('the socket core and the rtnetlink calls have no memory error and no leak under valgrind', async () => {
    const bin = await buildCoreCheck('core_check_plain', []);
    ns.exec('ip', 'link', 'add', 'chk0', 'type', 'dummy');
    const r = await run('ip', ['netns', 'exec', ns.name, 'valgrind', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect',
      '--error-exitcode=99', bin, 'kernel', 'chk0']);
    expect(r.stderr).not.toMatch(/CHECK failed/);
    expect(r.stdout.trim()).toBe('kernel: 0 failures');
    expect(r.stderr).toMatch(/ERROR SUMMARY: 0 errors/);
    expect(r.stderr).toMatch(/All heap blocks were freed|definitely lost: 0 bytes/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('the addon does not grow over 45 rounds of batch, dumps, the whole table (as objects and packed) and errors', async () => {
    const script = `
      const { Ipvs } = require(${JSON.stringify(require.resolve('../../dist'))});
      (async () => {
        const ipvs = await Ipvs.open({ netns: ${JSON.stringify(ns.name)} });
        const round = async () => {
          const ops = [];
          for (let i = 1; i <= 200; i++) {
            const service = { protocol: 'tcp', address: '192.0.2.60', port: i };
            ops.push({ op: 'addService', service, options: { scheduler: 'rr' } });
            ops.push({ op: 'addDestination', service, destination: { address: '198.51.100.1', port: 80 }, options: { forwarding: 'masq' } });
          }
          await ipvs.batch(ops);
          await ipvs.batch(ops.slice(0, 50));            // all EEXIST
          await ipvs.listServices();
          await ipvs.getTable();                         // TableToJs: shared names and address strings
          await ipvs.packedTable();                      // PackTable on the worker, one Uint32Array and the texts
          await ipvs.listDestinations({ protocol: 'tcp', address: '192.0.2.60', port: 1 });
          await ipvs.getService({ protocol: 'tcp', address: '192.0.2.60', port: 999 }).catch(() => {});
          await ipvs.flush();
        };
        // Native memory is what the process holds beyond V8's heap, which keeps
        // growing its page pool for a while before it settles (measured: ~30 rounds).
        const native = () => { global.gc(); const m = process.memoryUsage(); return m.rss - m.heapTotal; };
        for (let i = 0; i < 30; i++) await round();
        const before = native();
        for (let i = 0; i < 45; i++) await round();
        const after = native();
        ipvs.close();
        console.log(JSON.stringify({ before, after }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = await run(process.execPath, ['--expose-gc', '-e', script]);
    expect(r.stderr).toBe('');
    const { before, after } = JSON.parse(r.stdout);
    // 45 rounds send 20,250 requests: one leaked netlink message (a 4 KiB page
    // each) per request would add 80 MiB. 8 MiB allows for allocator noise (~3 MiB seen).
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
  }, 300_000);
});
