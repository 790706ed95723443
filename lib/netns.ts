/** Names and paths of network namespaces, as `ip netns` keeps them; moving a thread into one. */
import { native } from './binding';
import { isNativeError } from './call';
import { IpvsError, IpvsValidationError } from './errors';

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

/**
 * Moves the calling thread into network namespace `netns` (a name under /run/netns or a path):
 * sockets it opens afterwards (health checks' connections) and processes it starts (exec checks)
 * are in that namespace. Only this thread moves: in a worker_thread, the main thread and other
 * workers stay where they are; on the main thread, libuv's pool threads stay too, so the IPVS
 * client still needs `Ipvs.open({ netns })`. Returns the resolved path. Synchronous: one open
 * and one setns, nothing that waits.
 * Throws IpvsValidationError for a bad name, IpvsError (ENOENT, EINVAL not a network namespace,
 * EPERM without CAP_SYS_ADMIN) when the kernel refuses.
 */
export function enterNetns(netns: unknown): string {
  const path = resolveNetns(netns, 'netns');
  try {
    native().enterNetns(path);
  } catch (err) {
    if (!isNativeError(err)) throw err;
    throw new IpvsError(err.errno, { operation: 'open', object: `namespace ${path}`, netns: path, stage: err.stage });
  }
  return path;
}
