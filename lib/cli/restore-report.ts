/**
 * The failures of a restore on standard error. Lines that failed alike (same outcome, same code,
 * same command) are reported once with their count and the first few: 40,000 destinations refused
 * because `lo` is down make one paragraph, not 40,000 lines.
 */
import type { RestoreLineResult } from '../types';

/** Groups up to this size are listed in full; bigger ones show this many lines. */
const SHOWN = 3;

function why(l: RestoreLineResult): string {
  return l.status === 'skipped' ? 'skipped (an earlier line failed)' : l.error?.message ?? l.status;
}

function what(l: RestoreLineResult): string {
  if (l.status === 'skipped') return 'were skipped (an earlier line failed)';
  const code = l.error?.code ?? 'no code';
  return l.status === 'unknown' ? `have an unknown outcome (${code}, ${l.operation.op})` : `failed with ${code} (${l.operation.op})`;
}

export function failureReport(lines: readonly RestoreLineResult[]): string {
  const groups = new Map<string, RestoreLineResult[]>();
  for (const l of lines) {
    if (l.status === 'applied') continue;
    const key = `${l.status}|${l.error?.code ?? ''}|${l.operation.op}`;
    const group = groups.get(key);
    if (group) group.push(l);
    else groups.set(key, [l]);
  }
  let out = '';
  for (const group of groups.values()) {
    if (group.length <= SHOWN + 1) {
      for (const l of group) out += `line ${l.line}: ${l.text.trim()}: ${why(l)}\n`;
      continue;
    }
    const [first] = group;
    out += first.status === 'skipped'
      ? `${group.length} lines ${what(first)}, from line ${first.line}\n`
      : `${group.length} lines ${what(first)}; the first, line ${first.line}: ${why(first)}\n`;
    for (const l of group.slice(0, SHOWN)) out += `  line ${l.line}: ${l.text.trim()}\n`;
    out += `  ... and ${group.length - SHOWN} more (--json lists every line)\n`;
  }
  return out;
}
