/** Names and paths of network namespaces, as `ip netns` keeps them. */
import { IpvsValidationError } from './errors';

export const NETNS_DIR = '/run/netns';

/** A bare name means /run/netns/NAME (what `ip netns add NAME` creates); anything with a '/' is a path. */
export function resolveNetns(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0'))
    throw new IpvsValidationError(field, value, 'a namespace name or a path to a namespace file');
  if (value.includes('/')) return value;
  if (value === '.' || value === '..' || Buffer.byteLength(value) > 255)
    throw new IpvsValidationError(field, value, 'a namespace name (a file name under /run/netns)');
  return `${NETNS_DIR}/${value}`;
}
