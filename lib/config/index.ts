/**
 * The desired-state config file: YAML, JSON or ipvsadm rules text -> the desired table (docs/config.md).
 * Nothing partial: a text with any problem throws IpvsConfigError listing them all.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { IpvsConfigError, IpvsValidationError } from '../errors';
import type { ConfigFile, ConfigFormat, DesiredTable, ParseConfigOptions } from './desired';
import { parseSource } from './document';
import type { HealthTable } from '../health/types';
import { defaultDirectorSettings } from './director-settings';
import { defaultVrrpSettings } from './vrrp-settings';
import { MAX_CONFIG_BYTES, checkLimits } from './limits';
import { Problems } from './problems';
import { DocumentReader } from './read';
import { readRules } from './rules';
import { formatOf } from './sniff';

const FORMATS: readonly ConfigFormat[] = ['yaml', 'json', 'rules'];

/** Reads a config text into its desired table. Throws IpvsConfigError (every problem, with line, column and field). */
export function parseConfig(text: string, options: ParseConfigOptions = {}): ConfigFile {
  if (typeof options !== 'object' || options === null) throw new IpvsValidationError('options', options, 'an object');
  const path = Object.hasOwn(options, 'path') ? options.path : undefined;
  const given = Object.hasOwn(options, 'format') ? options.format : undefined;
  if (path !== undefined && typeof path !== 'string') throw new IpvsValidationError('options.path', path, 'a file name (a string)');
  if (given !== undefined && !FORMATS.includes(given)) throw new IpvsValidationError('options.format', given, "'yaml', 'json' or 'rules'");
  if (typeof text !== 'string') throw new IpvsValidationError('text', text, 'the config text (a string)');

  const problems = new Problems();
  // A byte order mark is not part of the text (editors on some systems write one).
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const format = given ?? formatOf(body, path);
  const limit = checkLimits(body, format !== 'rules');
  if (limit) {
    problems.add(limit, '', limit.message);
    problems.throwIfAny(path);
  }
  let table: DesiredTable | null = null;
  let health: HealthTable = { services: [] };
  let director = defaultDirectorSettings();
  let vrrp = defaultVrrpSettings();
  try {
    if (format === 'rules') table = readRules(body, problems);
    else {
      const source = parseSource(body, format === 'json', problems);
      const reader = source && new DocumentReader(source, problems);
      table = reader && reader.read();
      if (reader) ({ director, vrrp } = reader);
      if (reader) health = reader.health.table();
    }
  } catch (err) {
    // A parser's or validator's surprise is still a problem of this text: the caller gets the typed error.
    problems.add({ line: 1, column: 1 }, '', `cannot be read (${err instanceof Error ? err.message : String(err)})`);
  }
  problems.throwIfAny(path);
  return { format, table: table!, health, director, vrrp };
}

/**
 * Reads the config file at path (a regular file of at most MAX_CONFIG_BYTES, UTF-8) and parses it.
 * Throws IpvsConfigError for what the file says, and the file system's own error (ENOENT, EACCES …)
 * when it cannot be read.
 */
export async function readConfig(path: string, options: Omit<ParseConfigOptions, 'path'> = {}): Promise<ConfigFile> {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new IpvsValidationError('path', path, 'a file name');
  if (typeof options !== 'object' || options === null) throw new IpvsValidationError('options', options, 'an object');
  const format = Object.hasOwn(options, 'format') ? options.format : undefined;
  // Non-blocking, so that a FIFO given by mistake is refused (not a regular file) without waiting for a writer.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const fail = (message: string): never => {
      throw new IpvsConfigError([{ line: 1, column: 1, field: '', message }], path);
    };
    const stat = await file.stat();
    if (!stat.isFile()) fail('not a regular file');
    if (stat.size > MAX_CONFIG_BYTES) fail(`the file is larger than ${MAX_CONFIG_BYTES} bytes`);
    // Read to the end, not to the size stat gave: the file may be growing; past the bound it is refused.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_BYTES) fail(`the file is larger than ${MAX_CONFIG_BYTES} bytes`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, length));
    } catch {
      return fail('not UTF-8 text');
    }
    return parseConfig(text, { path, format });
  } finally {
    await file.close();
  }
}

const READ_CHUNK_BYTES = 256 * 1024;
