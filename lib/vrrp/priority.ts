/**
 * Priority tracking as keepalived's track_script / track_interface: each tracked input is up or
 * down; a positive weight is added while it is up, a negative one subtracted while it is down, and
 * an input of weight 0 that is down puts the router in fault. The result stays within 1-254 (an
 * address owner's 255 is never changed: its inputs all have weight 0).
 */
import { OWNER_PRIORITY, type TrackSpec } from './options';

export class TrackSet {
  private readonly inputs = new Map<string, Required<TrackSpec>>();

  constructor(private readonly base: number, specs: readonly Required<TrackSpec>[]) {
    for (const spec of specs) this.inputs.set(spec.name, { ...spec });
  }

  has(name: string): boolean {
    return this.inputs.has(name);
  }

  /** Records an input's state; true when it changed. */
  set(name: string, up: boolean): boolean {
    const input = this.inputs.get(name);
    if (!input || input.up === up) return false;
    input.up = up;
    return true;
  }

  /** The priority the router advertises now. */
  effective(): number {
    if (this.base === OWNER_PRIORITY) return OWNER_PRIORITY;
    let p = this.base;
    for (const { weight, up } of this.inputs.values()) {
      if (weight > 0 && up) p += weight;
      else if (weight < 0 && !up) p += weight;
    }
    return Math.min(OWNER_PRIORITY - 1, Math.max(1, p));
  }

  /** The names of the weight-0 inputs that are down (fault while any). */
  faults(): string[] {
    return [...this.inputs.values()].filter((t) => t.weight === 0 && !t.up).map((t) => t.name);
  }

  states(): { name: string; weight: number; up: boolean }[] {
    return [...this.inputs.values()].map(({ name, weight, up }) => ({ name, weight, up }));
  }
}
