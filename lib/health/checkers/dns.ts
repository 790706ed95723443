/**
 * DNS_CHECK: one query of the chosen type and name sent to the target. Up when the server answers
 * with NOERROR, with records or without (NODATA: it answered, and the question was its to answer);
 * down on an error code (NXDOMAIN, SERVFAIL, REFUSED: keepalived's check fails on a non-zero
 * rcode too), no answer within the timeout, or a refused port. c-ares does the query (node:dns
 * Resolver, one per attempt so that cancelling it cancels only this attempt).
 */
import { Resolver } from 'node:dns/promises';
import type { Checker, CheckOutcome, CheckTarget, DnsCheckSettings } from '../types';
import { bounded, errorCode } from './attempt';

/** c-ares codes for an answer without records: the server answered NOERROR. */
const NO_RECORDS = new Set(['ENODATA']);
/** c-ares codes for the response codes, named as DNS does. */
const RCODE: Readonly<Record<string, string>> = {
  ENOTFOUND: 'NXDOMAIN', ESERVFAIL: 'SERVFAIL', EREFUSED: 'REFUSED', ENOTIMP: 'NOTIMP', EFORMERR: 'FORMERR',
};

export function dnsChecker(settings: DnsCheckSettings): Checker {
  const type = settings.type ?? 'SOA';
  const name = settings.name ?? '.';
  return { check: (target, timeoutMs, signal) => bounded(timeoutMs, signal, (inner) => query(target, timeoutMs, inner, type, name)) };
}

async function query(target: CheckTarget, timeoutMs: number, signal: AbortSignal, type: string, name: string): Promise<CheckOutcome> {
  // tries 1: the monitor's retries are the retries; c-ares' own would hide them.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([target.family === 'inet6' ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`]);
  const cancel = (): void => resolver.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const records = await resolver.resolve(name, type);
    return { ok: true, reason: `${type} ${name}: ${Array.isArray(records) ? records.length : 1} record(s)` };
  } catch (err) {
    const code = errorCode(err);
    if (NO_RECORDS.has(code)) return { ok: true, reason: `${type} ${name}: no records` };
    if (Object.hasOwn(RCODE, code)) return { ok: false, reason: `${type} ${name}: ${RCODE[code]}` };
    if (code === 'ETIMEOUT') return { ok: false, reason: `no answer to ${type} ${name}` };
    return { ok: false, reason: `${type} ${name}: ${code}` };
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
