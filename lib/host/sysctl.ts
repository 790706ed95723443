/**
 * Reading and writing /proc/sys, in this network namespace or another, with
 * every write read back: the kernel silently keeps the old value for some
 * IPVS settings and accepts out-of-range ARP values, so a write is only done
 * when reading gives what was written. No shelling out to sysctl.
 */
import { close, read, write } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { native } from '../binding';
import { errnoName, IpvsHostError } from '../errors';

const readFd = promisify(read);
const writeFd = promisify(write);
const closeFd = promisify(close);

/** Where settings are read and written: a namespace file path, or null for this process's namespace. */
export interface SysctlScope {
  netns: string | null;
}

function fail(err: unknown, setting: string, doing: string, value?: string): never {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? (typeof e.errno === 'number' ? errnoName(Math.abs(e.errno)) : 'EIO');
  const hint = code === 'ENOENT' ? ' (no such setting: is the interface or module there?)' : code === 'EACCES' || code === 'EPERM' ? ' (needs root)' : '';
  throw new IpvsHostError(code, setting, `${doing} ${setting}${value === undefined ? '' : ` = ${value}`}: ${code}${hint}`, value);
}

/** The file's text, whitespace-normalized ("3\t50\n" -> "3 50"). */
export async function readSetting(scope: SysctlScope, setting: string): Promise<string> {
  const path = `/proc/sys/${setting}`;
  try {
    if (!scope.netns) return normalize(await readFile(path, 'utf8'));
    const fd = await native().openInNetns(scope.netns, path, false);
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await readFd(fd, buf, 0, buf.length, 0);
      return normalize(buf.toString('utf8', 0, bytesRead));
    } finally {
      await closeFd(fd);
    }
  } catch (err) {
    if (err instanceof IpvsHostError) throw err;
    return fail(err, setting, 'reading');
  }
}

/** Writes "value\n" and reads it back; IpvsHostError 'ERR_IPVS_SETTING_NOT_KEPT' if the kernel kept another value. */
export async function writeSetting(scope: SysctlScope, setting: string, value: string): Promise<void> {
  const path = `/proc/sys/${setting}`;
  try {
    if (!scope.netns) await writeFile(path, `${value}\n`);
    else {
      const fd = await native().openInNetns(scope.netns, path, true);
      try {
        await writeFd(fd, `${value}\n`);
      } finally {
        await closeFd(fd);
      }
    }
  } catch (err) {
    return fail(err, setting, 'writing', value);
  }
  const actual = await readSetting(scope, setting);
  if (actual !== normalize(value))
    throw new IpvsHostError('ERR_IPVS_SETTING_NOT_KEPT', setting,
      `writing ${setting} = ${value}: the kernel kept ${actual} (it accepted the write but ignored the value)`, value, actual);
}

export function normalize(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}
