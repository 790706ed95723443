/** The addon's readProcNet edge: misuse throws TypeError, failures reject with the errno; nothing crashes. */
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/binding';

type Loose = (...args: unknown[]) => Promise<Buffer[]>;
const readProcNet = native().readProcNet as unknown as Loose;

describe('native readProcNet', () => {
  it('refuses bad arguments with TypeError before any work', () => {
    for (const args of [
      [undefined, ['ip_vs_conn'], 1000], [42, ['ip_vs_conn'], 1000], ['', ['ip_vs_conn'], 1000], ['/run/netns/a\0b', ['ip_vs_conn'], 1000],
      [null, 'ip_vs_conn', 1000], [null, [], 1000], [null, ['ip_vs_conn', 'ip_vs_conn', 'ip_vs_conn'], 1000],
      [null, ['../../etc/passwd'], 1000], [null, ['ip_vs_stats_percpu'], 1000], [null, [{ toString: () => 'ip_vs_conn' }], 1000],
      [null, ['ip_vs_conn'], 0], [null, ['ip_vs_conn'], -1], [null, ['ip_vs_conn'], NaN], [null, ['ip_vs_conn'], 2 ** 31],
      [null, ['ip_vs_conn'], '1000'],
    ]) expect(() => readProcNet(...args), JSON.stringify(args)).toThrow(TypeError);
  });

  it('rejects with the errno: no such namespace, not a namespace', async () => {
    await expect(readProcNet('/nonexistent/netns', ['ip_vs_conn'], 1000)).rejects.toMatchObject({ errno: 2 });
    await expect(readProcNet('/etc/hostname', ['ip_vs_conn'], 1000)).rejects.toMatchObject({ errno: 22, stage: '/etc/hostname is not a network namespace' });
  });

  it("reads this namespace's file, or says ENOENT where IPVS is not loaded", async () => {
    const got = await readProcNet(null, ['ip_vs_conn'], 1000).then((b) => b[0].toString(), (e: { errno: number; stage: string }) => e);
    if (typeof got === 'string') expect(got).toMatch(/^Pro FromIP/);
    else expect(got).toMatchObject({ errno: 2, stage: 'opening /proc/net/ip_vs_conn' });
  });
});
