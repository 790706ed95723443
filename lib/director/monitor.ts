/** The monitor a Director makes when given none: lib/health's HealthMonitor. */
import type { DirectorMonitor } from './types';

export function defaultMonitor(): DirectorMonitor {
  // TODO(merge h/health): new HealthMonitor() once lib/health exports it.
  throw new Error('no HealthMonitor yet: give options.monitor');
}
