// Pre-rendered JPEG (or PNG, for clients that ask for codec 6) frames for simulated cameras. Encoding is the expensive part, so each face (name, id,
// colour, size) is rendered at most once per clock tick (default: once per second) and every media socket
// showing it reuses the same bytes; a load test with hundreds of streams costs one encode per visible face
// per second, not one per frame sent. A frame is ready-to-send: the base64 text is kept as a Buffer so the
// sender can splice it into the JSON message without re-encoding or escaping.

import type { Logger } from "@capture/rtms-core/logger";
import sharp from "sharp";
import { createCanvas, drawText, fillRect, type Rgb, textWidth } from "./bitmap-font.ts";

export interface Face {
  userId: number;
  name: string;
  color: Rgb;
}

export type FrameSize = "sd" | "hd";
/** What msg 4 accepted: codec 5 (JPG) or 6 (PNG). */
export type FrameFormat = "jpeg" | "png";
export const FRAME_DIMENSIONS: Record<FrameSize, { width: number; height: number }> = {
  sd: { width: 640, height: 360 },
  hd: { width: 1280, height: 720 },
};

export interface RenderedFrame {
  /** The image (JPEG or PNG) as base64, ASCII bytes. */
  base64: Buffer;
  /** Image bytes before base64 (what msg 15's `length` carries). */
  length: number;
  width: number;
  height: number;
  /** Which clock tick the picture shows. */
  tick: number;
}

interface Entry {
  face: Face;
  size: FrameSize;
  format: FrameFormat;
  frame?: RenderedFrame;
  /** Set while a render is queued or running; settles when it is done. */
  pending?: Promise<RenderedFrame>;
  settle?: { resolve: (f: RenderedFrame) => void; reject: (e: unknown) => void };
  wantedTick: number;
  lastUsed: number;
}

export interface FrameCacheOptions {
  logger: Logger;
  /** How often the clock printed in the picture changes (and so how often a face is re-encoded). */
  tickMs?: number;
  now?: () => number;
  quality?: number;
  /** Encodes running at once (default 2). Under load, stale pictures are served while faces wait their turn. */
  maxConcurrentEncodes?: number;
}

const EVICT_AFTER_MS = 30_000;
const WHITE: Rgb = [255, 255, 255];

/** A readable, stable colour per participant: hue from a hash of the name. */
export function colorFor(seed: string): Rgb {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  const hue = ((h >>> 0) % 360) / 60;
  const c = 0.55 * 160;
  const x = c * (1 - Math.abs((hue % 2) - 1));
  const [r, g, b] =
    hue < 1
      ? [c, x, 0]
      : hue < 2
        ? [x, c, 0]
        : hue < 3
          ? [0, c, x]
          : hue < 4
            ? [0, x, c]
            : hue < 5
              ? [x, 0, c]
              : [c, 0, x];
  const base = 40;
  return [Math.round(r + base), Math.round(g + base), Math.round(b + base)];
}

