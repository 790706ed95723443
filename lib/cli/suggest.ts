/** "did you mean list?": the nearest subcommand to a mistyped one, or to an ipvsadm option. */
import { distance } from '../distance';

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
