// Thumbnails made with sharp on first request and cached on disk, keyed by frame id and size (a frame's
// bytes never change under its id). Concurrent requests for the same thumbnail share one render.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { FrameFiles } from "./frame-files.ts";

export interface ThumbnailOptions {
  cacheDir: string;
  store: FrameFiles;
  /** Longest edge in pixels. */
  size?: number;
  /** Upper bound on a thumbnail's bytes: a busy picture is re-encoded at lower quality until it fits. */
  maxBytes?: number;
}

/** JPEG qualities tried in turn; a camera frame fits at the first, a noisy worst case at a later one. */
const QUALITY_LADDER = [60, 45, 30, 20];

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ThumbnailCache {
  readonly size: number;
  readonly maxBytes: number;
  private readonly inflight = new Map<string, Promise<Buffer>>();

  constructor(private readonly opts: ThumbnailOptions) {
    this.size = opts.size ?? 320;
    this.maxBytes = opts.maxBytes ?? 16 * 1024;
  }

  pathFor(frameId: string): string {
    if (!SAFE_ID.test(frameId))
      throw new Error(`unsafe frame id for a cache path: ${JSON.stringify(frameId)}`);
    // Two-character fan-out keeps directories small with many thousands of thumbnails.
    return path.join(this.opts.cacheDir, frameId.slice(-2), `${frameId}-${this.size}.jpg`);
  }

  async get(frame: { id: string; storageKey: string }): Promise<{ data: Buffer; cached: boolean }> {
    const file = this.pathFor(frame.id);
    try {
      return { data: await readFile(file), cached: true };
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
    const resized = await sharp(source, { failOn: "truncated" })
      .rotate()
      .resize({ width: this.size, height: this.size, fit: "inside", withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let data = Buffer.alloc(0);
    for (const quality of QUALITY_LADDER) {
      data = await sharp(resized.data, { raw: resized.info }).jpeg({ quality, mozjpeg: true }).toBuffer();
      if (data.length <= this.maxBytes) break;
    }
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file, and two replicas racing both end with a whole one.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
    return data;
  }

  async delete(frameId: string): Promise<void> {
    await rm(this.pathFor(frameId), { force: true });
  }
}
