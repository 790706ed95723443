/**
 * A kernel as a Table for apply (the ApplyClient interface), and an Ipvs stand-in whose apply()
 * runs the real applyTable against it: apply's and the director's unit tests see what apply
 * really sends.
 */
import { constants as os } from 'node:os';
import { applyTable, type ApplyClient, type ApplyOptions, type ApplyResult } from '../../lib/apply';
import { IpvsError } from '../../lib/errors';
import { Table, type DesiredTable } from '../../lib/index';
import type { BatchOperation, BatchResult, ServiceEntry, ServiceKey } from '../../lib/types';

const CODES: Record<string, number> = { EEXIST: os.errno.EEXIST, ESRCH: os.errno.ESRCH, ENOENT: os.errno.ENOENT };

/** Connections by destination address; `hide` leaves services (by address) out of listings: a torn dump. */
export class FakeKernel implements ApplyClient {
  table: Table;
  connections = new Map<string, { active: number; inactive: number }>();
  hide = new Set<string>();
  writes: BatchOperation[][] = [];
  constructor(rules = '') {
    this.table = Table.fromRules(rules);
  }
  private entries(): ServiceEntry[] {
    return this.table.services().map((s) => ({
      key: s.key, config: s.config,
      destinations: s.destinations.map((x) => ({ key: x.key, config: x.config, connections: this.connections.get(x.key.address) ?? { active: 0, inactive: 0 } })),
    })) as unknown as ServiceEntry[];
  }
  async getTable() {
    return this.entries().filter((s) => !this.hide.has((s.key as { address: string }).address));
  }
  async batch(ops: readonly BatchOperation[]): Promise<BatchResult[]> {
    this.writes.push([...ops]);
    const { table, outcomes } = this.table.applyAll(ops);
    this.table = table;
    return outcomes.map((o, i) => o.ok ? { ok: true, operation: ops[i] }
      : { ok: false, operation: ops[i], applied: 'no', error: new IpvsError(CODES[o.code], { operation: 'batch', object: 'x' }) });
  }
  async getService(key: ServiceKey) {
    const s = this.entries().find((e) => JSON.stringify(e.key) === JSON.stringify(key));
    if (!s) throw new IpvsError(os.errno.ESRCH, { operation: 'getService', object: 'x' });
    return s;
  }
  async listDestinations(key: ServiceKey) {
    return (await this.getService(key)).destinations;
  }
  /** The table as ipvsadm -Sn would print it. */
  rules(): string {
    return this.table.toRules();
  }
}

/** What the Director uses of an Ipvs client: apply. Calls are recorded; `gate` holds the next apply until released. */
export class FakeIpvs {
  readonly calls: { desired: DesiredTable | Table; options: ApplyOptions }[] = [];
  gate: Promise<void> | null = null;
  constructor(readonly kernel = new FakeKernel()) {}
  /** Holds the applies from now at the gate; the function returned lets them go (and holds no more). */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    return () => {
      this.gate = null;
      release();
    };
  }
  async apply(desired: DesiredTable | Table, options: ApplyOptions = {}): Promise<ApplyResult> {
    this.calls.push({ desired, options });
    if (this.gate) await this.gate;
    return applyTable(this.kernel, desired, options, 10_000);
  }
}
