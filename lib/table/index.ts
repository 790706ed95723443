/** The table model: tables as data, the fold of operations, diffs into plans. */
export { Table, type TableEntry } from './table';
export type { FoldOutcome } from './state';
export { diff } from './diff';
export { formatPlan } from './format-plan';
export type * from './types';
