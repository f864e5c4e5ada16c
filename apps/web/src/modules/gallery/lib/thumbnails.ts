// Thumbnails made with sharp on first request from the frame store, and cached on this replica's own disk,
// keyed by frame id and size (a frame's bytes never change under its id). Nothing is shared between
// replicas: each renders from the store (local or S3) what it does not have, and the cache is bounded in
// bytes (least recently used files go first), so no disk fills up. Concurrent requests share one render.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_IMAGE_LIMITS, type ImageRejection, inspectImage } from "@capture/rtms-core/frames";
import sharp, { type OutputInfo } from "sharp";
import type { FrameFiles } from "./frame-files.ts";

export interface ThumbnailOptions {
  cacheDir: string;
  store: Pick<FrameFiles, "get">;
  /** Longest edge in pixels. */
  size?: number;
  /** Upper bound on a thumbnail's bytes: a busy picture is re-encoded at lower quality until it fits. */
  maxBytes?: number;
  /** Upper bound on the cache folder's bytes. Default 256 MiB (some 16,000 thumbnails). */
  maxCacheBytes?: number;
}

/** A stored frame that is not an image sharp may be given: the route shows a placeholder for it. */
export class ThumbnailError extends Error {
  override readonly name = "ThumbnailError";
  readonly code = "INVALID_IMAGE" as const;
  constructor(
    readonly reason: ImageRejection | "undecodable",
    options?: { cause?: unknown },
  ) {
    super(`frame is not a usable image (${reason})`, options);
  }
}

/** JPEG qualities tried in turn; a camera frame fits at the first, a noisy worst case at a later one. */
const QUALITY_LADDER = [60, 45, 30, 20];

/** sharp refuses to decode more pixels than a 4096x4096 frame (the worker's own bound). */
const MAX_INPUT_PIXELS = DEFAULT_IMAGE_LIMITS.maxWidth * DEFAULT_IMAGE_LIMITS.maxHeight;

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ThumbnailCache {
  readonly size: number;
  readonly maxBytes: number;
  readonly maxCacheBytes: number;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  /** Cached files, least recently used first, with their sizes. */
  private readonly files = new Map<string, number>();
  private cachedBytes = 0;
  private loaded?: Promise<void>;

  constructor(private readonly opts: ThumbnailOptions) {
    this.size = opts.size ?? 320;
    this.maxBytes = opts.maxBytes ?? 16 * 1024;
    this.maxCacheBytes = opts.maxCacheBytes ?? 256 * 1024 * 1024;
  }

  /** Bytes of thumbnails in the cache folder, as this replica counts them. */
  get bytes(): number {
    return this.cachedBytes;
  }

  pathFor(frameId: string): string {
    if (!SAFE_ID.test(frameId))
      throw new Error(`unsafe frame id for a cache path: ${JSON.stringify(frameId)}`);
    // Two-character fan-out keeps directories small with many thousands of thumbnails.
    return path.join(this.opts.cacheDir, frameId.slice(-2), `${frameId}-${this.size}.jpg`);
  }

  async get(frame: { id: string; storageKey: string }): Promise<{ data: Buffer; cached: boolean }> {
    const file = this.pathFor(frame.id);
    await this.load();
    try {
      const data = await readFile(file);
      this.touch(file, data.length);
      return { data, cached: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    let pending = this.inflight.get(frame.id);
    if (!pending) {
      pending = this.render(frame.storageKey, file).finally(() => this.inflight.delete(frame.id));
      this.inflight.set(frame.id, pending);
    }
    return { data: await pending, cached: false };
  }

  private async render(storageKey: string, file: string): Promise<Buffer> {
    const source = await this.opts.store.get(storageKey);
    // Header first: a lying 16000x16000 header or a non-image never reaches the decoder.
    const check = inspectImage(source);
    if (!check.ok) throw new ThumbnailError(check.reason);
    let resized: { data: Buffer; info: OutputInfo };
    try {
      resized = await sharp(source, { failOn: "truncated", limitInputPixels: MAX_INPUT_PIXELS })
        .rotate()
        .resize({ width: this.size, height: this.size, fit: "inside", withoutEnlargement: true })
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (cause) {
      throw new ThumbnailError("undecodable", { cause });
    }
    let data = Buffer.alloc(0);
    for (const quality of QUALITY_LADDER) {
      data = await sharp(resized.data, { raw: resized.info }).jpeg({ quality, mozjpeg: true }).toBuffer();
      if (data.length <= this.maxBytes) break;
    }
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file, and two requests racing both end with a whole one.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
    this.touch(file, data.length);
    await this.evict();
    return data;
  }

  async delete(frameId: string): Promise<void> {
    const file = this.pathFor(frameId);
    await rm(file, { force: true });
    this.forget(file);
  }

  /** Counts what an earlier run left in the folder, oldest first, once per process. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      let names: string[];
      try {
        names = await readdir(this.opts.cacheDir, { recursive: true });
      } catch {
        return; // no folder yet
      }
      const found: { file: string; bytes: number; mtime: number }[] = [];
      for (const name of names) {
        if (!name.endsWith(".jpg")) continue;
        const file = path.join(this.opts.cacheDir, name);
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile()) found.push({ file, bytes: info.size, mtime: info.mtimeMs });
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const f of found) if (!this.files.has(f.file)) this.touch(f.file, f.bytes);
      await this.evict();
    })();
    return this.loaded;
  }

  private touch(file: string, bytes: number): void {
    this.forget(file);
    this.files.set(file, bytes);
    this.cachedBytes += bytes;
  }

  private forget(file: string): void {
    const bytes = this.files.get(file);
    if (bytes === undefined) return;
    this.files.delete(file);
    this.cachedBytes -= bytes;
  }

  private async evict(): Promise<void> {
    while (this.cachedBytes > this.maxCacheBytes && this.files.size > 1) {
      const oldest = this.files.keys().next().value as string;
      this.forget(oldest);
      await rm(oldest, { force: true });
    }
  }
}
