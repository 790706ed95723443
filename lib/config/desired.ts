/**
 * The desired table as plain objects: what a config file declares, what `apply` will make the kernel
 * hold. The table model builds its Table from these (lib/table/types.ts holds identical interfaces;
 * one of the two copies goes when both are merged).
 */
import type { DestinationKey, DestinationOptions, ServiceKey, ServiceOptions } from '../types';

export interface DesiredDestination {
  destination: DestinationKey;
  options?: DestinationOptions;
}

export interface DesiredService {
  service: ServiceKey;
  options?: ServiceOptions;
  destinations?: DesiredDestination[];
}

export interface DesiredTable {
  services: DesiredService[];
}

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
}

export interface ParseConfigOptions {
  /** The file's name: used to pick the format by extension and in every problem's location. */
  path?: string;
  /** The format; by default from the extension (.yaml, .yml, .json), else sniffed from the text. */
  format?: ConfigFormat;
}
