/** What apply needs of a client: the Ipvs methods it calls (a test may give a fake). */
import type { PackedListing } from '../table/packed';
import type { BatchOperation, BatchResult, DestinationInfo, ServiceEntry, ServiceInfo, ServiceKey } from '../types';

export interface ApplyClient {
  getTable(options?: { timeout?: number; stats?: boolean }): Promise<ServiceEntry[]>;
  /** The listing packed (Ipvs has it; a fake may leave it out, and getTable is read instead). */
  packedTable?(options?: { timeout?: number }): Promise<PackedListing>;
  batch(operations: readonly BatchOperation[], options?: { timeout?: number }): Promise<BatchResult[]>;
  getService(service: ServiceKey, options?: { timeout?: number }): Promise<ServiceInfo>;
  listDestinations(service: ServiceKey, options?: { timeout?: number }): Promise<DestinationInfo[]>;
}
