import { silentLogger } from "@capture/rtms-core/logger";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createCanvas, drawText, textWidth } from "./bitmap-font.ts";
import { colorFor, FrameCache, renderFace } from "./frame-cache.ts";

describe("bitmap font", () => {
  it("draws glyph pixels in the text colour and nothing outside the text box", () => {
    const canvas = createCanvas(40, 10, [0, 0, 0]);
    drawText(canvas, "Hi", 1, 1, 1, [255, 255, 255]);
    let lit = 0;
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 40; x++) {
        if (canvas.data[(y * 40 + x) * 3] === 255) {
          lit++;
          expect(x).toBeLessThan(1 + textWidth("Hi", 1));
          expect(y).toBeLessThan(8);
        }
      }
    }
    expect(lit).toBeGreaterThan(10);
  });

  it("falls back to '?' for characters outside ASCII", () => {
    const a = createCanvas(10, 8, [0, 0, 0]);
    const b = createCanvas(10, 8, [0, 0, 0]);
    drawText(a, "é", 0, 0, 1, [255, 255, 255]);
    drawText(b, "?", 0, 0, 1, [255, 255, 255]);
    expect(a.data.equals(b.data)).toBe(true);
  });
});

describe("renderFace", () => {
  it("renders a JPEG of the requested size whose length matches its base64", async () => {
    const f = await renderFace(
      { userId: 42, name: "Alice", color: colorFor("Alice") },
      "sd",
      Date.UTC(2026, 0, 1, 12, 0, 0),
    );
    const jpeg = Buffer.from(f.base64.toString("ascii"), "base64");
    expect(jpeg.length).toBe(f.length);
    const meta = await sharp(jpeg).metadata();
    expect(meta).toMatchObject({ format: "jpeg", width: 640, height: 360 });
    const hd = await renderFace({ userId: 42, name: "Alice", color: colorFor("Alice") }, "hd", 0);
    expect((await sharp(Buffer.from(hd.base64.toString("ascii"), "base64")).metadata()).width).toBe(1280);
  });

  it("draws different pictures for different clocks", async () => {
    const face = { userId: 1, name: "Bob", color: colorFor("Bob") };
    const a = await renderFace(face, "sd", Date.UTC(2026, 0, 1, 12, 0, 0));
    const b = await renderFace(face, "sd", Date.UTC(2026, 0, 1, 12, 0, 1));
    expect(a.base64.equals(b.base64)).toBe(false);
  });
});

describe("FrameCache", () => {
  it("renders once per face and tick, and serves the previous picture while a refresh runs", async () => {
    let now = 10_000;
    const cache = new FrameCache({ logger: silentLogger, tickMs: 1000, now: () => now });
    const face = { userId: 7, name: "Carol", color: colorFor("Carol") };
    expect(cache.get(face, "sd")).toBeUndefined();
    const first = await cache.prepare(face, "sd");
    expect(cache.get(face, "sd")).toBe(first);
    expect(cache.get({ ...face }, "sd")).toBe(first); // same face, another object: same cache entry
    expect(cache.encodes).toBe(1);
    now += 1000;
    expect(cache.get(face, "sd")).toBe(first); // stale but served; a refresh is queued
    let fresh = cache.get(face, "sd");
    for (let i = 0; i < 100 && fresh === first; i++) {
      await new Promise((r) => setTimeout(r, 10));
      fresh = cache.get(face, "sd");
    }
    expect(fresh?.tick).toBe(11);
    expect(cache.encodes).toBe(2);
    cache.close();
  });
});
