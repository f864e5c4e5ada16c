import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type ImageInspection, inspectImage } from "./inspect-image.ts";

// Real files from sharp 0.35 (libvips/mozjpeg, libspng): a 3x2 baseline JPEG, a 3x2 PNG, a 5x7 progressive JPEG.
const JPEG_3x2 = Buffer.from(
  "/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAACAAMDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABQb/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCKALXj/9k=",
  "base64",
);
const PNG_3x2 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEklEQVQImWP4z8AAQVDqPwMDAEHSBfsYFwTiAAAAAElFTkSuQmCC",
  "base64",
);
const PROGRESSIVE_JPEG_5x7 = Buffer.from(
  "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wgARCAAHAAUDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUAQEAAAAAAAAAAAAAAAAAAAAG/9oADAMBAAIQAxAAAAG4DwX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAEFAn//xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oACAEDAQE/AX//xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oACAECAQE/AX//xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAY/An//xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAE/IX//2gAMAwEAAgADAAAAEPP/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oACAEDAQE/EH//xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oACAECAQE/EH//xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oACAEBAAE/EH//2Q==",
  "base64",
);

/** A PNG whose IHDR declares width x height (CRC correct), with the real file's IDAT and IEND after it. */
function pngDeclaring(width: number, height: number): Buffer {
  const file = Buffer.from(PNG_3x2);
  file.writeUInt32BE(width, 16);
  file.writeUInt32BE(height, 20);
  file.writeUInt32BE(crc32(file.subarray(12, 29)), 29);
  return file;
}

/** The 3x2 JPEG with its SOF0 frame header's X and Y rewritten. */
function jpegDeclaring(width: number, height: number): Buffer {
  const file = Buffer.from(JPEG_3x2);
  const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
  file.writeUInt16BE(height, sof + 5);
  file.writeUInt16BE(width, sof + 7);
  return file;
}

/** Deterministic bytes (xorshift32), so a failure names its seed. */
function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const fail = (reason: string): ImageInspection => ({ ok: false, reason }) as ImageInspection;

