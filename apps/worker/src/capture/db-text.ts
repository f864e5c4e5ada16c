/**
 * Postgres text and jsonb cannot hold NUL: a participant named "a\u0000b" would otherwise make every
 * batch that carries it fail forever.
 */
export function dbText(text: string): string {
  return text.replaceAll("\u0000", "");
}
