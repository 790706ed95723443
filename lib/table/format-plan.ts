/**
 * A plan as a person reads it, one line per step, like an infrastructure tool's plan:
 *   + tcp 192.0.2.1:80  scheduler wlc
 *   ~ tcp 192.0.2.1:80 -> 198.51.100.9:80  weight 1 → 5
 *   - tcp 192.0.2.1:80 -> 198.51.100.8:80  drain: weight 3 → 0, removed once its connections end
 * and a summary line.
 */
import { hostPort } from '../describe';
import type { DestinationKey, ServiceKey } from '../types';
import type { FieldChange, Plan, PlanAction, PlanStep } from './types';

const SIGN: Readonly<Record<PlanAction, string>> = {
  'add-service': '+', 'add-destination': '+',
  'update-service': '~', 'update-destination': '~',
  'drain-destination': '-', 'remove-destination': '-', 'remove-service': '-',
};

export function serviceLabel(key: ServiceKey): string {
  if ('fwmark' in key) return `fwmark ${key.fwmark}${key.family === 'ipv6' ? ' ipv6' : ''}`;
  return `${key.protocol} ${hostPort(key.address, key.port)}`;
}

function label(service: ServiceKey, destination: DestinationKey | undefined): string {
  return destination ? `${serviceLabel(service)} -> ${hostPort(destination.address, destination.port)}` : serviceLabel(service);
}

function value(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length ? v.map(value).join(',') : 'none';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${value(x)}`).join(' ');
  return String(v);
}

/** An add lists what the new object holds, leaving out what is off or empty. */
function added(changes: readonly FieldChange[]): string {
  return changes
    .filter((c) => c.to !== null && c.to !== false && !(Array.isArray(c.to) && c.to.length === 0) && !(typeof c.to === 'number' && c.to === 0 && /Threshold$/.test(c.field)))
    .map((c) => `${c.field} ${value(c.to)}`)
    .join(', ');
}

function changed(changes: readonly FieldChange[]): string {
  return changes.map((c) => `${c.field} ${value(c.from)} → ${value(c.to)}`).join(', ');
}

export function formatStep(step: PlanStep): string {
  const head = `${SIGN[step.action]} ${label(step.service, step.destination)}`;
  let detail: string;
  switch (step.action) {
    case 'add-service':
    case 'add-destination':
      detail = added(step.changes);
      break;
    case 'update-service':
    case 'update-destination':
      detail = changed(step.changes);
      break;
    case 'drain-destination':
      detail = `drain: ${step.changes.length ? `${changed(step.changes)}, ` : 'weight already 0, '}removed once its connections end`;
      break;
    case 'remove-service':
      detail = 'with its destinations';
      break;
    default:
      detail = '';
  }
  return detail ? `${head}  ${detail}` : head;
}

/** Every step on its line, then a summary; "No changes." for an empty plan. Ends with a newline. */
export function formatPlan(plan: Plan): string {
  if (plan.steps.length === 0) return 'No changes.\n';
  const count = (...actions: PlanAction[]) => plan.steps.filter((s) => actions.includes(s.action)).length;
  const summary = `Plan: ${count('add-service', 'add-destination')} to add, ${count('update-service', 'update-destination')} to change, ` +
    `${count('drain-destination')} to drain, ${count('remove-service', 'remove-destination')} to remove.`;
  return `${plan.steps.map(formatStep).join('\n')}\n${summary}\n`;
}