describe("inspectImage", () => {
  it.each<[string, Uint8Array, ImageInspection]>([
    ["a baseline JPEG", JPEG_3x2, { ok: true, format: "jpg", width: 3, height: 2 }],
    ["a progressive JPEG (SOF2)", PROGRESSIVE_JPEG_5x7, { ok: true, format: "jpg", width: 5, height: 7 }],
    ["a PNG", PNG_3x2, { ok: true, format: "png", width: 3, height: 2 }],
    [
      "a JPEG with zero padding after EOI",
      Buffer.concat([JPEG_3x2, Buffer.alloc(7)]),
      { ok: true, format: "jpg", width: 3, height: 2 },
    ],
    [
      "a 4096x4096 PNG header (at the limit)",
      pngDeclaring(4096, 4096),
      { ok: true, format: "png", width: 4096, height: 4096 },
    ],
    [
      "a 4096x4096 JPEG header (at the limit)",
      jpegDeclaring(4096, 4096),
      { ok: true, format: "jpg", width: 4096, height: 4096 },
    ],
    ["nothing", new Uint8Array(0), fail("empty")],
    ["random bytes", randomBytes(4096, 1), fail("not_an_image")],
    [
      "HTML",
      Buffer.from("<!doctype html><html><body><script>alert(1)</script></body></html>"),
      fail("not_an_image"),
    ],
    ["a JPEG's magic alone", Buffer.from([0xff, 0xd8, 0xff]), fail("truncated")],
    ["a PNG's signature alone", PNG_3x2.subarray(0, 8), fail("truncated")],
    ["a JPEG cut in half", JPEG_3x2.subarray(0, JPEG_3x2.length / 2), fail("truncated")],
    ["a PNG without its IEND", PNG_3x2.subarray(0, PNG_3x2.length - 12), fail("truncated")],
    ["a 16000x16000 PNG header", pngDeclaring(16000, 16000), fail("dimensions_too_large")],
    [
      "a 16000x16000 PNG header, cut after IHDR",
      pngDeclaring(16000, 16000).subarray(0, 33),
      fail("dimensions_too_large"),
    ],
    ["a 4097x1 PNG header", pngDeclaring(4097, 1), fail("dimensions_too_large")],
    ["a 1x4097 JPEG header", jpegDeclaring(1, 4097), fail("dimensions_too_large")],
    ["a 65535x65535 JPEG header", jpegDeclaring(65535, 65535), fail("dimensions_too_large")],
    ["a JPEG declaring 0 lines (DNL)", jpegDeclaring(3, 0), fail("zero_dimensions")],
    ["a PNG declaring width 0", pngDeclaring(0, 2), fail("zero_dimensions")],
    ["a PNG whose IHDR width exceeds 2^31-1", pngDeclaring(0x80000000, 1), fail("corrupt_header")],
    [
      "a JPEG that reaches SOS before any SOF",
      Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 0xff, 0xd9]),
      fail("corrupt_header"),
    ],
    [
      "a JPEG segment of length 1",
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xd9]),
      fail("corrupt_header"),
    ],
    ["a PNG with a wrong IHDR CRC", Buffer.from(PNG_3x2).fill(0, 29, 33), fail("corrupt_header")],
    ["a PNG whose first chunk is not IHDR", Buffer.from(PNG_3x2).fill(0x41, 12, 16), fail("corrupt_header")],
  ])("%s", (_name, bytes, expected) => {
    expect(inspectImage(bytes)).toEqual(expected);
  });

  it("refuses more than maxBytes before reading the header, and honours custom limits", () => {
    const big = Buffer.concat([
      JPEG_3x2.subarray(0, -2),
      Buffer.alloc(11 * 1024 * 1024),
      JPEG_3x2.subarray(-2),
    ]);
    expect(inspectImage(big)).toEqual(fail("too_many_bytes"));
    expect(inspectImage(JPEG_3x2, { maxBytes: JPEG_3x2.length - 1 })).toEqual(fail("too_many_bytes"));
    expect(inspectImage(JPEG_3x2, { maxBytes: JPEG_3x2.length }).ok).toBe(true);
    expect(inspectImage(PNG_3x2, { maxWidth: 2 })).toEqual(fail("dimensions_too_large"));
    expect(inspectImage(PNG_3x2, { maxHeight: 1 })).toEqual(fail("dimensions_too_large"));
  });

  it("accepts no prefix of a real file", () => {
    for (const file of [JPEG_3x2, PNG_3x2, PROGRESSIVE_JPEG_5x7]) {
      for (let cut = 0; cut < file.length; cut++) {
        const result = inspectImage(file.subarray(0, cut));
        expect(result.ok, `cut at ${cut} of ${file.length}`).toBe(false);
      }
    }
  });

  it("never throws on random bytes, with or without a valid magic, and accepts none of them", () => {
    const magics = [Buffer.alloc(0), Buffer.from([0xff, 0xd8, 0xff]), PNG_3x2.subarray(0, 8)];
    for (let seed = 1; seed <= 300; seed++) {
      for (const magic of magics) {
        const bytes = Buffer.concat([magic, randomBytes(seed * 7, seed)]);
        const result = inspectImage(bytes);
        expect(result.ok, `seed ${seed}, magic ${magic.toString("hex")}`).toBe(false);
      }
    }
  });

  it("never throws when single bytes of a real file are flipped", () => {
    for (const file of [JPEG_3x2, PNG_3x2]) {
      for (let at = 0; at < file.length; at++) {
        const mutated = Buffer.from(file);
        mutated[at] = mutated[at]! ^ 0xff;
        const result = inspectImage(mutated);
        // Whatever it says, dimensions it reports stay within the limit.
        if (result.ok) expect(Math.max(result.width, result.height)).toBeLessThanOrEqual(4096);
      }
    }
  });
});
