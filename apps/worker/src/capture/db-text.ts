/**
 * Postgres text and jsonb cannot hold NUL, and a lone UTF-16 surrogate cannot be encoded as UTF-8: a
 * participant named "a\u0000b" would otherwise make every batch that carries it fail forever. Both are
 * removed (free text only; ids are refused instead, see zoom-text.ts).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function dbText(text: string, maxChars = 1024): string {
  const clean = text.replace(UNSTORABLE, "");
  if (clean.length <= maxChars) return clean;
  // Never cut a surrogate pair in half (that would make the text unstorable again).
  const cut = clean.slice(0, maxChars);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
