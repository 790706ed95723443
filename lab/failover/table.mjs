// The failover figures side by side: one row per event, per pair its failover time, the held
// connections alive of those held, and the new connections that failed.

const cell = (r) => (r ? `${r.longestGap} ms (master ${r.takeover ?? '-'}) ${r.alive}/${r.held}${r.late ? ` +${r.late.alive}/${r.late.held}` : ''} ${r.newFailed}` : '-');

/** results: [{ title, rows: [{ what, longestGap, takeover, alive, held, newFailed }] }] → lines of text. */
export function sideBySide(results) {
  const events = [...new Set(results.flatMap((r) => r.rows.map((row) => row.what)))];
  const head = ['event', ...results.map((r) => r.title)];
  const body = events.map((what) => [what, ...results.map((r) => cell(r.rows.find((row) => row.what === what)))]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  return [
    'each cell: failover ms (the longest gap between replies on the held connections; master: ms from the event to the taking-over agent logging master), held alive/held (+ on a failback: alive of those opened through dir2 while it was master), new connections failed',
    line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line),
  ];
}
