// How deeply a JSON text nests, read from the raw bytes with a loop and a counter: no recursion, so no
// input can overflow the stack here. The webhook refuses deep bodies with this before JSON.parse, because
// a parsed 5,000-deep object later overflows the (recursive) JSON.stringify that enqueueing does.

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True when `json` nests objects/arrays more than `maxDepth` deep (brackets inside strings do not count). */
export function exceedsJsonDepth(json: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped byte cannot end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
