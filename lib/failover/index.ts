/** The config's `vrrp:` section running: VRRP instances, their VIPs and the sync daemons (docs/failover.md). */
export { Failover, SYNC_TIMEOUT_MS } from './failover';
export type { FailoverEvents, FailoverInstanceStatus, FailoverOptions, FailoverStatus, FailoverSyncEvent } from './failover';
export type { FailoverParts } from './instance';
export { hostEffects } from './effects';
