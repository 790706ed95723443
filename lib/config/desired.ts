/** What reading a config file gives: a desired table (lib/table/types.ts), its health checks, the agent's settings. */
import type { HealthTable } from '../health/types';
import type { DesiredTable } from '../table/types';
import type { DirectorSettings } from './director-settings';
import type { VrrpSettings } from './vrrp-settings';

export type { DesiredDestination, DesiredService, DesiredTable } from '../table/types';
export type { DirectorSettings, MetricsListen, NotifySettings } from './director-settings';
export type {
  VrrpDaemonPlan, VrrpInstanceConfig, VrrpInterfaceTrack, VrrpScriptTrack, VrrpServiceTrack, VrrpSettings, VrrpSyncConfig, VrrpTrack, VrrpVip,
} from './vrrp-settings';

/** How a config text is written. */
export type ConfigFormat = 'yaml' | 'json' | 'rules';

/**
 * A config file read: its desired table, and how it was written. Settings of the file beyond the
 * table (those the director agent will read) join this object as they are defined.
 */
export interface ConfigFile {
  format: ConfigFormat;
  /**
   * Services in file order, keys canonical (IPv6 compressed), every option filled in (the
   * library's defaults for what the file leaves out), destinations in file order.
   */
  table: DesiredTable;
  /**
   * What health checks watch: each service with a `health:` or `quorum:` (its own or a
   * destination's), with all its destinations (those without a check as type 'none': always up,
   * counted in the quorum). Empty for the rules-text format, which has no health checks.
   */
  health: HealthTable;
  /** The `director:` section, defaults filled (the defaults when the file has none). */
  director: DirectorSettings;
  /** The `vrrp:` section, defaults filled (no instances, no sync daemon when the file has none). */
  vrrp: VrrpSettings;
}

export interface ParseConfigOptions {
  /** The file's name: used to pick the format by extension and in every problem's location. */
  path?: string;
  /** The format; by default from the extension (.yaml, .yml, .json), else sniffed from the text. */
  format?: ConfigFormat;
}
