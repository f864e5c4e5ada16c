// Storage keys, one piece of code for every store: the seed sample's layout under one folder per session,
//   <session>/<user_name>_<user_id>/<timestamp>.<jpg|png>
// Every name is made safe on the way out, and every key is re-checked on the way in, so a key read back from
// the database or a URL can never name anything but a frame (no "..", no separators, no control characters).
import { safePathSegment } from "./safe-path.ts";
import { FrameStoreError, type FrameWrite, isTempStorageKey } from "./store.ts";

const SESSION_MAX_BYTES = 100;
const USER_NAME_MAX_BYTES = 100;
const USER_ID_MAX_BYTES = 64;
const FILE_NAME = /^\d{1,16}\.(jpg|png)$/;

/** The key of one frame, or INVALID_FRAME when the frame cannot be named. */
export function frameStorageKey(frame: FrameWrite): string {
  if (!Number.isSafeInteger(frame.timestamp) || frame.timestamp < 0) {
    throw new FrameStoreError(
      "INVALID_FRAME",
      `frame timestamp must be a non-negative integer, got ${frame.timestamp}`,
    );
  }
  if (frame.format !== "jpg" && frame.format !== "png") {
    throw new FrameStoreError("INVALID_FRAME", `unsupported frame format ${String(frame.format)}`);
  }
  const participant = `${safePathSegment(frame.userName, USER_NAME_MAX_BYTES)}_${safePathSegment(String(frame.userId), USER_ID_MAX_BYTES)}`;
  return `${sessionFolder(frame.sessionKey)}/${participant}/${frame.timestamp}.${frame.format}`;
}

/** The first segment of every key of a session. */
export function sessionFolder(sessionKey: string): string {
  if (typeof sessionKey !== "string" || sessionKey.trim() === "") {
    throw new FrameStoreError("INVALID_FRAME", "session key is empty");
  }
  return safePathSegment(sessionKey, SESSION_MAX_BYTES);
}

/** True when a session segment is one `sessionFolder` could have produced. */
export function isSessionFolder(segment: string): boolean {
  return segment !== "" && segment === safePathSegment(segment, SESSION_MAX_BYTES);
}

/** True for a file name `frameStorageKey` produces (not a temp file). */
export function isFrameFileName(name: string): boolean {
  return FILE_NAME.test(name);
}

/**
 * The three segments of a key, or INVALID_STORAGE_KEY. A key must be exactly what frameStorageKey produces:
 * three canonical segments (session, participant, `<timestamp>.<ext>`). With `temp`, the name of an
 * interrupted write's temp file is accepted too (for exists and delete, so recovery can remove it).
 */
export function checkStorageKey(
  storageKey: string,
  options: { temp?: boolean } = {},
): [string, string, string] {
  if (typeof storageKey !== "string" || storageKey.length > 1024) throw invalidStorageKey(storageKey);
  const segments = storageKey.split("/");
  if (segments.length !== 3) throw invalidStorageKey(storageKey);
  const [session, participant, file] = segments as [string, string, string];
  const fileOk = FILE_NAME.test(file) || (options.temp === true && isTempStorageKey(file));
  if (!isSessionFolder(session) || participant !== safePathSegment(participant, 255) || !fileOk) {
    throw invalidStorageKey(storageKey);
  }
  return [session, participant, file];
}

export function invalidStorageKey(key: unknown): FrameStoreError {
  const shown = typeof key === "string" ? JSON.stringify(key.slice(0, 200)) : typeof key;
  return new FrameStoreError("INVALID_STORAGE_KEY", `invalid storage key ${shown}`);
}
