// Participant names come from meeting attendees: untrusted text that becomes a folder name. This turns
// any string into one path segment that cannot climb out of its parent, on Linux, macOS or Windows.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Separators, characters Windows forbids in names, and bidi overrides (they make names lie on screen). */
const FORBIDDEN = /[/\\<>:"|?*\u202a-\u202e\u2066-\u2069]/g;
/** CON, PRN, AUX, NUL, COM0-9, LPT0-9 (also with an extension): reserved devices on Windows. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;

/** Cuts to at most maxBytes of UTF-8 without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  let bytes = 0;
  let out = "";
  for (const char of text) {
    const size = Buffer.byteLength(char, "utf8");
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/**
 * One safe path segment: no separators, control characters or NUL, no leading dots (so never "." or ".."
 * or hidden), no runs of dots, no trailing dots or spaces, not a Windows device name, at most `maxBytes`
 * of UTF-8 (default 100), emoji and other scripts kept. Empty input becomes "unknown".
 * Idempotent: safePathSegment(safePathSegment(x)) === safePathSegment(x).
 */
export function safePathSegment(name: unknown, maxBytes = 100): string {
  const limit = Math.max(8, Math.floor(maxBytes));
  let text = typeof name === "string" ? name : name === null || name === undefined ? "" : String(name);
  text = text
    .normalize("NFC")
    .replace(LONE_SURROGATE, "_")
    .replace(CONTROL, "_")
    .replace(FORBIDDEN, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[\s.]+/, "");
  text = truncateUtf8(text, limit).replace(/[\s.]+$/, "");
  if (WINDOWS_RESERVED.test(text)) text = truncateUtf8(`_${text}`, limit).replace(/[\s.]+$/, "");
  return text === "" ? "unknown" : text;
}
