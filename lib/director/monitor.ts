/** The monitor a Director makes when given none: lib/health's HealthMonitor. */
import { HealthMonitor } from '../health';
import type { DirectorMonitor } from './types';

export function defaultMonitor(): DirectorMonitor {
  return new HealthMonitor();
}
