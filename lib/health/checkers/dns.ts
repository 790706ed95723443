/**
 * DNS_CHECK: one query of the chosen type and name sent to the target. Up when the server answers
 * with NOERROR, with records or without (NODATA: it answered, and the question was its to answer);
 * down on an error code (NXDOMAIN, SERVFAIL, REFUSED: keepalived's check fails on a non-zero
 * rcode too), no answer within the timeout, or a refused port. c-ares does the query (node:dns
 * Resolver, one per attempt so that cancelling it cancels only this attempt).
 */
import { Resolver } from 'node:dns/promises';
import type { CheckOutcome, DnsCheckSettings } from '../types';
import { errorCode, timedAttempt, timedOut, type Probe } from './attempt';

/** c-ares codes for an answer without records: the server answered NOERROR. */
const NO_RECORDS = new Set(['ENODATA']);
/** c-ares codes for the response codes, named as DNS does. */
const RCODE: Readonly<Record<string, string>> = {
  ENOTFOUND: 'NXDOMAIN', ESERVFAIL: 'SERVFAIL', EREFUSED: 'REFUSED', ENOTIMP: 'NOTIMP', EFORMERR: 'FORMERR',
};

export function dnsProbe(settings: DnsCheckSettings): Probe {
  const type = settings.type ?? 'SOA';
  const name = settings.name ?? '.';
  return {
    start: (target, timeoutMs, done) => timedAttempt(timeoutMs, done, () => timedOut(timeoutMs), (finish) => {
      // tries 1: the monitor's retries are the retries; c-ares' own would hide them.
      const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
      resolver.setServers([target.family === 'inet6' ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`]);
      resolver.resolve(name, type).then(
        (records) => finish({ ok: true, reason: `${type} ${name}: ${Array.isArray(records) ? records.length : 1} record(s)` }),
        (err: unknown) => finish(failure(err, type, name)),
      );
      return () => resolver.cancel();
    }),
  };
}

function failure(err: unknown, type: string, name: string): CheckOutcome {
  const code = errorCode(err);
  if (NO_RECORDS.has(code)) return { ok: true, reason: `${type} ${name}: no records` };
  if (Object.hasOwn(RCODE, code)) return { ok: false, reason: `${type} ${name}: ${RCODE[code]}` };
  if (code === 'ETIMEOUT') return { ok: false, reason: `no answer to ${type} ${name}` };
  return { ok: false, reason: `${type} ${name}: ${code}` };
}
