/** The addon's rtnetlink calls, with their failures as IpvsHostError naming the object. */
import { native, type NativeError, type NativeHostNetRequest } from '../binding';
import { DEFAULT_TIMEOUT_MS } from '../call';
import { errnoName, IpvsHostError } from '../errors';
import { namespaceStage } from './sysctl';

/**
 * timeoutMs: the call's deadline, from now (the addon's receive loop ends by it, like the IPVS
 * client's); a call that finds it passed when its worker starts sends nothing.
 */
export async function hostNet<T = void>(
  netns: string | null, request: NativeHostNetRequest, what: string, doing: string, timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  try {
    return (await native().hostNet(netns, request, timeoutMs)) as T;
  } catch (err) {
    const e = err as NativeError;
    if (typeof e.errno !== 'number') throw err;
    const code = errnoName(e.errno);
    const hint = namespaceStage(e) ?? (code === 'ENODEV' ? ' (no such interface)' : code === 'EPERM' ? ' (needs CAP_NET_ADMIN)'
      : code === 'ENETUNREACH' ? ' (the gateway is not on a connected network)'
      : code === 'ETIMEDOUT' ? ` (no answer within ${timeoutMs} ms)` : '');
    throw new IpvsHostError(code, what, `${doing} ${what}: ${code}${hint}`);
  }
}
