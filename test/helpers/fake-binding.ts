/**
 * A stand-in for the addon's Client, for unit tests without a kernel: it
 * records every request and answers from a script. Everything else of the
 * binding (canonicalAddress, the codec) stays the real addon.
 */
import type { NativeClient, NativeRecord, NativeRequest, NativeTableEntry } from '../../lib/binding';

export const calls: { method: 'execute' | 'query' | 'getTable'; requests: NativeRequest[] }[] = [];
/** The withStats each getTable() call was given. */
export const tableStats: boolean[] = [];
/** The timeout each call was given, in call order (the deadline tests read it). */
export const timeouts: number[] = [];
export const answers: {
  query: NativeRecord[][];
  /** What getTable() answers. */
  table: NativeTableEntry[];
  execute: (reqs: NativeRequest[]) => Int32Array;
  /** Milliseconds the next calls take before answering, taken in order (none: at once). */
  delays: number[];
} = {
  query: [],
  table: [],
  execute: (reqs) => new Int32Array(reqs.length),
  delays: [],
};

/** Back to no calls recorded and the default answers: every test file's beforeEach. */
export function resetFake(): void {
  calls.length = 0;
  tableStats.length = 0;
  timeouts.length = 0;
  answers.query = [];
  answers.table = [];
  answers.execute = (reqs) => new Int32Array(reqs.length);
  answers.delays = [];
}

const pause = () => {
  const ms = answers.delays.shift();
  return ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
};

export class FakeClient implements NativeClient {
  closed = false;
  async open(): Promise<void> {}
  async execute(requests: NativeRequest[], timeoutMs: number): Promise<Int32Array> {
    calls.push({ method: 'execute', requests });
    timeouts.push(timeoutMs);
    await pause();
    return answers.execute(requests);
  }
  async query(request: NativeRequest, timeoutMs: number): Promise<NativeRecord[]> {
    calls.push({ method: 'query', requests: [request] });
    timeouts.push(timeoutMs);
    await pause();
    return answers.query.shift() ?? [];
  }
  async getTable(timeoutMs: number, withStats: boolean): Promise<NativeTableEntry[]> {
    calls.push({ method: 'getTable', requests: [] });
    tableStats.push(withStats);
    timeouts.push(timeoutMs);
    await pause();
    return answers.table;
  }
  /** getTable(timeoutMs, false) packed as the addon packs it (native/js_convert.cc PackTable); recorded as a getTable. */
  async getTablePacked(timeoutMs: number): Promise<{ words: Uint32Array; strings: string[] }> {
    return packTable(await this.getTable(timeoutMs, false));
  }
  close(): void {
    this.closed = true;
  }
  family(): number {
    return 28;
  }
}

/** The addon's PackTable in TypeScript, for the fake and the packed listing's tests. */
export function packTable(table: readonly NativeTableEntry[]): { words: Uint32Array; strings: string[] } {
  const words: number[] = [];
  const strings: string[] = [];
  const index = new Map<string, number>();
  const text = (s: string) => {
    if (!index.has(s)) index.set(s, strings.push(s) - 1);
    return index.get(s)!;
  };
  for (const { service: s, destinations } of table) {
    const fwmark = s.fwmark !== 0 && s.fwmark !== undefined;
    words.push(s.family, s.protocol, s.fwmark ?? 0, fwmark ? 0xffffffff : text(s.address!), fwmark ? 0 : s.port!,
      text(s.scheduler), text(s.persistenceEngine ?? ''), s.flags, s.timeout, s.netmask, destinations.length);
    for (const d of destinations) {
      const tunnel = d.tunnelType !== undefined;
      words.push(d.family, text(d.address), d.port, d.forwarding, d.weight, d.upperThreshold, d.lowerThreshold,
        d.activeConns, d.inactiveConns, d.persistentConns, tunnel ? 1 : 0, d.tunnelType ?? 0, d.tunnelPort ?? 0, d.tunnelFlags ?? 0);
    }
  }
  return { words: Uint32Array.from(words), strings };
}
