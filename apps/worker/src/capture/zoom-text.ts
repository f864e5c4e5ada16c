// The one boundary where Zoom-side text (RTMS frames, msg 6 events, stop reasons) becomes text the worker
// stores. Free text (names, reasons) is cleaned: NUL and lone surrogates removed, length bounded. Ids are
// never rewritten: the raw user id is what msg 28 subscribes to and what names a participant's folder, so an
// id that is not clean is REFUSED and the frame or event that carries it is dropped (counted by reason).
import { dbText } from "./db-text.ts";

/** Longest user id accepted. Zoom sends integers or strings (PROTOCOL.md), a few digits long. */
export const MAX_ID_CHARS = 128;
/** Longest participant name stored (Zoom caps display names far below this). */
export const MAX_NAME_CHARS = 256;
/** Longest stop-reason text stored. */
export const MAX_REASON_CHARS = 512;

export type IdRefusal = "empty" | "too_long" | "control_char" | "bad_utf16";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why this id may not be stored, or undefined when it may. */
export function idRefusal(id: string): IdRefusal | undefined {
  return textRefusal(id, MAX_ID_CHARS);
}

/** As idRefusal, for any text that must be stored exactly as sent or not at all (ids, URLs). */
export function textRefusal(text: string, maxChars: number): IdRefusal | undefined {
  if (text.length === 0) return "empty";
  if (text.length > maxChars) return "too_long";
  if (CONTROL.test(text)) return "control_char";
  if (LONE_SURROGATE.test(text)) return "bad_utf16";
  return undefined;
}

export function cleanName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : dbText(name, MAX_NAME_CHARS);
}

export function cleanReason(text: string): string {
  return dbText(text, MAX_REASON_CHARS);
}

/**
 * A media timestamp the worker can use: a finite, non-negative integer of milliseconds (it becomes a
 * BIGINT column and part of a file name). Anything else drops the frame.
 */
export function usableTimestamp(ts: unknown): ts is number {
  return typeof ts === "number" && Number.isSafeInteger(ts) && ts >= 0;
}
