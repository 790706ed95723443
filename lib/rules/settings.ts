/**
 * The lines of rules text that change IPVS settings, not the table (`--set`, `--start-daemon`,
 * `--stop-daemon`): checked here as the client's setTimeouts/startDaemon/stopDaemon check them.
 * They do not go through the batch path: restore() sends each on its own, in its place.
 */
import type { DaemonOptions, DaemonState, SettingOperation, Timeouts } from '../types';
import { oneOf, onlyKeys, plainObject } from '../validate/primitives';
import { DAEMON_STATE_NAMES, daemonOptions, timeouts } from '../validate/settings';

export type ValidatedSetting =
  | { kind: 'setTimeouts'; operation: SettingOperation; timeouts: Partial<Timeouts> }
  | { kind: 'startDaemon'; operation: SettingOperation; daemon: DaemonOptions }
  | { kind: 'stopDaemon'; operation: SettingOperation; state: DaemonState };

const KINDS = new Set(['setTimeouts', 'startDaemon', 'stopDaemon']);

/** True for the operations this file handles (any other goes to the batch path's validation). */
export function isSettingOperation(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'op') &&
    KINDS.has((value as { op: unknown }).op as string);
}

export function validateSetting(value: unknown, field: string): ValidatedSetting {
  const obj = plainObject(value, field);
  const operation = obj as SettingOperation;
  switch (obj.op) {
    case 'setTimeouts': {
      onlyKeys(obj, ['op', 'timeouts'], field);
      // `--set 0 0 0` changes nothing, and ipvsadm takes it: an empty object is no request at all.
      const t = plainObject(obj.timeouts, `${field}.timeouts`);
      return { kind: 'setTimeouts', operation, timeouts: Object.keys(t).length ? timeouts(t, `${field}.timeouts`) : {} };
    }
    case 'startDaemon': {
      onlyKeys(obj, ['op', 'daemon'], field);
      const d = daemonOptions(obj.daemon, `${field}.daemon`);
      return { kind: 'startDaemon', operation, daemon: d };
    }
    default: {
      onlyKeys(obj, ['op', 'state'], field);
      return { kind: 'stopDaemon', operation, state: oneOf(obj.state, `${field}.state`, DAEMON_STATE_NAMES) };
    }
  }
}
