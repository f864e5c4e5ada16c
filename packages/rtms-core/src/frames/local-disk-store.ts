// Frames as files, laid out as the seed sample does but under one folder per session (keys.ts):
//   <rootDir>/<session>/<user_name>_<user_id>/<timestamp>.jpg
// Every key is checked on the way in and resolved inside rootDir, so no key can reach outside it.
import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { type FileHandle, open, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { runFileJob } from "./file-writer-thread.ts";
import {
  checkStorageKey,
  frameStorageKey,
  invalidStorageKey,
  isFrameFileName,
  isSessionFolder,
  sessionFolder,
} from "./keys.ts";
import {
  type ByteRange,
  checkByteRange,
  type FrameObjectInfo,
  type FrameStore,
  FrameStoreError,
  type FrameWrite,
  isTempStorageKey,
  type PutOptions,
  type StoredFrame,
} from "./store.ts";

export interface LocalDiskFrameStoreOptions {
  rootDir: string;
  /** fsync each file (and its folder) before the rename: survives power loss, costs throughput. Default false. */
  fsync?: boolean;
}

export class LocalDiskFrameStore implements FrameStore {
  readonly rootDir: string;
  readonly #fsync: boolean;

  constructor(options: LocalDiskFrameStoreOptions) {
    this.rootDir = path.resolve(options.rootDir);
    this.#fsync = options.fsync ?? false;
  }

  storageKeyFor(frame: FrameWrite): string {
    return frameStorageKey(frame);
  }

  /** Written by a file-writer thread (file-writer-thread.ts): temp file, then rename, so readers never see half. */
  async put(frame: FrameWrite, bytes: Uint8Array, options: PutOptions = {}): Promise<StoredFrame> {
    const storageKey = this.storageKeyFor(frame);
    const size = bytes.byteLength; // before a hand-over empties `bytes`
    const target = this.resolve(storageKey);
    const dir = path.dirname(target);
    // Leading dot: a real frame name never starts with one, so a temp file can't collide with or pose as one.
    const temp = path.join(dir, `.${path.basename(target)}.${randomUUID()}.tmp`);
    try {
      const job = { op: "put", dir, temp, target, bytes, fsync: this.#fsync } as const;
      const sha256 = await runFileJob(job, options);
      return { storageKey, bytes: size, sha256 };
    } catch (cause) {
      throw new FrameStoreError("WRITE_FAILED", `could not write frame ${storageKey}`, { cause });
    }
  }

  async get(storageKey: string): Promise<Buffer> {
    const file = this.resolve(storageKey);
    try {
      return await readFile(file);
    } catch (cause) {
      throw readError(storageKey, cause);
    }
  }

  async createReadStream(
    storageKey: string,
    range?: ByteRange,
  ): Promise<{ stream: Readable; bytes: number }> {
    const file = this.resolve(storageKey);
    if (range) checkByteRange(range);
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, "r");
      const { size } = await handle.stat();
      if (!range) return { stream: handle.createReadStream(), bytes: size };
      if (range.start >= size) {
        throw new FrameStoreError("INVALID_RANGE", `range starts at ${range.start}, past ${size} bytes`);
      }
      const end = Math.min(range.end ?? size - 1, size - 1);
      // The stream owns the handle from here and closes it when done or destroyed.
      return { stream: handle.createReadStream({ start: range.start, end }), bytes: end - range.start + 1 };
    } catch (cause) {
      await handle?.close().catch(() => {});
      if (cause instanceof FrameStoreError) throw cause;
      throw readError(storageKey, cause);
    }
  }

  async head(storageKey: string): Promise<FrameObjectInfo | undefined> {
    const file = this.resolve(storageKey);
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      // Weak: size and mtime say "probably the same bytes", not "byte for byte".
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      return { storageKey, bytes: info.size, etag, lastModified: info.mtime };
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw readError(storageKey, cause);
    }
  }

  async delete(storageKey: string): Promise<boolean> {
    const file = this.resolve(storageKey, { temp: true });
    try {
      return await runFileJob({ op: "unlink", file });
    } catch (cause) {
      throw new FrameStoreError("WRITE_FAILED", `could not delete frame ${storageKey}`, { cause });
    }
  }

  async deleteSession(sessionKey: string): Promise<void> {
    const dir = this.#inside(path.join(this.rootDir, sessionFolder(sessionKey)), sessionKey);
    await rm(dir, { recursive: true, force: true });
  }

  async exists(storageKey: string): Promise<boolean> {
    const file = this.resolve(storageKey, { temp: true });
    try {
      return (await stat(file)).isFile();
    } catch (cause) {
      if (isNotFound(cause)) return false;
      throw readError(storageKey, cause);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredFrame> {
    if (typeof prefix !== "string") throw invalidStorageKey(prefix);
    // Only the levels the prefix leaves open are read: `<session>/` reads one session folder, not the root.
    const slash = prefix.indexOf("/");
    const sessions = slash >= 0 ? [prefix.slice(0, slash)] : await this.#names(this.rootDir, prefix);
    for (const session of sessions) {
      if (!isSessionFolder(session)) continue;
      const sessionDir = path.join(this.rootDir, session);
      for (const participant of await this.#names(sessionDir, prefix, `${session}/`)) {
        const participantDir = path.join(sessionDir, participant);
        for (const file of await this.#names(participantDir, prefix, `${session}/${participant}/`, "file")) {
          const storageKey = `${session}/${participant}/${file}`;
          // Anything else in the folder is not the store's (nothing here writes it): not listed.
          if (!storageKey.startsWith(prefix)) continue;
          if (!isFrameFileName(file) && !isTempStorageKey(storageKey)) continue;
          try {
            yield { storageKey, bytes: (await stat(path.join(participantDir, file))).size };
          } catch (cause) {
            if (!isNotFound(cause)) throw readError(storageKey, cause); // else: deleted while listing
          }
        }
      }
    }
  }

  /** Sorted names of folders (or files) in dir whose key (keyPrefix + name) can still match prefix. */
  async #names(dir: string, prefix: string, keyPrefix = "", kind: "dir" | "file" = "dir"): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (cause) {
      if (isNotFound(cause) || (cause as NodeJS.ErrnoException).code === "ENOTDIR") return [];
      throw new FrameStoreError("READ_FAILED", `could not list ${JSON.stringify(keyPrefix || "/")}`, {
        cause,
      });
    }
    return entries
      .filter((e) => (kind === "dir" ? e.isDirectory() : e.isFile()))
      .map((e) => e.name)
      .filter((name) => {
        const key = keyPrefix + name + (kind === "dir" ? "/" : "");
        return key.startsWith(prefix) || prefix.startsWith(key);
      })
      .sort();
  }

  /**
   * Absolute path of a key, or INVALID_STORAGE_KEY. A key must be exactly what storageKeyFor produces:
   * three canonical segments (session, participant, `<timestamp>.<ext>`), and must resolve inside rootDir.
   * With `temp`, the name of an interrupted write's temp file is accepted too (for exists and delete).
   */
  resolve(storageKey: string, options: { temp?: boolean } = {}): string {
    const [session, participant, file] = checkStorageKey(storageKey, options);
    return this.#inside(path.resolve(this.rootDir, session, participant, file), storageKey);
  }

  /** The last line of defence: whatever the checks above missed, nothing outside rootDir is touched. */
  #inside(resolved: string, key: string): string {
    const relative = path.relative(this.rootDir, resolved);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative))
      throw invalidStorageKey(key);
    return resolved;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

function readError(storageKey: string, cause: unknown): FrameStoreError {
  return isNotFound(cause)
    ? new FrameStoreError("NOT_FOUND", `no frame at ${storageKey}`, { cause })
    : new FrameStoreError("READ_FAILED", `could not read frame ${storageKey}`, { cause });
}
