// Where kept frames go. The worker writes, the portal reads, retention deletes; a local-disk store is the
// default and an S3-compatible one can replace it behind the same interface.
import type { Readable } from "node:stream";
import { RtmsError } from "../errors.ts";

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

export interface PutOptions {
  /**
   * The caller will not read `bytes` again, so the store may move them instead of copying: the local store
   * transfers a buffer that `bytes` covers whole to its writer thread, leaving `bytes` empty (a view into a
   * larger buffer, such as Node's pool, is copied as without the option). A store that moves the bytes
   * returns their `sha256`, since the caller can no longer hash them.
   */
  handOver?: boolean;
}

export interface StoredFrame {
  /** Relative key to hand back to get/delete; safe to store in the database and show in URLs. */
  storageKey: string;
  bytes: number;
  /**
   * Hex SHA-256 of the bytes, from a put whose store computed it on the way (the local store does, on its
   * writer threads, off the caller's event loop). Absent otherwise: the caller hashes itself.
   */
  sha256?: string;
}

export interface FrameObjectInfo {
  storageKey: string;
  bytes: number;
  /** An HTTP entity tag, quoted (`"..."` or `W/"..."`), that changes when the object does. */
  etag: string;
  lastModified?: Date;
}

/** Inclusive byte offsets, as in an HTTP Range header; `end` past the last byte is cut to it. */
export interface ByteRange {
  start: number;
  end?: number;
}

export type FrameStoreErrorCode =
  | "INVALID_STORAGE_KEY"
  | "INVALID_FRAME"
  | "INVALID_RANGE"
  | "NOT_FOUND"
  | "WRITE_FAILED"
  | "READ_FAILED"
  /** The store did not answer (or answered 5xx/throttled) for the whole retry budget: an outage. */
  | "UNAVAILABLE";

export class FrameStoreError extends RtmsError<FrameStoreErrorCode> {
  override readonly name = "FrameStoreError";
}

export interface FrameStore {
  /** The key `put` would use for this frame, without writing. */
  storageKeyFor(frame: FrameWrite): string;
  /** Writes atomically (readers never see half a file); writing the same frame again replaces it. */
  put(frame: FrameWrite, bytes: Uint8Array, options?: PutOptions): Promise<StoredFrame>;
  /** Rejects with NOT_FOUND when absent. */
  get(storageKey: string): Promise<Buffer>;
  /**
   * Opens for streaming (e.g. an HTTP response), the whole object or `range` of it; `bytes` is what the
   * stream will carry. Rejects with NOT_FOUND when absent, INVALID_RANGE when `range.start` is past the end.
   */
  createReadStream(storageKey: string, range?: ByteRange): Promise<{ stream: Readable; bytes: number }>;
  /** Size and entity tag without the bytes; undefined when absent. */
  head(storageKey: string): Promise<FrameObjectInfo | undefined>;
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

/** A range the caller made up: offsets must be integers, in order. */
export function checkByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < start))
  ) {
    throw new FrameStoreError("INVALID_RANGE", `invalid byte range ${JSON.stringify(range)}`);
  }
}
