/** What the sandbox kernel needs on the host, and the exact install line when something is missing. */
import { existsSync, readdirSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT, systemPackages } from '../system-packages';

export const UML_KERNEL = '/usr/bin/linux.uml';
export const UML_MODULES = '/usr/lib/uml/modules';
/** The sandbox role of scripts/packages.txt (the kernel and the reference tools tests and the lab run in it). */
export const INSTALL_HINT = `apt-get update && apt-get install -y ${systemPackages('sandbox').join(' ')}`;

/**
 * Preloaded into the kernel process: lets UML 6.1 save and restore FPU state on hosts whose XSAVE
 * area is larger than its fixed buffer (AMX). Built with the addon (native/sandbox/uml_xstate.c);
 * prebuildify moves it beside the prebuilt addon, so an installed package has it there.
 */
export const XSTATE_SHIMS = [
  join(PACKAGE_ROOT, 'build', 'Release', 'uml_xstate.so'),
  join(PACKAGE_ROOT, 'prebuilds', `linux-${arch()}`, 'uml_xstate.so'),
];

/** The shim to preload, or null when none is built. */
export const xstateShim = (): string | null => XSTATE_SHIMS.find((path) => existsSync(path)) ?? null;

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

/** Where the sandbox looks for what it needs; tests point it elsewhere. */
export interface SandboxPaths {
  kernel: string;
  modules: string;
  /** Tool path -> the Debian package that ships it. */
  tools: Record<string, string>;
}

export const DEFAULT_PATHS: SandboxPaths = {
  kernel: UML_KERNEL,
  modules: UML_MODULES,
  tools: { '/usr/sbin/modprobe': 'kmod', '/usr/sbin/ip': 'iproute2' },
};

/** The kernel and its module folder (e.g. /usr/lib/uml/modules/6.1.176). Throws SandboxError naming what to install. */
export function checkSandboxPrerequisites(paths: SandboxPaths = DEFAULT_PATHS): { kernel: string; modulesDir: string; version: string } {
  const missing: string[] = [];
  if (!existsSync(paths.kernel)) missing.push(`${paths.kernel} (package user-mode-linux)`);
  for (const [path, pkg] of Object.entries(paths.tools)) if (!existsSync(path)) missing.push(`${path} (package ${pkg})`);
  const versions = existsSync(paths.modules) ? readdirSync(paths.modules) : [];
  if (versions.length === 0 && existsSync(paths.kernel)) missing.push(`${paths.modules}/<version> (package user-mode-linux)`);
  if (missing.length > 0)
    throw new SandboxError(`the sandbox kernel needs ${missing.join(', ')}. Install with: ${INSTALL_HINT}`);
  const version = versions.sort().at(-1)!;
  return { kernel: paths.kernel, modulesDir: `${paths.modules}/${version}`, version };
}
