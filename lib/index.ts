/**
 * node-ipvs: program the Linux IPVS load balancer over Generic Netlink.
 * @packageDocumentation
 */
export { Ipvs, DEFAULT_TIMEOUT_MS } from './ipvs';
export { IpvsError, IpvsValidationError, IpvsRulesError, IpvsHostError, IpvsPartialError, IpvsConfigError, formatConfigProblem } from './errors';
export type { RuleProblem, PartialResult, IpvsErrorCode, ConfigProblem } from './errors';
export { isFwmarkService, isAddressService } from './guards';
export { parseRules } from './rules/parse';
export { formatRules } from './rules/format';
export { Table, diff, formatPlan } from './table';
export type {
  TableEntry, FoldOutcome, DesiredTable, DesiredService, DesiredDestination, Plan, PlanStep, PlanAction, FieldChange, DiffOptions,
} from './table';
export { parseConfig, readConfig } from './config';
export { DEFAULT_DRAIN_TIMEOUT_MS } from './apply';
export type {
  ApplyOptions, ApplyResult, StepResult, StepOutcome, DrainingDestination, DrainRecord, OwnershipRecord, OwnershipStore,
} from './apply';
export type { StatusOptions, TableStatus, ServiceStatus, DestinationStatus, DrainStatus } from './apply/status';
export type { ConfigFile, ConfigFormat, ParseConfigOptions } from './config/desired';
export type { Operation } from './errors';
export type * from './types';
export { runInSandbox, checkSandboxPrerequisites, SandboxError } from './sandbox/runner';
export type { SandboxOptions, SandboxResult } from './sandbox/runner';
export * from './host';
export * from './health';
export { createMetrics } from './metrics';
export type { IpvsMetrics, MetricsOptions, MetricsServer, HealthSource } from './metrics';
export { Director, formatJson as formatDirectorLogJson, formatText as formatDirectorLogText } from './director';
export type { DirectorOptions, DirectorMonitor, DirectorEvents, DirectorClock, LogRecord, LogEvent, ApplyReason, MetricsEndpoint } from './director';
export type { DirectorSettings, MetricsListen, NotifySettings } from './config/desired';
export type { DrainPredicate } from './table/types';
export { enterNetns } from './netns';
export { Failover, hostEffects } from './failover';
export type { FailoverEvents, FailoverInstanceStatus, FailoverOptions, FailoverParts, FailoverStatus, FailoverSyncEvent } from './failover';
export { SyncDaemons, syncDaemonSettings, SYNC_PLANS } from './sync/daemons';
export type { SyncMode, SyncDaemonSettings, SyncClient, SyncChange, FollowedState } from './sync/daemons';
export { VrrpSocket, VrrpSocketError } from './vrrp/socket';
export { announceAddresses } from './vrrp/announce';
export { VrrpMachine } from './vrrp/machine';
export { TrackPoller } from './vrrp/track-poll';
export type { TrackHook, TrackTarget } from './vrrp/track-poll';
export { machineOptionsOf, daemonsFor } from './vrrp/from-config';
export type { VrrpEffects, VrrpRouterInfo, VrrpStatus } from './vrrp/machine';
export type { VrrpMachineOptions, GarpSettings, TrackSpec } from './vrrp/options';
export type { VrrpClock } from './vrrp/clock';
export type { VrrpCounters, VrrpMachineDropReason } from './vrrp/counters';
export type {
  VrrpMachineEvents, VrrpTransition, VrrpTransitionReason, VrrpPriorityChange, VrrpEffectError, VrrpSendError, VrrpAddressMismatch,
} from './vrrp/events';
export type { Advert, VrrpTransport, VrrpState, VrrpFamily, VrrpDropReason } from './vrrp/types';
export type {
  VrrpSettings, VrrpInstanceConfig, VrrpSyncConfig, VrrpDaemonPlan, VrrpTrack, VrrpInterfaceTrack, VrrpServiceTrack, VrrpScriptTrack, VrrpVip,
} from './config/desired';
