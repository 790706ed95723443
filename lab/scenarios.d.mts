// Types of lab/scenarios.mjs, for the kernel tests that run the scenarios.
import type { Info, ServiceEntry } from '../lib';

export interface ScenarioResult {
  name: string;
  counts: Record<string, number>;
  expected: Record<string, number>;
  /** [what, passed, detail] */
  checks: [string, boolean, string | undefined][];
  /** Observations reported but not checked (the DR run without ARP settings). */
  notes: string[];
  table: ServiceEntry[];
  info: Info;
}

export declare const SCENARIOS: Record<string, () => Promise<ScenarioResult>>;
export declare const TITLES: Record<string, string>;
