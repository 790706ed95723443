/**
 * The Debian/Ubuntu packages node-ipvs needs, read from scripts/packages.txt:
 * the one list that setup.sh installs, the build check names and the addon
 * loader's messages quote (see that file for the roles).
 * @internal
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type PackageRole = 'runtime' | 'build' | 'sandbox' | 'develop';

/** The package root: this file runs from lib/ (tests) or dist/ (built). */
export const PACKAGE_ROOT = join(__dirname, '..');

/** The Debian package names of one role, in the file's order. */
export function systemPackages(role: PackageRole): string[] {
  return readFileSync(join(PACKAGE_ROOT, 'scripts', 'packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().split(/\s+/))
    .filter((cols) => cols[0] === role && cols[1])
    .map((cols) => cols[1]!);
}
