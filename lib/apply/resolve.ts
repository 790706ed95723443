/**
 * An add that met EEXIST: the listing missed the object (listings can be torn, kernel-facts.md).
 * Not a failure: read the services concerned again, one by one, and make them as desired with
 * the adds and updates a diff of that reading gives. Removals wait for a later apply, which
 * will have seen what they remove.
 */
import { IpvsError } from '../errors';
import { serviceId } from '../keys';
import { diff } from '../table/diff';
import { Table } from '../table/table';
import type { PlanStep } from '../table/types';
import type { RulesService } from '../types';
import { serviceKey } from '../validate/service';
import type { ApplyClient } from './client';

export async function resolveExisting(client: ApplyClient, desired: Table, steps: readonly PlanStep[], timeout: () => number): Promise<PlanStep[]> {
  const seen = new Map<string, RulesService>();
  for (const step of steps) {
    const id = serviceId(serviceKey(step.service));
    if (seen.has(id)) continue;
    try {
      const info = await client.getService(step.service, { timeout: timeout() });
      const destinations = await client.listDestinations(step.service, { timeout: timeout() });
      seen.set(id, { key: info.key, config: info.config, destinations });
    } catch (err) {
      // Deleted again meanwhile: the next apply adds it; anything else is a real failure.
      if (err instanceof IpvsError && err.code === 'ESRCH') continue;
      throw err;
    }
  }
  const have = Table.fromKernel([...seen.values()]);
  const want = Table.fromKernel([...seen.values()].map((s) => desired.service(s.key)!).filter(Boolean));
  return diff(have, want).steps.filter((s) => s.action.startsWith('add-') || s.action.startsWith('update-'));
}
