/**
 * One reading of the kernel per scrape: the table (getTable, with stats) and the global counters,
 * with every series' labels worked out once. Every kernel metric's collect callback awaits the same
 * reading: prom-client calls all collect callbacks of a registry in one go, so one reading in
 * flight serves them all, and the next scrape starts a new one.
 */
import type { Ipvs } from '../ipvs';
import type { DestinationInfo, ServiceEntry } from '../types';
import { readGlobalStats, type GlobalStats } from './global-stats';
import { destinationLabel, nodeBackendLabels, serviceLabel, type NodeBackendLabels } from './labels';

export interface ServiceRow {
  labels: { service: string };
  entry: ServiceEntry;
  destinations: DestinationRow[];
}

export interface DestinationRow {
  labels: { service: string; destination: string };
  node: NodeBackendLabels;
  info: DestinationInfo;
}

export interface Reading {
  services: ServiceRow[];
  global: GlobalStats;
}

export function rowsOf(table: readonly ServiceEntry[]): ServiceRow[] {
  return table.map((entry) => {
    const service = serviceLabel(entry.key);
    return {
      labels: { service },
      entry,
      destinations: entry.destinations.map((info) => ({
        labels: { service, destination: destinationLabel(info.key) },
        node: nodeBackendLabels(entry.key, info.key),
        info,
      })),
    };
  });
}

export class KernelReader {
  readonly #ipvs: Ipvs;
  readonly #timeoutMs: number;
  #inFlight: Promise<Reading> | null = null;

  constructor(ipvs: Ipvs, timeoutMs: number) {
    this.#ipvs = ipvs;
    this.#timeoutMs = timeoutMs;
  }

  /** The reading in flight, or a new one. Both reads run at once, each under the scrape's deadline. */
  read(): Promise<Reading> {
    if (this.#inFlight) return this.#inFlight;
    const reading = Promise.all([
      this.#ipvs.getTable({ timeout: this.#timeoutMs }),
      readGlobalStats(this.#ipvs.netns, this.#timeoutMs),
    ]).then(([table, global]) => ({ services: rowsOf(table), global }));
    this.#inFlight = reading;
    const done = () => {
      if (this.#inFlight === reading) this.#inFlight = null;
    };
    reading.then(done, done);
    return reading;
  }
}