function clockText(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** Draw the picture: coloured background, the name large and centred, the user id and the clock below. */
export async function renderFace(
  face: Face,
  size: FrameSize,
  atMs: number,
  quality = 70,
  format: FrameFormat = "jpeg",
): Promise<RenderedFrame> {
  const { width, height } = FRAME_DIMENSIONS[size];
  const canvas = createCanvas(width, height, face.color);
  const name = face.name.length > 24 ? `${face.name.slice(0, 23)}~` : face.name;
  const nameScale = Math.max(
    2,
    Math.min(Math.floor((width * 0.8) / Math.max(1, textWidth(name, 1))), height / 60),
  );
  const smallScale = Math.max(2, Math.round(height / 120));
  const nameW = textWidth(name, nameScale);
  const nameY = Math.round(height * 0.3);
  // A darker band behind the name keeps it readable on any background colour.
  const band: Rgb = [face.color[0] >> 1, face.color[1] >> 1, face.color[2] >> 1];
  fillRect(canvas, 0, nameY - nameScale * 3, width, nameScale * 13, band);
  drawText(canvas, name, Math.round((width - nameW) / 2), nameY, nameScale, WHITE);
  const idText = `user ${face.userId}`;
  drawText(
    canvas,
    idText,
    Math.round((width - textWidth(idText, smallScale)) / 2),
    Math.round(height * 0.62),
    smallScale,
    WHITE,
  );
  const clock = clockText(atMs);
  drawText(
    canvas,
    clock,
    Math.round((width - textWidth(clock, smallScale * 2)) / 2),
    Math.round(height * 0.74),
    smallScale * 2,
    WHITE,
  );
  drawText(canvas, "zoom-sim", smallScale * 4, height - smallScale * 12, smallScale, WHITE);
  const raw = sharp(canvas.data, { raw: { width, height, channels: 3 } });
  // Flat colours and text: the fastest PNG level is still small.
  const image = await (format === "png"
    ? raw.png({ compressionLevel: 1 })
    : raw.jpeg({ quality, optimizeCoding: false })
  ).toBuffer();
  return {
    base64: Buffer.from(image.toString("base64"), "ascii"),
    length: image.length,
    width,
    height,
    tick: 0,
  };
}

export class FrameCache {
  readonly #entries = new Map<string, Entry>();
  /** Faces waiting for an encode: never-rendered ones first, then stale ones in request order. */
  readonly #queue: Entry[] = [];
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #quality: number;
  readonly #maxConcurrent: number;
  readonly #log: Logger;
  readonly #sweeper: NodeJS.Timeout;
  #running = 0;
  #encodes = 0;

  constructor(opts: FrameCacheOptions) {
    this.#tickMs = opts.tickMs ?? 1000;
    this.#now = opts.now ?? Date.now;
    this.#quality = opts.quality ?? 70;
    this.#maxConcurrent = opts.maxConcurrentEncodes ?? 2;
    this.#log = opts.logger;
    this.#sweeper = setInterval(() => this.#sweep(), EVICT_AFTER_MS);
    this.#sweeper.unref();
  }

  /** How many image encodes ran (for benchmarks). */
  get encodes(): number {
    return this.#encodes;
  }

  #key(face: Face, size: FrameSize, format: FrameFormat): string {
    return `${format}|${size}|${face.color.join(",")}|${face.userId}|${face.name}`;
  }

  #entry(face: Face, size: FrameSize, format: FrameFormat): Entry {
    const key = this.#key(face, size, format);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        face: { userId: face.userId, name: face.name, color: face.color },
        size,
        format,
        wantedTick: 0,
        lastUsed: 0,
      };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /**
   * The newest frame for this face, or undefined if none was rendered yet (a render is then queued). When
   * the clock has moved on, a refresh is queued and the previous picture is served meanwhile, so the send
   * path never waits for an encoder, and a load spike only makes the printed clocks lag.
   */
  get(face: Face, size: FrameSize, format: FrameFormat = "jpeg"): RenderedFrame | undefined {
    const entry = this.#entry(face, size, format);
    const now = this.#now();
    entry.lastUsed = now;
    const tick = Math.floor(now / this.#tickMs);
    if ((!entry.frame || entry.frame.tick < tick) && !entry.pending) this.#enqueue(entry, tick);
    return entry.frame;
  }

  /** Resolve with a frame for this face (rendering it first if there is none yet). */
  prepare(face: Face, size: FrameSize, format: FrameFormat = "jpeg"): Promise<RenderedFrame> {
    const frame = this.get(face, size, format);
    const entry = this.#entry(face, size, format);
    if (frame) return Promise.resolve(frame);
    return entry.pending ?? Promise.reject(new Error("frame cache: render was not queued"));
  }

  #enqueue(entry: Entry, tick: number): void {
    entry.wantedTick = tick;
    entry.pending = new Promise<RenderedFrame>((resolve, reject) => {
      entry.settle = { resolve, reject };
    });
    // The background refresh must never surface as an unhandled rejection; prepare() callers see the error.
    entry.pending.catch(() => {});
    if (entry.frame) this.#queue.push(entry);
    else this.#queue.unshift(entry);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#maxConcurrent && this.#queue.length) {
      const entry = this.#queue.shift()!;
      this.#running++;
      this.#encodes++;
      // Render the clock as of now: a face that waited in the queue shows the current time.
      const tick = Math.max(entry.wantedTick, Math.floor(this.#now() / this.#tickMs));
      renderFace(entry.face, entry.size, tick * this.#tickMs, this.#quality, entry.format)
        .then(
          (frame) => {
            frame.tick = tick;
            entry.frame = frame;
            const settle = entry.settle;
            entry.pending = undefined;
            entry.settle = undefined;
            settle?.resolve(frame);
          },
          (err: unknown) => {
            const settle = entry.settle;
            entry.pending = undefined;
            entry.settle = undefined;
            this.#log.error({ err, user: entry.face.userId }, "frame render failed");
            settle?.reject(err);
          },
        )
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
  }

  #sweep(): void {
    const cutoff = this.#now() - EVICT_AFTER_MS;
    for (const [key, entry] of this.#entries)
      if (entry.lastUsed < cutoff && !entry.pending) this.#entries.delete(key);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#queue.length = 0;
    this.#entries.clear();
  }
}
