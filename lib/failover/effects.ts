/**
 * What being master means on this host, for one VRRP instance of the config: its VIPs added to the
 * instance's interface over rtnetlink (as keepalived adds them: IPv6 without duplicate address
 * detection and never chosen as a source, lib/host/vip.ts says why), removed on leaving, and
 * announced with gratuitous ARP / unsolicited NA (native/vrrp_announce.cc).
 */
import type { VrrpInstanceConfig } from '../config/vrrp-settings';
import { IpvsHostError, IpvsValidationError } from '../errors';
import { hostNet } from '../host/net';
import { announceAddresses } from '../vrrp/announce';
import type { VrrpEffects } from '../vrrp/machine';

/** Every rtnetlink exchange and announcement ends by this (the machine's effects must settle). */
export const EFFECT_TIMEOUT_MS = 5000;

const vipOf = (instance: VrrpInstanceConfig, v: { address: string; prefix: number }) =>
  `interface ${instance.interface} address ${v.address}/${v.prefix}`;

/** `code` is the answer that means the work is done already (EEXIST for an add, EADDRNOTAVAIL for a delete). */
async function tolerate(call: Promise<unknown>, code: string): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof IpvsHostError && err.code === code)) throw err;
  }
}

export function hostEffects(instance: VrrpInstanceConfig, netns: string | null): VrrpEffects {
  // IPVS schedules packets to local addresses only: a master that refused its VIPs' traffic would serve nothing.
  if (!instance.accept)
    throw new IpvsValidationError(`vrrp.instances[${instance.name}].accept`, false, 'true: the host effects add the VIPs to take their traffic (accept: false needs effects of your own, FailoverParts.effects)');
  const iface = instance.interface;
  return {
    async becomeMaster() {
      // A VIP already there (left by a killed agent, or added by hand) is ours now: leaving removes it.
      for (const v of instance.vips) {
        await tolerate(hostNet(netns, {
          op: 'addAddress', interface: iface, address: v.address, prefix: v.prefix, noDad: true, deprecated: instance.family === 'inet6',
        }, vipOf(instance, v), 'adding', EFFECT_TIMEOUT_MS), 'EEXIST');
      }
    },
    async leaveMaster() {
      // Every VIP is tried; the first failure is reported after the rest were removed.
      let first: unknown = null;
      for (const v of instance.vips) {
        await tolerate(hostNet(netns, { op: 'deleteAddress', interface: iface, address: v.address, prefix: v.prefix }, vipOf(instance, v), 'removing', EFFECT_TIMEOUT_MS), 'EADDRNOTAVAIL')
          .catch((err: unknown) => void (first ??= err));
      }
      if (first !== null) throw first;
    },
    async announce() {
      await announceAddresses({ interface: iface, addresses: instance.vips.map((v) => v.address), ...(netns ? { netns } : {}), timeout: EFFECT_TIMEOUT_MS });
    },
  };
}
