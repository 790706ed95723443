/** The built-in checkers by type. */
import { IpvsValidationError } from '../../errors';
import type { Checker, HealthCheckSpec } from '../types';
import { dnsChecker } from './dns';
import { execChecker } from './exec';
import { httpChecker } from './http';
import { tcpChecker } from './tcp';

/** A checker for a built-in type ('none' is not checked: the monitor keeps such servers up). */
export function createChecker(spec: HealthCheckSpec): Checker {
  switch (spec.type) {
    case 'tcp': return tcpChecker();
    case 'http': return httpChecker(spec.http ?? {}, false);
    case 'https': return httpChecker(spec.http ?? {}, true);
    case 'dns': return dnsChecker(spec.dns ?? {});
    case 'exec':
      if (!spec.exec) throw new IpvsValidationError('check.exec', undefined, 'exec settings with a command');
      return execChecker(spec.exec);
    default:
      throw new IpvsValidationError('check.type', spec.type, "one of 'tcp', 'http', 'https', 'dns', 'exec' (a custom type needs its checker)");
  }
}
