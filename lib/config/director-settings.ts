/**
 * The `director:` section of a config file: the agent's own settings (docs/director.md). Each
 * field is judged alone, so a file with several bad ones hears of all of them.
 */
import { IpvsValidationError } from '../errors';
import { integer, oneOf } from '../validate/primitives';
import { duration as parseDuration } from '../health/duration';

export interface MetricsListen {
  host: string;
  port: number;
}

/** keepalived's notify_up / notify_down and quorum_up / quorum_down: a program and its first arguments. */
export interface NotifySettings {
  up?: string[];
  down?: string[];
  quorumUp?: string[];
  quorumDown?: string[];
}

export interface DirectorSettings {
  /** Milliseconds between re-reads of the kernel that repair drift. Default 10,000. */
  resyncInterval: number;
  /** On SIGTERM: leave the table as it is (keep), or remove what the agent owns (remove: keepalived's flush on stop). */
  onStop: 'keep' | 'remove';
  /** Milliseconds a server that left the config may drain. Default 300,000. */
  drainTimeout: number;
  /** The ownership record's file (apply's); null: kept in memory for the life of the process. */
  state: string | null;
  /** Where GET /metrics is served; false: not served. */
  metrics: MetricsListen | false;
  log: 'text' | 'json';
  notify: NotifySettings;
}

/** Node's timers fire at once past 2^31-1 ms (24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

export const DIRECTOR_FIELDS = ['resyncInterval', 'onStop', 'drainTimeout', 'state', 'metrics', 'log', 'notify'] as const;
export const NOTIFY_FIELDS = ['up', 'down', 'quorumUp', 'quorumDown'] as const;

export function defaultDirectorSettings(): DirectorSettings {
  return { resyncInterval: 10_000, onStop: 'keep', drainTimeout: 300_000, state: null, metrics: false, log: 'text', notify: {} };
}

/** One field of the section, judged: its value as DirectorSettings holds it. */
export function directorSetting(name: (typeof DIRECTOR_FIELDS)[number], value: unknown, field: string): unknown {
  switch (name) {
    case 'resyncInterval':
      return parseDuration(value, field, 100, MAX_TIMER_MS);
    case 'drainTimeout':
      return parseDuration(value, field, 0, MAX_TIMER_MS);
    case 'onStop':
      return oneOf(value, field, ['keep', 'remove']);
    case 'log':
      return oneOf(value, field, ['text', 'json']);
    case 'state':
      if (typeof value !== 'string' || value === '' || value.includes('\0')) throw new IpvsValidationError(field, value, 'a file path');
      return value;
    case 'metrics':
      return value === false ? false : listenAddress(value, field);
    case 'notify':
      throw new Error('notify is read field by field (notifyCommand)');
  }
}

/** A hook: a non-empty list of strings (the program, then its arguments), run without a shell. */
export function notifyCommand(value: unknown, field: string): string[] {
  const expected = 'a program and its arguments: a list of strings, e.g. [/usr/local/bin/hook, up]';
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) throw new IpvsValidationError(field, value, expected);
  value.forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.includes('\0') || arg.length > 4096) throw new IpvsValidationError(`${field}[${i}]`, arg, 'a string');
  });
  if (value[0] === '') throw new IpvsValidationError(`${field}[0]`, value[0], 'a program (a path or a name on PATH)');
  return [...value] as string[];
}

/** `127.0.0.1:9475`, `[::1]:9475` or `:9475` (every address); the port is required. */
export function listenAddress(value: unknown, field: string): MetricsListen {
  const expected = 'HOST:PORT to serve metrics on (127.0.0.1:9475, [::1]:9475), or false';
  if (typeof value !== 'string') throw new IpvsValidationError(field, value, expected);
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*|[A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new IpvsValidationError(field, value, expected);
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]);
  return { host, port: integer(Number(m[3]), field, 1, 65535) };
}
