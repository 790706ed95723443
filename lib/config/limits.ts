/**
 * Bounds checked before a parser sees the text. The YAML parser's cost grows much faster than the
 * text with nesting: 100,000 levels of `- - - …` (200 KB) take it past 1.7 GB and abort the process,
 * and 2,000,000 `[` take 15 s. A desired table nests 6 levels deep, so a text nesting past these
 * bounds is refused, as is one larger than a table of 10,000 services with 4 destinations each needs
 * several times over.
 */

/** Largest config text, in bytes of UTF-8. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** Deepest flow nesting: `[` and `{` not yet closed (counted everywhere, quotes and comments too: an upper bound). */
export const MAX_FLOW_DEPTH = 64;
/** Deepest block nesting on a line: its indentation plus the `- `, `? ` and `: ` that open a collection on it. */
export const MAX_LINE_DEPTH = 256;

export interface LimitProblem {
  line: number;
  column: number;
  message: string;
}

export function checkLimits(text: string): LimitProblem | null {
  // Characters are at most 3 bytes of UTF-8 each (a surrogate pair is 2 characters for 4 bytes):
  // counting bytes exactly is needed only near the bound.
  if (text.length * 3 > MAX_CONFIG_BYTES && Buffer.byteLength(text) > MAX_CONFIG_BYTES)
    return { line: 1, column: 1, message: `the file is larger than ${MAX_CONFIG_BYTES} bytes` };
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let leading = true;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
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
    const next = text.charCodeAt(i + 1);
    const indicator = (c === 0x2d || c === 0x3f || c === 0x3a) && (next === 0x20 || next === 0x09);
    if (c === 0x20 || c === 0x09 || indicator) {
      if (++depth > MAX_LINE_DEPTH)
        return { line, column: i - lineStart + 1, message: `the line is indented or nested deeper than ${MAX_LINE_DEPTH} levels` };
    } else leading = false;
  }
  return null;
}
