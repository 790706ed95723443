/**
 * Every config file of docs/examples/ (the guides show them with `node-ipvs apply FILE`) is a table
 * the kernel takes: applied into a fresh namespace, ipvsadm -Sn lists exactly the file's table, and
 * applying it again sends nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig, Table } from '../../lib';
import { TestNamespace, requireIpvs } from '../helpers/kernel';

const DIR = join(__dirname, '..', '..', 'docs', 'examples');
let ns: TestNamespace | undefined;

afterEach(() => {
  ns?.delete();
  ns = undefined;
});

describe('docs/examples applied', () => {
  it.each(readdirSync(DIR).sort())('%s', async (name) => {
    await requireIpvs();
    const { table } = await readConfig(join(DIR, name));
    ns = new TestNamespace('docx');
    const ipvs = await ns.open();
    try {
      const first = await ipvs.apply(table);
      expect(first.results.filter((r) => r.outcome !== 'applied')).toEqual([]);
      // ipvsadm -S leaves the thresholds out: compared without them.
      const want = Table.fromObjects(table).toRules({ thresholds: false }).split('\n').filter(Boolean).sort();
      expect(ns.saved()).toEqual(want);
      const again = await ipvs.apply(table);
      expect(again).toMatchObject({ plan: { steps: [] }, results: [], changed: false });
    } finally {
      ipvs.close();
    }
  });
});
