/** The addon's rtnetlink calls, with their failures as IpvsHostError naming the object. */
import { native, type NativeError, type NativeHostNetRequest } from '../binding';
import { errnoName, IpvsHostError } from '../errors';
import { namespaceStage } from './sysctl';

export async function hostNet<T = void>(netns: string | null, request: NativeHostNetRequest, what: string, doing: string): Promise<T> {
  try {
    return (await native().hostNet(netns, request)) as T;
  } catch (err) {
    const e = err as NativeError;
    if (typeof e.errno !== 'number') throw err;
    const code = errnoName(e.errno);
    const hint = namespaceStage(e) ?? (code === 'ENODEV' ? ' (no such interface)' : code === 'EPERM' ? ' (needs CAP_NET_ADMIN)'
      : code === 'ENETUNREACH' ? ' (the gateway is not on a connected network)' : '');
    throw new IpvsHostError(code, what, `${doing} ${what}: ${code}${hint}`);
  }
}
