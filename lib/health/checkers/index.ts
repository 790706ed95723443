/** The built-in checkers by type. */
import { IpvsValidationError } from '../../errors';
import type { Checker, HealthCheckSpec } from '../types';
import { probeChecker, type Probe } from './attempt';
import { dnsProbe } from './dns';
import { execProbe } from './exec';
import { httpProbe } from './http';
import { tcpProbe } from './tcp';

/** A checker for a built-in type ('none' is not checked: the monitor keeps such servers up). */
export function createChecker(spec: HealthCheckSpec): Checker {
  return probeChecker(createProbe(spec));
}

/** The same, as the probe the monitor runs (no promise or signal per attempt). */
export function createProbe(spec: HealthCheckSpec): Probe {
  switch (spec.type) {
    case 'tcp': return tcpProbe;
    case 'http': return httpProbe(spec.http ?? {}, false);
    case 'https': return httpProbe(spec.http ?? {}, true);
    case 'dns': return dnsProbe(spec.dns ?? {});
    case 'exec':
      if (!spec.exec) throw new IpvsValidationError('check.exec', undefined, 'exec settings with a command');
      return execProbe(spec.exec);
    default:
      throw new IpvsValidationError('check.type', spec.type, "one of 'tcp', 'http', 'https', 'dns', 'exec' (a custom type needs its checker)");
  }
}
