/**
 * YAML and JSON text -> a YAML document whose every node knows its place in the file. The document's
 * nodes are read as they are (see read.ts), never turned into JavaScript wholesale: aliases are
 * refused where they stand instead of being expanded (no "billion laughs"), and a key such as
 * `__proto__` stays a name to check, never a property set on an object.
 */
import type * as Yaml from 'yaml';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { clip, show } from '../errors';
import type { Place, Problems } from './problems';

export type { YamlNode };

let yamlModule: typeof Yaml | undefined;
/** The yaml package (72 modules) loads with the first config read, not with the library. */
const yaml = (): typeof Yaml => (yamlModule ??= require('yaml') as typeof Yaml);

// A node exists only once a document was parsed, so these never load yaml themselves.
export const isMap = (node: unknown): node is Yaml.YAMLMap => yaml().isMap(node);
export const isSeq = (node: unknown): node is Yaml.YAMLSeq => yaml().isSeq(node);
export const isScalar = (node: unknown): node is Yaml.Scalar => yaml().isScalar(node);
const isAlias = (node: unknown): node is Yaml.Alias => yaml().isAlias(node);

export class Source {
  private readonly lines: LineCounter;
  readonly root: YamlNode | null;

  constructor(doc: Document.Parsed, lines: LineCounter) {
    this.lines = lines;
    this.root = doc.contents;
  }

  placeAt(offset: number): Place {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  placeOf(node: YamlNode): Place {
    return this.placeAt(node.range?.[0] ?? 0);
  }
}

/** The document, or null when the text has a syntax problem (each one added to problems). */
export function parseSource(text: string, json: boolean, problems: Problems): Source | null {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      // YAML 1.2's core schema: `yes`, `on` and `0777` are not booleans and octals, as in YAML 1.1.
      schema: json ? 'json' : 'core',
      version: '1.2',
      merge: false,
      // The parser's own check compares each key with every earlier one: 20,000 keys in one mapping took
      // it 10 s. Duplicates are found by name in read.ts instead (the only mappings whose keys matter).
      uniqueKeys: false,
      strict: true,
      prettyErrors: false,
    });
  } catch (err) {
    // The parser reports problems in doc.errors; whatever it throws instead is a problem of this text all the same.
    problems.add({ line: 1, column: 1 }, '', `cannot be parsed (${err instanceof Error ? err.message : show(err)})`);
    return null;
  }
  const source = new Source(doc, lines);
  // Warnings too (an unknown tag such as `!foo`): a config file means exactly one thing or is refused.
  for (const e of [...doc.errors, ...doc.warnings]) problems.add(source.placeAt(e.pos[0]), '', syntaxMessage(e.code, e.message));
  return problems.empty ? source : null;
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'more than one YAML document (`---`): a config file is one';
  return message.split('\n')[0];
}

/** A node's scalar as JavaScript: string, number, boolean or null; undefined when it is not a scalar. */
export function scalarOf(node: YamlNode | null): unknown {
  if (node === null) return null;
  return isScalar(node) ? node.value : undefined;
}

/** Deepest a value is shown in a message; past it, '…'. */
const SHOW_DEPTH = 3;

/**
 * What a validator is given for a node where the schema expects a value: scalars as they are, collections
 * as arrays and prototype-less objects (shown in messages; keys are never looked up in them).
 */
export function plainOf(node: YamlNode | null, depth = 0): unknown {
  if (node === null) return null;
  if (isScalar(node)) return node.value;
  if (depth >= SHOW_DEPTH) return '…';
  if (isSeq(node)) return node.items.map((item) => plainOf(item as YamlNode | null, depth + 1));
  if (isMap(node)) {
    const obj = Object.create(null) as Record<string, unknown>;
    for (const pair of node.items) {
      const key = scalarOf(pair.key as YamlNode | null);
      obj[String(key)] = plainOf(pair.value as YamlNode | null, depth + 1);
    }
    return obj;
  }
  return '…';
}

/** True for an alias anywhere in node (the place of the first one goes to problems). */
export function hasAlias(node: YamlNode | null, source: Source, problems: Problems, field: string): boolean {
  if (node === null) return false;
  if (isAlias(node)) {
    problems.add(source.placeOf(node), field, `an alias (*${clip(node.source)}) is not accepted: write the value out`);
    return true;
  }
  if (isSeq(node)) return node.items.some((item, i) => hasAlias(item as YamlNode | null, source, problems, `${field}[${i}]`));
  if (isMap(node))
    return node.items.some((pair) => hasAlias(pair.key as YamlNode | null, source, problems, field) ||
      hasAlias(pair.value as YamlNode | null, source, problems, `${field}.${String(scalarOf(pair.key as YamlNode | null))}`));
  return false;
}
