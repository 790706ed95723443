/** The agent's log records, as a person reads them (one line each) or as JSON lines. */
import { hostPort } from '../describe';
import type { ApplyResult } from '../apply/types';
import type { HealthTransition, QuorumTransition } from '../health/types';
import { formatStep, serviceLabel } from '../table/format-plan';
import type { DestinationKey, ServiceKey } from '../types';
import type { ApplyReason, LogRecord } from './types';

export function serverLabel(service: ServiceKey, destination: DestinationKey): string {
  return `${serviceLabel(service)} -> ${hostPort(destination.address, destination.port)}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** keepalived's words: a server "is gone" / "is back". */
export function transitionRecord(t: HealthTransition): LogRecord {
  const what = t.to === 'down' ? 'is gone' : 'is back';
  return {
    time: t.at, level: t.to === 'down' ? 'warn' : 'info', event: 'transition',
    message: `${serverLabel(t.service, t.destination)} ${what} (${t.from} for ${seconds(Math.max(0, t.at - t.since))}): ${t.reason}`,
    service: serviceLabel(t.service), server: hostPort(t.destination.address, t.destination.port), from: t.from, to: t.to, reason: t.reason,
  };
}

/** sorry: the service's sorry server, if it has one (it takes the traffic while the quorum is lost). */
export function quorumRecord(q: QuorumTransition, sorry?: DestinationKey): LogRecord {
  const note = sorry ? `: sorry server ${hostPort(sorry.address, sorry.port)} ${q.up ? 'out' : 'in'}` : '';
  return {
    time: q.at, level: q.up ? 'info' : 'warn', event: 'quorum',
    message: `${serviceLabel(q.service)} ${q.up ? 'regained' : 'lost'} its quorum (healthy weight ${q.weight})${note}`,
    service: serviceLabel(q.service), up: q.up, weight: q.weight,
  };
}

/** One line per apply: each step that took effect or failed, `;`-separated. Null for an apply that changed nothing and failed nothing. */
export function applyRecord(time: number, reasons: readonly ApplyReason[], result: ApplyResult): LogRecord | null {
  const failed = result.results.filter((r) => r.outcome === 'failed' || r.outcome === 'unknown' || r.outcome === 'not-sent');
  const done = result.results.filter((r) => r.outcome === 'applied');
  if (!done.length && !failed.length && !reasons.includes('start')) return null;
  const parts = [
    ...done.map((r) => formatStep(r.step)),
    ...failed.map((r) => `${formatStep(r.step)}: ${r.outcome}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}`),
  ];
  const what = parts.length ? parts.join('; ') : 'the kernel already holds the table';
  const draining = result.draining.length ? ` (${result.draining.length} draining)` : '';
  return {
    time, level: failed.length ? 'error' : 'info', event: 'apply',
    message: `apply (${reasons.join(', ')}): ${what}${draining}`,
    reasons: [...reasons], applied: done.length, failed: failed.length, draining: result.draining.length,
  };
}

export function formatText(record: LogRecord): string {
  return `${new Date(record.time).toISOString()} ${record.level.padEnd(5)} ${record.event}: ${record.message}\n`;
}

export function formatJson(record: LogRecord): string {
  return `${JSON.stringify({ ...record, time: new Date(record.time).toISOString() })}\n`;
}
