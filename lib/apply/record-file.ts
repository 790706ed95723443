/**
 * The ownership record as a JSON file. Written atomically (a temporary file beside it, fsync,
 * rename, fsync of the directory): a crash leaves the old record or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IpvsValidationError } from '../errors';
import { checkRecord, emptyRecord } from './record';
import type { OwnershipRecord, OwnershipStore } from './types';

/** A record is small (a few keys per service): a bigger file is not one. */
const MAX_BYTES = 64 * 1024 * 1024;

export function fileStore(file: string): OwnershipStore {
  return { load: () => loadFile(file), save: (record) => saveFile(file, record) };
}

async function loadFile(file: string): Promise<OwnershipRecord> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new IpvsValidationError('options.ownership.file', file, 'a regular file');
      if (stat.size > MAX_BYTES) throw new IpvsValidationError('options.ownership.file', file, `a file of at most ${MAX_BYTES} bytes`);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyRecord(); // first run
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IpvsValidationError(`ownership record ${file}`, text.slice(0, 40), 'JSON');
  }
  return checkRecord(value, `ownership record ${file}`);
}

async function saveFile(file: string, record: OwnershipRecord): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  // The rename itself is durable only once the directory is.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

