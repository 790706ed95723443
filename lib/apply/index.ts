/** Desired state applied to the kernel: only the difference, within an ownership scope, with graceful drains. */
export { applyTable } from './apply';
export type { ApplyClient } from './client';
export { checkRecord, emptyRecord } from './record';
export { DEFAULT_DRAIN_TIMEOUT_MS } from './options';
export type * from './types';
