/** Health checks: checkers, the per-server state machine, quorum, and the HealthMonitor that runs them. */
export {
  checkHealthSpec, checkHealthTable, checkQuorumSpec, BUILTIN_CHECK_TYPES, DNS_QUERY_TYPES,
  DEFAULT_CHECK_INTERVAL_MS, DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_CHECK_RETRIES, DEFAULT_CHECK_RETRY_DELAY_MS,
} from './spec';
export type {
  FilledHealthCheckSpec, FilledQuorumSpec, FilledHealthTable, FilledHealthService, FilledHealthDestination, HealthSpecOptions,
} from './spec';
export { duration as parseDuration } from './duration';
export { createChecker } from './checkers';
export type * from './types';
export { HealthMonitor } from './monitor';
export type { HealthClock, HealthMonitorOptions, HealthMonitorEvents } from './monitor';
