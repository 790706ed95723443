/**
 * A stand-in for the addon's Client, for unit tests without a kernel: it
 * records every request and answers from a script. Everything else of the
 * binding (canonicalAddress, the codec) stays the real addon.
 */
import type { NativeClient, NativeRecord, NativeRequest } from '../../lib/binding';

export const calls: { method: 'execute' | 'query'; requests: NativeRequest[] }[] = [];
export const answers: { query: NativeRecord[][]; execute: (reqs: NativeRequest[]) => Int32Array } = {
  query: [],
  execute: (reqs) => new Int32Array(reqs.length),
};

export class FakeClient implements NativeClient {
  closed = false;
  async open(): Promise<void> {}
  async execute(requests: NativeRequest[]): Promise<Int32Array> {
    calls.push({ method: 'execute', requests });
    return answers.execute(requests);
  }
  async query(request: NativeRequest): Promise<NativeRecord[]> {
    calls.push({ method: 'query', requests: [request] });
    return answers.query.shift() ?? [];
  }
  async queryEach(requests: NativeRequest[]): Promise<NativeRecord[][]> {
    calls.push({ method: 'query', requests });
    return requests.map(() => answers.query.shift() ?? []);
  }
  close(): void {
    this.closed = true;
  }
  family(): number {
    return 28;
  }
}
