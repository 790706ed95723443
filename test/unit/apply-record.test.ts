/** The ownership record: checked field by field when read back, written atomically, and apply's options checked before anything is read. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyTable, checkRecord, type ApplyClient } from '../../lib/apply';
import { fileStore } from '../../lib/apply/record-file';
import { IpvsValidationError } from '../../lib/errors';

const S = { protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const D = { address: '198.51.100.1', port: 80 };
const dir = () => mkdtempSync(join(tmpdir(), 'record-'));

describe('checkRecord', () => {
  const bad: [unknown, string][] = [
    [null, 'record'],
    [{ version: 2, services: [], drains: [] }, 'record.version'],
    [{ version: 1, services: {}, drains: [] }, 'record.services'],
    [{ version: 1, services: [{ protocol: 'tcp', address: 'x', port: 80 }], drains: [] }, 'record.services[0].address'],
    [{ version: 1, services: [], drains: [{ service: S, destination: D, since: 1.5 }] }, 'record.drains[0].since'],
    [{ version: 1, services: [], drains: [{ service: S, destination: D }] }, 'record.drains[0].since'],
    [{ version: 1, services: [], drains: [{ service: S, destination: D, since: 1, extra: 1 }] }, 'record.drains[0].extra'],
    [JSON.parse('{"version":1,"services":[],"drains":[],"__proto__":{}}'), 'record.__proto__'],
    [{ version: 1, services: [], drains: [], constructor: 1 }, 'record.constructor'],
  ];
  for (const [value, field] of bad) {
    it(`refuses ${JSON.stringify(value)} naming ${field}`, () => {
      let err: unknown;
      try {
        checkRecord(value);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IpvsValidationError);
      expect((err as IpvsValidationError).field.startsWith(field)).toBe(true);
    });
  }
  it('keeps a good record, keys made canonical', () => {
    const r = checkRecord({ version: 1, services: [{ protocol: 'tcp', address: '2001:DB8::0:1', port: 80 }], drains: [{ service: S, destination: D, since: 5 }] });
    expect(r).toEqual({ version: 1, services: [{ protocol: 'tcp', address: '2001:db8::1', port: 80 }], drains: [{ service: S, destination: D, since: 5 }] });
  });
});

describe('the record file', () => {
  it('is missing: an empty record; written: read back the same, mode 0600, no temporary file left', async () => {
    const d = dir();
    const store = fileStore(join(d, 'state.json'));
    expect(await store.load()).toEqual({ version: 1, services: [], drains: [] });
    const record = { version: 1 as const, services: [S], drains: [{ service: S, destination: D, since: 7 }] };
    await store.save(record);
    await store.save(record);
    expect(await store.load()).toEqual(record);
    expect(readdirSync(d)).toEqual(['state.json']);
    expect(statSync(join(d, 'state.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not JSON, a directory, and a save into a missing directory (nothing left behind)', async () => {
    const d = dir();
    writeFileSync(join(d, 'bad.json'), '{"version":1,');
    await expect(fileStore(join(d, 'bad.json')).load()).rejects.toMatchObject({ field: `ownership record ${join(d, 'bad.json')}` });
    mkdirSync(join(d, 'sub'));
    await expect(fileStore(join(d, 'sub')).load()).rejects.toBeInstanceOf(IpvsValidationError);
    await expect(fileStore(join(d, 'none', 'x.json')).save({ version: 1, services: [], drains: [] })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readFileSync(join(d, 'bad.json'), 'utf8')).toBe('{"version":1,');
  });
});

describe('apply options', () => {
  const client = { getTable: async () => { throw new Error('read'); } } as unknown as ApplyClient;
  const cases: [unknown, string][] = [
    [{ dryrun: true }, 'options.dryrun'],
    [{ drainTimeout: -1 }, 'options.drainTimeout'],
    [{ wait: 'yes' }, 'options.wait'],
    [{ ownership: { file: '' } }, 'options.ownership.file'],
    [{ ownership: { load: () => 1 } }, 'options.ownership'],
    [{ prune: true }, 'options.ownership'],
    [JSON.parse('{"__proto__":{"prune":true}}'), 'options.__proto__'],
  ];
  for (const [options, field] of cases) {
    it(`refuses ${JSON.stringify(options)} naming ${field}, before reading the kernel`, async () => {
      await expect(applyTable(client, { services: [] }, options, 1000)).rejects.toMatchObject({ name: 'IpvsValidationError', field });
    });
  }
  it('refuses a desired table that is neither a Table nor a DesiredTable', async () => {
    await expect(applyTable(client, { services: [{ service: { protocol: 'tcp' } }] }, {}, 1000)).rejects.toBeInstanceOf(IpvsValidationError);
  });
});

describe("a client's own memory record", () => {
  it('is kept frozen and loaded as it was saved (not checked again); any other store is checked', async () => {
    const { loadRecord, storeOf } = await import('../../lib/apply/ownership');
    const store = storeOf(undefined, {});
    const drain = { service: { protocol: 'tcp', address: '192.0.2.1', port: 80 }, destination: { address: '198.51.100.1', port: 80 }, since: 5 };
    const record = { version: 1 as const, services: [{ protocol: 'tcp' as const, address: '192.0.2.1', port: 80 }], drains: [drain] };
    await store.save(record as never);
    const loaded = await loadRecord(store);
    expect(loaded).toBe(record);
    // status() hands these to callers: none of it can be changed under the next apply.
    expect(Object.isFrozen(loaded.services)).toBe(true);
    expect(Object.isFrozen(loaded.services[0])).toBe(true);
    expect(Object.isFrozen(loaded.drains[0].destination)).toBe(true);
    const bad = { load: async () => ({ version: 1, services: [{ protocol: 'tcp', address: 'nope', port: 80 }], drains: [] }), save: async () => {} };
    await expect(loadRecord(storeOf(bad, {}))).rejects.toThrow(IpvsValidationError);
  });
});

describe('the record across applies', () => {
  it('is saved once for a table: the next apply of it keeps the very record; a newly declared service makes a new one owning both', async () => {
    const { FakeKernel } = await import('../helpers/fake-kernel');
    const { Table } = await import('../../lib/table');
    const saved: unknown[] = [];
    let record: unknown = { version: 1, services: [], drains: [] };
    const store = { load: async () => record, save: async (r: unknown) => void saved.push(record = r) };
    const k = new FakeKernel();
    const one = Table.fromObjects({ services: [{ service: S }] });
    await applyTable(k, one, { ownership: store }, 10_000);
    expect(saved).toHaveLength(1);
    const first = record;
    await applyTable(k, one, { ownership: store }, 10_000);
    await applyTable(k, Table.fromObjects({ services: [{ service: S }] }), { ownership: store }, 10_000);
    expect(saved).toHaveLength(1);
    expect(record).toBe(first);
    const T = { protocol: 'udp', address: '192.0.2.2', port: 53 } as const;
    await applyTable(k, { services: [{ service: T }] }, { ownership: store }, 10_000);
    expect(saved).toHaveLength(2);
    expect((record as { services: unknown[] }).services).toEqual([S, T]);
  });
});
