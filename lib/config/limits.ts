/**
 * Bounds checked before a parser sees the text. The YAML parser's cost grows much faster than the
 * text with nesting: 100,000 levels of `- - - …` (200 KB) take it past 1.7 GB and abort the process,
 * and 2,000,000 `[` take 15 s. A desired table nests 6 levels deep, so a text nesting past these
 * bounds is refused. Even flat, each value the parser makes costs it about 1.2 KB and 15 µs: 4 MB of
 * `1,1,1,…` is 2.4 GB and 30 s. So a YAML or JSON text is refused past MAX_CONFIG_ITEMS of the
 * characters that can start a value (an upper bound on the values: `,` `:` `[` `]` `{` `}`, line ends,
 * and `-`/`?` before a blank), which keeps the parser under about 1 GB. A table of 10,000 services
 * with 4 destinations each counts 400,000 in YAML, 720,000 in indented JSON. Rules text is read line
 * by line without such a cost: only its size is bounded.
 */

/** Largest config text, in bytes of UTF-8. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** Most value-starting characters in a YAML or JSON text (see above). */
export const MAX_CONFIG_ITEMS = 800_000;
/** Deepest flow nesting: `[` and `{` not yet closed (counted everywhere, quotes and comments too: an upper bound). */
export const MAX_FLOW_DEPTH = 64;
/** Deepest block nesting on a line: its indentation plus the `- `, `? ` and `: ` that open a collection on it. */
export const MAX_LINE_DEPTH = 256;

export interface LimitProblem {
  line: number;
  column: number;
  message: string;
}

/** The first bound the text passes, or null. `document`: YAML or JSON (the item count applies). */
export function checkLimits(text: string, document: boolean): LimitProblem | null {
  // Characters are at most 3 bytes of UTF-8 each (a surrogate pair is 2 characters for 4 bytes):
  // counting bytes exactly is needed only near the bound.
  if (text.length * 3 > MAX_CONFIG_BYTES && Buffer.byteLength(text) > MAX_CONFIG_BYTES)
    return { line: 1, column: 1, message: `the file is larger than ${MAX_CONFIG_BYTES} bytes` };
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let leading = true;
  let depth = 0;
  let items = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (document && (c === 0x0a || c === 0x2c || c === 0x3a || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d ||
        ((c === 0x2d || c === 0x3f) && (next === 0x20 || next === 0x09 || next === 0x0a))) && ++items > MAX_CONFIG_ITEMS)
      return { line, column: i - lineStart + 1, message: `the file holds more than ${MAX_CONFIG_ITEMS} values (write a table this large as rules text)` };
    if (c === 0x0a) {
      line++;
      lineStart = i + 1;
      leading = true;
      depth = 0;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (++flow > MAX_FLOW_DEPTH)
        return { line, column: i - lineStart + 1, message: `brackets nest deeper than ${MAX_FLOW_DEPTH} levels` };
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    if (!leading) continue;
    // Leading blanks and collection indicators each open at most one level.
    const indicator = (c === 0x2d || c === 0x3f || c === 0x3a) && (next === 0x20 || next === 0x09);
    if (c === 0x20 || c === 0x09 || indicator) {
      if (++depth > MAX_LINE_DEPTH)
        return { line, column: i - lineStart + 1, message: `the line is indented or nested deeper than ${MAX_LINE_DEPTH} levels` };
    } else leading = false;
  }
  return null;
}
