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
import { errnoName, IpvsHostError, IpvsValidationError } from '../errors';

const readFd = promisify(read);
const writeFd = promisify(write);
const closeFd = promisify(close);

/** Where settings are read and written: a namespace file path, or null for this process's namespace. */
export interface SysctlScope {
  netns: string | null;
}

/** " (the stage)" when the addon failed at the namespace, not at the setting: a missing or non-namespace file. */
export function namespaceStage(err: unknown): string | undefined {
  const stage = (err as { stage?: unknown }).stage;
  return typeof stage === 'string' && stage.includes('network namespace') ? ` (${stage})` : undefined;
}

function fail(err: unknown, setting: string, doing: string, value?: string): never {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? (typeof e.errno === 'number' ? errnoName(Math.abs(e.errno)) : 'EIO');
  const hint = namespaceStage(err) ?? (code === 'ENOENT' ? ' (no such setting: is the interface or module there?)' : code === 'EACCES' || code === 'EPERM' ? ' (needs root)' : '');
  throw new IpvsHostError(code, setting, `${doing} ${setting}${value === undefined ? '' : ` = ${value}`}: ${code}${hint}`, value);
}

/**
 * /proc/sys/SETTING, for a setting under net/ named without "", "." or ".." components.
 * Callers validate settings against their tables first; this is the last guard, so no
 * caller's slip can turn a write into one outside /proc/sys/net.
 */
function pathOf(setting: string): string {
  const parts = typeof setting === 'string' ? setting.split('/') : [];
  if (parts.length < 2 || parts[0] !== 'net' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0')))
    throw new IpvsValidationError('setting', setting, 'a setting under net/ (no "", "." or ".." in its path)');
  return `/proc/sys/${setting}`;
}

/** The file's text, whitespace-normalized ("3\t50\n" -> "3 50"). */
export async function readSetting(scope: SysctlScope, setting: string): Promise<string> {
  const path = pathOf(setting);
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

/**
 * The value the kernel uses for a per-interface IPv4 setting it takes as max(conf/all, conf/IFACE)
 * (arp_ignore, arp_announce, rp_filter; for an on/off one such as send_redirects, an OR).
 */
export async function effectiveConf(scope: SysctlScope, iface: string, name: string): Promise<number> {
  const all = Number(await readSetting(scope, `net/ipv4/conf/all/${name}`));
  const own = Number(await readSetting(scope, `net/ipv4/conf/${iface}/${name}`));
  return Math.max(all, own);
}

/** Writes "value\n" and reads it back; IpvsHostError 'ERR_IPVS_SETTING_NOT_KEPT' if the kernel kept another value. */
export async function writeSetting(scope: SysctlScope, setting: string, value: string): Promise<void> {
  const path = pathOf(setting);
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
