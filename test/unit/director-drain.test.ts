/** apply's and diff's drain predicate: per destination, drain (weight 0, deleted once idle) or delete at once. */
import { describe, expect, it } from 'vitest';
import { applyTable } from '../../lib/apply';
import { IpvsValidationError } from '../../lib/errors';
import { Table, diff, type DesiredTable } from '../../lib/index';
import type { DestinationKey, ServiceKey } from '../../lib/types';
import { FakeKernel } from '../helpers/fake-kernel';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const current = Table.fromRules([
  '-A -t 192.0.2.1:80 -s rr',
  '-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1',
  '-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1',
  '-a -t 192.0.2.1:80 -r 198.51.100.3:80 -m -w 1',
].join('\n'));
const only3: DesiredTable = {
  services: [{ service: S, options: { scheduler: 'rr' }, destinations: [{ destination: { address: '198.51.100.3', port: 80 }, options: { forwarding: 'masq', weight: 1 } }] }],
};
const dead = (_s: ServiceKey, d: DestinationKey) => d.address !== '198.51.100.1';

describe('diff with a drain predicate', () => {
  it('asks per leaving destination: true drains, false removes at once', () => {
    const asked: string[] = [];
    const plan = diff(current, Table.fromObjects(only3), {
      drain: (s, d) => {
        asked.push(`${(s as { protocol: string }).protocol} ${d.address}:${d.port}`);
        return dead(s, d);
      },
    });
    expect(asked.sort()).toEqual(['tcp 198.51.100.1:80', 'tcp 198.51.100.2:80']);
    expect(plan.steps.map((s) => `${s.action} ${s.destination?.address}`)).toEqual([
      'remove-destination 198.51.100.1', 'drain-destination 198.51.100.2',
    ]);
  });

  it('gives the predicate copies: changing them changes nothing', () => {
    const plan = diff(current, Table.fromObjects(only3), {
      drain: (s, d) => {
        (d as { address: string }).address = '203.0.113.1';
        (s as { port: number }).port = 1;
        return false;
      },
    });
    expect(plan.steps.map((s) => s.destination?.address)).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(plan.steps[0].service).toEqual(S);
  });

  it('refuses a predicate answering anything but a boolean, naming options.drain', () => {
    let err: unknown;
    try {
      diff(current, Table.fromObjects(only3), { drain: (() => 'yes') as never });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpvsValidationError);
    expect((err as IpvsValidationError).field).toBe('options.drain(…)');
  });

  it('still refuses a drain option that is neither boolean nor function', () => {
    expect(() => diff(current, Table.fromObjects(only3), { drain: 1 as never })).toThrow(IpvsValidationError);
  });
});

describe('apply with a drain predicate', () => {
  it('deletes the server the predicate rejects at once and drains the other while it has connections', async () => {
    const k = new FakeKernel(current.toRules());
    k.connections.set('198.51.100.1', { active: 4, inactive: 0 });
    k.connections.set('198.51.100.2', { active: 2, inactive: 1 });
    const r = await applyTable(k, only3, { drain: dead }, 10_000);
    expect(r.draining.map((d) => d.destination.address)).toEqual(['198.51.100.2']);
    expect(k.rules()).not.toContain('198.51.100.1');
    expect(k.rules()).toContain('-r 198.51.100.2:80 -m -w 0');
  });

  it('is asked again on every pass: a draining server it now rejects is deleted', async () => {
    const k = new FakeKernel(current.toRules());
    k.connections.set('198.51.100.2', { active: 2, inactive: 0 });
    await applyTable(k, only3, { drain: true }, 10_000);
    expect(k.rules()).toContain('-r 198.51.100.2:80 -m -w 0');
    await applyTable(k, only3, { drain: () => false }, 10_000);
    expect(k.rules()).not.toContain('198.51.100.2');
  });

  it('refuses a non-boolean, non-function drain before reading the kernel', async () => {
    const k = new FakeKernel(current.toRules());
    await expect(applyTable(k, only3, { drain: 'no' }, 10_000)).rejects.toMatchObject({ field: 'options.drain' });
    expect(k.writes).toEqual([]);
  });
});
