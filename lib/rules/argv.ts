/**
 * ipvsadm's command-line grammar, as popt reads it: words split on blanks
 * (quotes group), short options with their value attached or in the next
 * word (`-s rr`, `-srr`), grouped flags (`-6o`), long options with `=` or a
 * following word, and `-p`'s optional value (taken only when the next word
 * does not start with '-').
 */

export type Arity = 'none' | 'required' | 'optional';

export interface OptionSpec {
  /** Name used in the parsed result and in messages: the long spelling. */
  name: string;
  short?: string;
  arity: Arity;
}

export interface ParsedOption {
  name: string;
  value?: string;
  /** How it was written, for messages. */
  spelling: string;
}

export class ArgvError extends Error {}

/** Splits a line into words: blanks separate, '…' and "…" group, as config_stream.c does. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new ArgvError(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

export interface OptionTable {
  byLong: Map<string, OptionSpec>;
  byShort: Map<string, OptionSpec>;
}

/** Index the specs once; parseArgv runs per line. */
export function optionTable(specs: readonly OptionSpec[]): OptionTable {
  return {
    byLong: new Map(specs.map((s) => [s.name, s])),
    byShort: new Map(specs.filter((s) => s.short).map((s) => [s.short!, s])),
  };
}

/** Words that are no option go to `positionals` when given (ipvsadm's `--set TCP TCPFIN UDP`), else are refused. */
export function parseArgv(words: readonly string[], { byLong, byShort }: OptionTable, positionals?: string[]): ParsedOption[] {
  const out: ParsedOption[] = [];
  let i = 0;
  const next = (spelling: string): string => {
    if (i >= words.length) throw new ArgvError(`option ${spelling} needs a value`);
    return words[i++];
  };
  const optional = (): string | undefined =>
    i < words.length && !words[i].startsWith('-') ? words[i++] : undefined;

  while (i < words.length) {
    const word = words[i++];
    if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) throw new ArgvError(`unknown option --${name}`);
      const spelling = `--${name}`;
      if (eq >= 0) {
        if (spec.arity === 'none') throw new ArgvError(`option ${spelling} takes no value`);
        out.push({ name: spec.name, value: word.slice(eq + 1), spelling });
      } else if (spec.arity === 'required') out.push({ name: spec.name, value: next(spelling), spelling });
      else if (spec.arity === 'optional') out.push({ name: spec.name, value: optional(), spelling });
      else out.push({ name: spec.name, spelling });
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const spec = byShort.get(word[k]);
        const spelling = `-${word[k]}`;
        if (!spec) throw new ArgvError(`unknown option ${spelling}`);
        if (spec.arity === 'none') {
          out.push({ name: spec.name, spelling });
          continue;
        }
        const rest = word.slice(k + 1);
        const value = rest !== '' ? rest : spec.arity === 'required' ? next(spelling) : optional();
        out.push({ name: spec.name, value, spelling });
        break;
      }
      continue;
    }
    if (!positionals) throw new ArgvError(`unexpected word ${JSON.stringify(word)}`);
    positionals.push(word);
  }
  return out;
}
