/**
 * ipvsadm rules text -> the desired table: the lines are parsed by parseRules (lib/rules/parse.ts) and
 * folded in order, as `ipvsadm -R` would build the table from nothing: -A adds a service, -E replaces
 * its settings, -D removes it, -a/-e/-d do the same for destinations, -C empties the table. What a
 * line cannot do to the table so far (add twice, edit or delete what is not there) is a problem of
 * that line. -Z (zero counters) changes no setting and is passed over; --set and the sync daemon lines
 * are not part of a table and are refused.
 */
import { IpvsRulesError, show } from '../errors';
import { parseRules } from '../rules/parse';
import type { BatchOperation, DestinationOptions, ParsedRule, ServiceOptions } from '../types';
import { destinationConfig, destinationKey, type NormalizedDestinationKey } from '../validate/destination';
import { publicServiceKey, serviceConfig, serviceKey, type NormalizedServiceKey } from '../validate/service';
import type { DesiredTable } from './desired';
import { endpointId as serverId, serviceId } from '../keys';
import { describeServer, describeService as describe } from './identity';
import type { Problems } from './problems';

interface FoldedService {
  key: NormalizedServiceKey;
  line: number;
  options: ServiceOptions;
  destinations: Map<string, { key: NormalizedDestinationKey; line: number; options: DestinationOptions }>;
}

export function readRules(text: string, problems: Problems): DesiredTable | null {
  let rules: readonly ParsedRule[];
  try {
    rules = parseRules(text);
  } catch (err) {
    if (!(err instanceof IpvsRulesError)) throw err;
    for (const p of err.problems) problems.add({ line: p.line, column: 1 }, '', `${p.reason}: ${show(p.text)}`);
    return null;
  }
  const services = new Map<string, FoldedService>();
  for (const rule of rules) {
    const trouble = fold(services, rule);
    if (trouble) problems.add({ line: rule.line, column: 1 }, '', `${trouble}: ${show(rule.text)}`);
  }
  if (!problems.empty) return null;
  return {
    services: [...services.values()].map((s) => ({
      service: publicServiceKey(s.key),
      options: s.options,
      destinations: [...s.destinations.values()].map((d) => ({ destination: { address: d.key.address, port: d.key.port }, options: d.options })),
    })),
  };
}

/** Applies one line to the table so far; what keeps it from applying, or null. */
function fold(services: Map<string, FoldedService>, rule: ParsedRule): string | null {
  const op = rule.operation;
  if (op.op === 'setTimeouts' || op.op === 'startDaemon' || op.op === 'stopDaemon')
    return 'not part of a table (timeouts and sync daemons are set with their own commands)';
  if (op.op === 'zero') return null;
  if (op.op === 'flush') {
    services.clear();
    return null;
  }
  // parseRules has checked every line completely: these calls only normalize.
  const key = serviceKey(op.service);
  const id = serviceId(key);
  const service = services.get(id);
  switch (op.op) {
    case 'addService':
      if (service) return `${describe(key)} is already added (line ${service.line})`;
      services.set(id, { key, line: rule.line, options: serviceConfig(op.options, key, null), destinations: new Map() });
      return null;
    case 'updateService':
      if (!service) return `${describe(key)} is not added before this line`;
      // -E replaces every setting: parseRules gives the line's values with ipvsadm's defaults for the rest.
      service.options = serviceConfig(op.options, key, null);
      return null;
    case 'deleteService':
      if (!service) return `${describe(key)} is not added before this line`;
      services.delete(id);
      return null;
    default:
      return service ? foldDestination(service, op, rule.line) : `${describe(key)} is not added before this line`;
  }
}

function foldDestination(
  service: FoldedService, op: Extract<BatchOperation, { destination: unknown }>, line: number,
): string | null {
  const dest = destinationKey(op.destination);
  const id = serverId(dest);
  const known = service.destinations.get(id);
  const what = `${describeServer(dest)} of ${describe(service.key)}`;
  switch (op.op) {
    case 'addDestination':
      if (known) return `${what} is already added (line ${known.line})`;
      service.destinations.set(id, { key: dest, line, options: destinationConfig(op.options, service.key, dest, null) });
      return null;
    case 'updateDestination':
      if (!known) return `${what} is not added before this line`;
      known.options = destinationConfig(op.options, service.key, dest, null);
      return null;
    default:
      if (!known) return `${what} is not added before this line`;
      service.destinations.delete(id);
      return null;
  }
}
