/** "did you mean list?": the nearest subcommand to a mistyped one, or to an ipvsadm option. */

/** ipvsadm's commands, for hands that type `node-ipvs -L`. */
const IPVSADM = new Map<string, string>([
  ['-L', 'list'], ['-l', 'list'], ['--list', 'list'], ['-S', 'save'], ['--save', 'save'],
  ['-R', 'restore'], ['--restore', 'restore'], ['-A', 'add-service'], ['--add-service', 'add-service'],
  ['-E', 'edit-service'], ['--edit-service', 'edit-service'], ['-D', 'delete-service'],
  ['--delete-service', 'delete-service'], ['-a', 'add-dest'], ['--add-server', 'add-dest'],
  ['-e', 'edit-dest'], ['--edit-server', 'edit-dest'], ['-d', 'delete-dest'], ['--delete-server', 'delete-dest'],
  ['-C', 'flush'], ['--clear', 'flush'], ['-Z', 'zero'], ['--zero', 'zero'], ['--set', 'timeouts'],
  ['--start-daemon', 'daemon start'], ['--stop-daemon', 'daemon stop'],
]);

/** Edit distance (insert, delete, substitute, swap of neighbours). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The command meant, or null when nothing is close (at most a third of the word wrong, and no tie). */
export function suggestCommand(typed: string, commands: readonly string[]): string | null {
  const ipvsadm = IPVSADM.get(typed);
  if (ipvsadm) return ipvsadm;
  // ipvsadm's bundled letters: -Ln, -Lnc, -lnc.
  const listing = /^-[lL]([nc]+)$/.exec(typed);
  if (listing) return listing[1].includes('c') ? 'list -c' : 'list';
  if (typed.length > 64) return null;
  const word = typed.toLowerCase();
  const prefixed = commands.filter((c) => word.length >= 2 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const scored = commands.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d);
  const [best, next] = scored;
  if (!best || best.d > Math.max(1, Math.floor(best.c.length / 3))) return null;
  if (next && next.d === best.d) return null;
  return best.c;
}
