/** A health monitor for the director's unit tests: servers are set up or down by hand, transitions emitted as the real one does. */
import { EventEmitter } from 'node:events';
import type { HealthEvents, HealthTable, HealthyTable, ServerHealth } from '../../lib/health/types';
import type { DesiredTable } from '../../lib/table/types';

const key = (s: object, d: { address: string; port: number }) => `${JSON.stringify(s)}>${d.address}:${d.port}`;

export class FakeMonitor extends EventEmitter<HealthEvents> {
  table: HealthTable = { services: [] };
  readonly down = new Set<string>();
  updates: HealthTable[] = [];
  started = 0;
  stopped = 0;
  /** Refuse the next update (as the real monitor does for a bad table). */
  refuse: Error | null = null;

  update(table: HealthTable): void {
    if (this.refuse) throw this.refuse;
    this.updates.push(table);
    this.table = table;
  }
  start(): void {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  states(): ServerHealth[] {
    return this.table.services.flatMap((s) => s.destinations.map((d) => ({
      service: s.service, destination: d.destination, state: this.down.has(key(s.service, d.destination)) ? 'down' as const : 'up' as const,
      weight: d.weight, reason: '', checkedAt: null, since: 0,
    })));
  }
  quorums() {
    return [];
  }
  healthy(desired: DesiredTable): HealthyTable {
    const removed: HealthyTable['removed'] = [];
    const services = desired.services.map((s) => ({
      ...s,
      destinations: (s.destinations ?? []).filter((d) => {
        const dead = this.down.has(key(s.service, d.destination));
        if (dead) removed.push({ service: s.service, destination: d.destination });
        return !dead;
      }),
    }));
    return { table: { services }, removed };
  }
  /** Sets a server's state and emits the transition, as a check deciding it would. */
  set(service: object, destination: { address: string; port: number }, to: 'up' | 'down', reason = to === 'down' ? 'connect ECONNREFUSED' : '200 OK'): void {
    const k = key(service, destination);
    const from = this.down.has(k) ? 'down' : 'up';
    if (to === 'down') this.down.add(k);
    else this.down.delete(k);
    this.emit('transition', { service: service as never, destination, from, to, reason, at: Date.now(), since: Date.now() - 1000 });
  }
}
