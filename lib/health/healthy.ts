/**
 * healthy(): the table the kernel should hold, from the desired one and what health knows (pure).
 * Down servers are removed, or kept at weight 0 with inhibitOnFailure; up ones get their dynamic
 * weight if they have one. A service whose quorum is lost gets its sorry server (weight 1), and
 * then, as keepalived does, serves from the sorry server alone: its remaining live servers are
 * taken out (or set to weight 0) until the quorum is back. Destinations health does not watch
 * are left as desired.
 */
import { endpointId, serviceId } from '../keys';
import type { DesiredDestination, DesiredService, DesiredTable } from '../table/types';
import type { DestinationKey, ForwardingMethod, ServiceKey } from '../types';
import { destinationKey } from '../validate/destination';
import { serviceKey } from '../validate/service';
import type { FilledQuorumSpec } from './spec';
import type { HealthState, HealthyTable } from './types';

/** What healthy() needs of one watched server. */
export interface ServerView {
  state: HealthState;
  inhibitOnFailure: boolean;
  /** A dynamic weight from the last check, or null to keep the desired weight. */
  dynamicWeight: number | null;
}

/** What healthy() needs of one watched service. */
export interface ServiceView {
  quorum: FilledQuorumSpec;
  quorumUp: boolean;
  /** By endpointId (canonical address/port). */
  servers: ReadonlyMap<string, ServerView>;
}

export function healthyTable(desired: DesiredTable, services: ReadonlyMap<string, ServiceView>): HealthyTable {
  const removed: HealthyTable['removed'] = [];
  const out: DesiredService[] = [];
  for (const [i, svc] of desired.services.entries()) {
    const key = serviceKey(svc.service, `services[${i}].service`);
    const view = services.get(serviceId(key));
    if (!view) {
      out.push(svc);
      continue;
    }
    out.push(healthyService(svc, view, removed, i));
  }
  return { table: { services: out }, removed };
}

function healthyService(svc: DesiredService, view: ServiceView, removed: HealthyTable['removed'], i: number): DesiredService {
  const sorry = view.quorum.sorryServer;
  // With a sorry server, a lost quorum hands all traffic to it (keepalived's perform_quorum_state).
  const sorryOnly = !view.quorumUp && sorry !== undefined;
  const sorryId = sorry ? endpointId(destinationKey(sorry, 'quorum.sorryServer')) : null;
  const dests: DesiredDestination[] = [];
  let sorryListed = false;
  for (const [j, d] of (svc.destinations ?? []).entries()) {
    const id = endpointId(destinationKey(d.destination, `services[${i}].destinations[${j}].destination`));
    if (id === sorryId) {
      sorryListed = true;
      continue; // placed below, with the weight the quorum gives it
    }
    const server = view.servers.get(id);
    if (!server) {
      dests.push(d);
      continue;
    }
    const serving = server.state === 'up' && !sorryOnly;
    if (serving) {
      dests.push(server.dynamicWeight === null ? d : withWeight(d, server.dynamicWeight));
    } else if (server.inhibitOnFailure) {
      dests.push(withWeight(d, 0));
    } else {
      removed.push({ service: svc.service, destination: d.destination });
    }
  }
  if (sorry && (sorryOnly || view.quorum.sorryServerInhibit)) {
    const listed = sorryListed ? (svc.destinations ?? []).find((d) => endpointId(destinationKey(d.destination)) === sorryId) : undefined;
    const base: DesiredDestination = listed ?? {
      destination: { address: sorry.address, port: sorry.port },
      options: { forwarding: sorryForwarding(svc, view.quorum, sorry) },
    };
    dests.push(withWeight(base, sorryOnly ? 1 : 0));
  } else if (sorry && sorryListed) {
    removed.push({ service: svc.service, destination: { address: sorry.address, port: sorry.port } });
  }
  return { ...svc, destinations: dests };
}

function withWeight(d: DesiredDestination, weight: number): DesiredDestination {
  return { ...d, options: { ...d.options, weight } };
}

/**
 * As declared; else the first destination's; 'masq' when there is none, or when that forwarding
 * (route, tunnel) could not reach a sorry server on another port than the service's.
 */
function sorryForwarding(svc: DesiredService, quorum: FilledQuorumSpec, sorry: DestinationKey): ForwardingMethod {
  if (quorum.sorryServerForwarding) return quorum.sorryServerForwarding;
  const first = svc.destinations?.[0]?.options?.forwarding ?? (svc.destinations?.length ? 'route' : 'masq');
  const port = servicePort(svc.service);
  if ((first === 'route' || first === 'tunnel') && port !== 0 && port !== sorry.port) return 'masq';
  return first === 'local' || first === 'bypass' ? 'masq' : first;
}

function servicePort(key: ServiceKey): number {
  return 'port' in key ? key.port : 0;
}
