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
}

export function contentTypeForKey(storageKey: string): "image/jpeg" | "image/png" {
  return storageKey.endsWith(".png") ? "image/png" : "image/jpeg";
}
