/** The problems of one config text, each placed at a line and column of the file. */
import { IpvsConfigError, IpvsValidationError, show, type ConfigProblem } from '../errors';

/** 1-based line and column. */
export interface Place {
  line: number;
  column: number;
}

/** More than this many problems are not listed: a file that is all wrong says so in its first few. */
export const MAX_PROBLEMS = 100;

export class Problems {
  readonly list: ConfigProblem[] = [];
  /** Problems past MAX_PROBLEMS: counted, not kept. */
  private dropped = 0;

  /** message may be a function: made only when the problem is kept (a did-you-mean costs time, and a file may have a million). */
  add(place: Place, field: string, message: string | (() => string)): void {
    if (this.list.length < MAX_PROBLEMS)
      this.list.push({ line: place.line, column: place.column, field, message: typeof message === 'string' ? message : message() });
    else this.dropped++;
  }

  /**
   * A validator's error, at the place of its field (or of the nearest enclosing field the file has a
   * place for). Anything else a validator throws is a bug of ours: said as the field's problem all the
   * same, so the caller still gets the typed error and every other problem.
   */
  addError(err: unknown, placeOf: (field: string) => Place, fallbackField: string): void {
    if (err instanceof IpvsValidationError) {
      // The validator's message is "FIELD: expected …"; the field goes in its own column.
      const prefix = `${err.field}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      this.add(placeOf(err.field), err.field, message);
    } else {
      this.add(placeOf(fallbackField), fallbackField, `cannot be read (${err instanceof Error ? err.message : show(err)})`);
    }
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws the typed error when there is any problem, problems in file order. */
  throwIfAny(file: string | undefined): void {
    if (this.empty) return;
    const sorted = this.list.slice().sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.dropped) {
      const last = sorted[sorted.length - 1];
      sorted.push({ line: last.line, column: last.column, field: '', message: `${this.dropped} more problems not listed (only the first ${MAX_PROBLEMS} are)` });
    }
    throw new IpvsConfigError(sorted, file);
  }
}
