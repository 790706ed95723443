/** Reading one mapping of the `vrrp:` section: each field's value judged by a check, a complaint placed at that value. */
import type { Field, FieldReader } from './health-read';

/** An instance's (or a sync daemon's) name: also an argument of hooks and a key in logs. */
export const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The fields of one mapping, each value judged by its check; a check's complaint is a problem at that value. */
export class Judge {
  /** A field had a problem (the mapping's result is not used). */
  bad = false;

  constructor(private readonly reader: FieldReader, readonly fields: Map<string, Field>, readonly path: string) {}

  has(name: string): boolean {
    return this.fields.has(name);
  }

  at(name: string): string {
    return `${this.path}.${name}`;
  }

  /** The checked value, the fallback when the field is absent, undefined (and bad) when it has a problem. */
  take<T>(name: string, check: (value: unknown, field: string) => T, fallback?: T): T | undefined {
    const field = this.fields.get(name);
    if (!field) return fallback;
    const at = this.at(name);
    const value = this.reader.value(field, at);
    if (typeof value === 'symbol') {
      this.bad = true;
      return undefined;
    }
    return this.attempt(() => check(value, at), at);
  }

  attempt<T>(check: () => T, at: string): T | undefined {
    try {
      return check();
    } catch (err) {
      this.reader.problems.addError(err, (p) => this.reader.placeOfPath(p), at);
      this.bad = true;
      return undefined;
    }
  }

  problem(name: string, message: string): void {
    const at = name ? this.at(name) : this.path;
    this.reader.problems.add(this.reader.placeOfPath(at), at, message);
    this.bad = true;
  }

  missing(name: string, what: string): void {
    this.reader.problems.add(this.reader.placeOfPath(this.path), this.at(name), `missing: ${what}`);
    this.bad = true;
  }
}
