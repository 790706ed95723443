/**
 * From the config file's `vrrp:` section to what runs: a state machine's options for an instance,
 * and the sync daemons a state calls for. The agent supplies what the file cannot know (the
 * interface's primary address when the instance names no source).
 */
import type { VrrpDaemonPlan, VrrpInstanceConfig } from '../config/vrrp-settings';
import type { DaemonState } from '../types';
import type { VrrpMachineOptions } from './options';
import type { VrrpState } from './types';

export function machineOptionsOf(instance: VrrpInstanceConfig, interfaceAddress: string): VrrpMachineOptions {
  return {
    name: instance.name,
    vrid: instance.vrid,
    family: instance.family,
    priority: instance.priority,
    interval: instance.interval,
    preempt: instance.preempt,
    preemptDelay: instance.preemptDelay,
    accept: instance.accept,
    addresses: instance.vips.map((v) => v.address),
    // The adverts' source is the address that breaks ties: the configured one, else the interface's.
    primaryAddress: instance.source ?? interfaceAddress,
    garp: { ...instance.garp },
    track: instance.track.map((t) => ({ name: t.name, weight: t.weight })),
  };
}

/** The daemons to run in a state; none in initialize (a stopped router runs none, as keepalived on shutdown). */
export function daemonsFor(plan: VrrpDaemonPlan, state: VrrpState): DaemonState[] {
  return state === 'initialize' ? [] : [...plan[state]];
}
