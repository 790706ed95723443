// The health scenario's side-by-side table: the director agent and keepalived on each row, with
// a verdict (lower is better everywhere; times within a tolerance count as the same).

const ms = (x) => (x === null ? 'never' : `${x.toLocaleString('en')} ms`);
const n = (x) => (x === null ? '–' : String(x));

/** [label, value(m) (a number, lower is better, null = never), shown(m), tolerance]. */
function rows(settings) {
  return [
    ['detection: stop → out of the kernel', (m) => m.detection, (m) => ms(m.detection), 100],
    ['requests failed before detection', (m) => m.failedBefore, (m) => n(m.failedBefore), 100 / settings.every],
    ['requests to it after detection', (m) => sum(m.failedAfter, m.hitsAfter), (m) => n(sum(m.failedAfter, m.hitsAfter)), 0],
    ['recovery: start → takes traffic', (m) => m.recovery, (m) => ms(m.recovery), 100],
    ['all down: sorry server answers after', (m) => m.sorry, (m) => `${ms(m.sorry)} (${n(m.sorryFailed)} failed)`, 100],
    ['all down: failures once it answers', (m) => m.sorryFailedAfter, (m) => n(m.sorryFailedAfter), 0],
    ['all back: rs1 answers again after', (m) => m.returned, (m) => `${ms(m.returned)} (sorry gone ${ms(m.sorryGone)})`, 100],
    ['drift: ipvsadm -d → restored', (m) => m.drift, (m) => (m.drift === null ? `not in ${ms(m.driftWaited)}` : ms(m.drift)), 100],
    ['reload: new server takes traffic after', (m) => m.reload, (m) => ms(m.reload), 100],
    ['reload: other servers disturbed', (m) => m.reloadTouched.length + m.countersReset.length,
      (m) => [...m.reloadTouched, ...m.countersReset.map((c) => `counters reset: ${c}`)].join('; ') || 'none', 0],
    ['reload: requests failed', (m) => m.reloadFailed, (m) => n(m.reloadFailed), 0],
  ];
}

const sum = (a, b) => (a === null || b === null ? null : a + b);

function verdict(ours, theirs, tolerance) {
  if (ours === null) return theirs === null ? 'same' : 'WORSE';
  if (theirs === null) return 'better';
  if (ours < theirs - tolerance) return 'better';
  return ours <= theirs + tolerance ? 'same' : 'WORSE';
}

/** Note lines: the settings, the table, and the rows where the agent is worse. */
export function compare(ours, theirs, settings) {
  const c = settings.check;
  const table = rows(settings).map(([label, value, shown, tolerance]) =>
    [label, shown(ours), shown(theirs), verdict(value(ours), value(theirs), tolerance)]);
  const head = ['', ours.name, theirs.name, 'node-ipvs is'];
  const width = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(width[i])).join(' │ ').trimEnd();
  const worse = table.filter((r) => r[3] === 'WORSE').map((r) => r[0]);
  return [
    `side by side, same cluster and numbers: HTTP check every ${c.interval} ms, timeout ${c.timeout} ms, fall ${c.fall} ` +
      `(keepalived: retry ${c.fall - 1}, delay_before_retry ${c.interval / 1000}), rise ${c.rise} (keepalived: retry + 1 good checks), ` +
      `resync ${settings.resync} ms, a request every ${settings.every} ms; each server stopped or started right after a check`,
    line(head),
    ...table.map(line),
    ...(worse.length ? [`node-ipvs worse on: ${worse.join('; ')}`] : []),
    ...(theirs.driftLog.length ? [`keepalived after the ipvsadm -d: ${theirs.driftLog.join(' | ')}`] : [`keepalived after the ipvsadm -d: logged nothing, did nothing`]),
    `keepalived's reload log: ${theirs.reloadLog.join(' | ') || 'nothing'}`,
  ];
}
