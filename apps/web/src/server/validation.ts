import { notFound } from "next/navigation";
import { z } from "zod";
import { AppError } from "./errors.ts";

/** Zod issues as one VALIDATION AppError with the first message per field (what forms display). */
export function validationError(error: z.ZodError): AppError {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    fieldErrors[key] ??= issue.message;
  }
  return new AppError("VALIDATION", Object.values(fieldErrors)[0] ?? "Invalid input", { fieldErrors });
}

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

// --- Ids and text from URLs -------------------------------------------------------------------------
// Row ids are cuids (letters and digits); a few external ids (team ids in webhook URLs) use - and _. A
// value of any other shape cannot name a row, and some shapes cannot even be sent to Postgres (a NUL byte,
// an unpaired surrogate: the query fails, which used to surface as a 500).

const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;
export const Id = z.string().regex(ID_SHAPE, "Not a valid id");

export function isIdShaped(raw: unknown): raw is string {
  return typeof raw === "string" && ID_SHAPE.test(raw);
}

/** For route handlers and library code: an id, or NOT_FOUND (404) for anything that cannot be one. */
export function parseId(raw: unknown): string {
  if (!isIdShaped(raw)) throw new AppError("NOT_FOUND", "Not found");
  return raw;
}

/** For pages: an id, or the 404 page. */
export function pageId(raw: unknown): string {
  if (!isIdShaped(raw)) notFound();
  return raw;
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls (NUL among them) and DEL; with `inText`, tab, newline and carriage return are ordinary. */
function hasControl(s: string, inText: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7f || (c < 0x20 && !(inText && (c === 0x09 || c === 0x0a || c === 0x0d)))) return true;
  }
  return false;
}

/** Text a Postgres text column accepts and a person could have meant: no NUL or other controls, no half characters. */
export function isStorableText(s: string): boolean {
  return !hasControl(s, true) && !UNPAIRED_SURROGATE.test(s);
}

export interface RefusedUrl {
  /** 404 when nothing can live at the path (a NUL in an id), 400 when the URL itself is malformed. */
  status: 400 | 404;
  reason: string;
}

/**
 * Why a request URL is refused before routing, or null when it is fine: every percent escape must decode
 * as UTF-8 (Next would throw on `%E0%A4%A`), and no control character (`%00`) may appear, which no id,
 * cursor or search term contains.
 */
export function refusedUrl(pathname: string, search = ""): RefusedUrl | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return { status: 400, reason: "malformed percent-encoding in the path" };
  }
  if (hasControl(path, false)) return { status: 404, reason: "control character in the path" };
  let query: string;
  try {
    query = decodeURIComponent(search.replaceAll("+", " "));
  } catch {
    return { status: 400, reason: "malformed percent-encoding in the query" };
  }
  if (hasControl(query, true)) return { status: 400, reason: "control character in the query" };
  return null;
}
