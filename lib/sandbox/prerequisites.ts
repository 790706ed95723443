/** What the sandbox kernel needs on the host, and the exact install line when something is missing. */
import { existsSync, readdirSync } from 'node:fs';

export const UML_KERNEL = '/usr/bin/linux.uml';
export const UML_MODULES = '/usr/lib/uml/modules';
export const INSTALL_HINT = 'apt-get update && apt-get install -y user-mode-linux kmod iproute2 ipvsadm';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

const TOOLS: Record<string, string> = {
  '/usr/sbin/modprobe': 'kmod',
  '/usr/sbin/ip': 'iproute2',
};

/** The kernel module folder (e.g. /usr/lib/uml/modules/6.1.176). Throws SandboxError naming what to install. */
export function checkSandboxPrerequisites(): { kernel: string; modulesDir: string; version: string } {
  const missing: string[] = [];
  if (!existsSync(UML_KERNEL)) missing.push(`${UML_KERNEL} (package user-mode-linux)`);
  for (const [path, pkg] of Object.entries(TOOLS)) if (!existsSync(path)) missing.push(`${path} (package ${pkg})`);
  const versions = existsSync(UML_MODULES) ? readdirSync(UML_MODULES) : [];
  if (versions.length === 0 && existsSync(UML_KERNEL)) missing.push(`${UML_MODULES}/<version> (package user-mode-linux)`);
  if (missing.length > 0)
    throw new SandboxError(`the sandbox kernel needs ${missing.join(', ')}. Install with: ${INSTALL_HINT}`);
  const version = versions.sort().at(-1)!;
  return { kernel: UML_KERNEL, modulesDir: `${UML_MODULES}/${version}`, version };
}
