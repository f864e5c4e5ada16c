// Where kept frames go. The worker writes, the portal reads, retention deletes; a local-disk store is the
// default and an S3-compatible one can replace it behind the same interface.
import type { Readable } from "node:stream";

export type FrameFormat = "jpg" | "png";

export interface FrameWrite {
  /** Identifies the capture session (e.g. its id); one folder per session so meetings never mix. */
  sessionKey: string;
  userName: string;
  userId: string | number;
  /** Zoom's media timestamp (ms); unique per participant, so it names the file. */
  timestamp: number;
  format: FrameFormat;
}

export interface StoredFrame {
  /** Relative key to hand back to get/delete; safe to store in the database and show in URLs. */
  storageKey: string;
  bytes: number;
}

export type FrameStoreErrorCode =
  | "INVALID_STORAGE_KEY"
  | "INVALID_FRAME"
  | "NOT_FOUND"
  | "WRITE_FAILED"
  | "READ_FAILED";

export class FrameStoreError extends Error {
  override readonly name = "FrameStoreError";
  constructor(
    readonly code: FrameStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FrameStore {
  /** The key `put` would use for this frame, without writing. */
  storageKeyFor(frame: FrameWrite): string;
  /** Writes atomically (readers never see half a file); writing the same frame again replaces it. */
  put(frame: FrameWrite, bytes: Uint8Array): Promise<StoredFrame>;
  /** Rejects with NOT_FOUND when absent. */
  get(storageKey: string): Promise<Buffer>;
  /** Opens for streaming (e.g. an HTTP response); rejects with NOT_FOUND when absent. */
  createReadStream(storageKey: string): Promise<{ stream: Readable; bytes: number }>;
  /** True when it existed. Deleting a missing frame is not an error. */
  delete(storageKey: string): Promise<boolean>;
  /** Removes everything stored for a session (e.g. stop reason 8: stream revoked). */
  deleteSession(sessionKey: string): Promise<void>;
  exists(storageKey: string): Promise<boolean>;
  /**
   * Every stored object whose key starts with `prefix` (e.g. `<sessionKey>/`), as `storageKey` and size in
   * `bytes`, in no promised order. Includes the temp files of interrupted writes (see isTempStorageKey), so
   * crash recovery can find what has no row and `delete` it.
   */
  list(prefix: string): AsyncIterable<StoredFrame>;
}

/** Name of an in-progress write: a leading dot, so it never collides with or poses as a frame. */
const TEMP_FILE_NAME = /^\.\d{1,16}\.(jpg|png)\.[0-9a-f-]{36}\.tmp$/;

/** True for a key `list` returned for a write that never finished (never a frame to keep). */
export function isTempStorageKey(storageKey: string): boolean {
  return TEMP_FILE_NAME.test(storageKey.slice(storageKey.lastIndexOf("/") + 1));
}

export function contentTypeForKey(storageKey: string): "image/jpeg" | "image/png" {
  return storageKey.endsWith(".png") ? "image/png" : "image/jpeg";
}
