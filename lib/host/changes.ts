/**
 * Applying a set of settings so that it can be undone exactly: every value
 * found before is read and saved first (not assumed), each write is read back,
 * and a failure half-way puts back what was already written before throwing.
 */
import { IpvsHostError } from '../errors';
import { resolveNetns } from '../netns';
import { onlyKeys, plainObject } from '../validate/primitives';
import { undoRecord } from './records';
import type { SettingChange } from './settings';
import { readSetting, writeSetting, type SysctlScope } from './sysctl';

/** What undo() needs: the namespace and each setting's value before apply. JSON-safe, so it can be kept on disk. */
export interface UndoRecord {
  netns: string | null;
  settings: SettingChange[];
}

export interface HostOptions {
  /** A network namespace: a name under /run/netns or a path to a namespace file. Default: this process's. */
  netns?: string;
}

export function scopeOf(options: HostOptions | undefined): SysctlScope {
  return { netns: options?.netns === undefined ? null : resolveNetns(options.netns, 'options.netns') };
}

/** The scope of a call whose options hold nothing but the namespace. */
export function nsOnlyScope(options: unknown, field = 'options'): SysctlScope {
  const o = plainObject(options, field);
  onlyKeys(o, ['netns'], field);
  return scopeOf(o);
}

/** Writes the changes in order; returns how to undo them. Nothing is left half-applied. */
export async function applyChanges(scope: SysctlScope, changes: readonly SettingChange[]): Promise<UndoRecord> {
  // Read everything first: a missing setting (no such interface) fails before any write.
  const before: SettingChange[] = [];
  for (const c of changes) before.push({ setting: c.setting, value: await readSetting(scope, c.setting) });
  const done: SettingChange[] = [];
  try {
    for (let i = 0; i < changes.length; i++) {
      await writeSetting(scope, changes[i].setting, changes[i].value);
      done.push(before[i]);
    }
  } catch (err) {
    // The failed write may have half-happened too (a value the kernel kept is still a change).
    const failed = before[done.length];
    const restore = [...done, failed].reverse();
    const leftovers: string[] = [];
    for (const b of restore) {
      try {
        if ((await readSetting(scope, b.setting)) !== b.value) await writeSetting(scope, b.setting, b.value);
      } catch {
        leftovers.push(b.setting);
      }
    }
    if (leftovers.length && err instanceof IpvsHostError)
      err.message += `; could not put back ${leftovers.join(', ')}`;
    throw err;
  }
  // Undo in reverse order, so a setting written twice ends at its first value.
  return { netns: scope.netns, settings: before.reverse() };
}

/** Puts back every value an apply() found. The record is validated whole before the first write. */
export async function undoChanges(record: UndoRecord): Promise<void> {
  const r = undoRecord(record);
  const scope = { netns: r.netns };
  for (const s of r.settings) await writeSetting(scope, s.setting, s.value);
}
