/** The CLI's restore report: failures alike are said once, with their count (issue 8, item 19). */
import { constants as os } from 'node:os';
import { describe, expect, it } from 'vitest';
import { failureReport } from '../../lib/cli/restore-report';
import { IpvsError } from '../../lib';
import type { RestoreLineResult } from '../../lib';

const SVC = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;

function dest(line: number, status: RestoreLineResult['status'], errno?: number): RestoreLineResult {
  const address = `198.51.${100 + (line >> 8) % 100}.${line & 0xff}`;
  return {
    line, text: `-a -t 192.0.2.1:80 -r ${address}:80 -m`, status,
    operation: { op: 'addDestination', service: SVC, destination: { address, port: 80 }, options: { forwarding: 'masq' } },
    ...(errno ? { error: new IpvsError(errno, { operation: 'addDestination', object: `destination ${address}:80 of service tcp 192.0.2.1:80` }) } : {}),
  };
}

describe('failureReport', () => {
  it('40,000 lines refused alike: the reason once, with the count and the first lines', () => {
    const lines = [dest(1, 'applied'), ...Array.from({ length: 40_000 }, (_, i) => dest(i + 2, 'failed', os.errno.EINVAL))];
    const out = failureReport(lines).trimEnd().split('\n');
    expect(out.length).toBeLessThanOrEqual(6);
    expect(out[0]).toMatch(/^40000 lines failed with EINVAL \(addDestination\); the first, line 2: .*`lo` up/);
    expect(out.slice(1, 4)).toEqual([2, 3, 4].map((n) => `  line ${n}: ${dest(n, 'failed').text}`));
    expect(out[4]).toBe('  ... and 39997 more (--json lists every line)');
  });

  it('a few different failures are each listed with their line; kinds are kept apart', () => {
    const lines = [
      dest(1, 'failed', os.errno.EEXIST), dest(2, 'applied'), dest(3, 'failed', os.errno.EINVAL),
      ...Array.from({ length: 10 }, (_, i) => dest(4 + i, 'skipped')),
    ];
    const out = failureReport(lines).trimEnd().split('\n');
    expect(out[0]).toMatch(/^line 1: -a .*already exists$/);
    expect(out[1]).toMatch(/^line 3: -a .*EINVAL/);
    expect(out[2]).toBe('10 lines were skipped (an earlier line failed), from line 4');
    expect(out).toHaveLength(7);
  });

  it('nothing to report when every line was applied', () => {
    expect(failureReport([dest(1, 'applied'), dest(2, 'applied')])).toBe('');
  });
});
