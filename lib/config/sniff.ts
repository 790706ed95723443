/** Which format a config text is in: the caller's word, else the file's extension, else its first meaningful line. */
import type { ConfigFormat } from './desired';

const EXTENSIONS = new Map<string, ConfigFormat>([['.yaml', 'yaml'], ['.yml', 'yaml'], ['.json', 'json']]);

/** A command line of ipvsadm rules text: `-A -t …`, `--add-service …`, `ipvsadm -a …` (YAML's `- ` has a blank after the dash). */
const RULES_LINE = /^(ipvsadm\s+)?--?[A-Za-z]/;

export function formatOf(text: string, path: string | undefined): ConfigFormat {
  const dot = path ? path.lastIndexOf('.') : -1;
  if (path && dot > path.lastIndexOf('/')) {
    const known = EXTENSIONS.get(path.slice(dot).toLowerCase());
    if (known) return known;
  }
  return sniff(text);
}

function sniff(text: string): ConfigFormat {
  // Line by line without splitting the whole text: the first meaningful line decides.
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('{') || line.startsWith('[')) return 'json';
    return RULES_LINE.test(line) ? 'rules' : 'yaml';
  }
  return 'yaml';
}
