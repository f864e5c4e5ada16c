// Frames arrive from the Zoom side as opaque bytes labelled JPEG or PNG. Before one is stored, this checks
// that it is one: the format's magic bytes, the dimensions its header declares (read, never decoded, so a
// small file declaring a huge canvas costs nothing here) and that the file ends where the format ends.
// Layouts: JPEG is ITU T.81 (markers B.1.1.2, frame header B.2.2); PNG is ISO/IEC 15948 (signature 5.2,
// IHDR 11.2.2, IEND 11.2.5). Pure function: no I/O, no sharp.
import { crc32 } from "node:zlib";
import type { FrameFormat } from "./store.ts";

export interface ImageLimits {
  /** Default 4096. */
  maxWidth?: number;
  /** Default 4096. */
  maxHeight?: number;
  /** Default 8 MiB: far above a 4096x4096 video frame at camera quality, far below what hurts memory. */
  maxBytes?: number;
}

export const DEFAULT_IMAGE_LIMITS: Required<ImageLimits> = {
  maxWidth: 4096,
  maxHeight: 4096,
  maxBytes: 8 * 1024 * 1024,
};

export type ImageRejection =
  /** Zero bytes. */
  | "empty"
  /** More than maxBytes. */
  | "too_many_bytes"
  /** Neither JPEG's nor PNG's magic bytes. */
  | "not_an_image"
  /** Right magic, but the header is cut short or the file does not end where the format ends. */
  | "truncated"
  /** Right magic, but the header's structure is wrong (bad segment length, bad IHDR, bad CRC). */
  | "corrupt_header"
  /** A declared width or height of 0. */
  | "zero_dimensions"
  /** A declared width or height above the limit. */
  | "dimensions_too_large";

export type ImageInspection =
  | { ok: true; format: FrameFormat; width: number; height: number }
  | { ok: false; reason: ImageRejection };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** An IEND chunk: length 0, type "IEND", and the CRC of "IEND" (always the same 12 bytes). */
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

export function inspectImage(bytes: Uint8Array, limits: ImageLimits = {}): ImageInspection {
  const { maxWidth, maxHeight, maxBytes } = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  if (bytes.byteLength === 0) return { ok: false, reason: "empty" };
  if (bytes.byteLength > maxBytes) return { ok: false, reason: "too_many_bytes" };
  let header: Header | { reason: ImageRejection };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) header = jpegHeader(bytes);
  else if (startsWith(bytes, PNG_SIGNATURE)) header = pngHeader(bytes);
  else return { ok: false, reason: "not_an_image" };
  if ("reason" in header) return { ok: false, reason: header.reason };
  const { format, width, height } = header;
  // Dimensions before completeness: a lying header is the more useful reason to count.
  if (width === 0 || height === 0) return { ok: false, reason: "zero_dimensions" };
  if (width > maxWidth || height > maxHeight) return { ok: false, reason: "dimensions_too_large" };
  if (!header.complete) return { ok: false, reason: "truncated" };
  return { ok: true, format, width, height };
}

interface Header {
  format: FrameFormat;
  width: number;
  height: number;
  /** The file ends where the format says it ends. */
  complete: boolean;
}

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  if (bytes.byteLength < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

/** Start-of-frame markers carry the dimensions: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers without a length field: TEM, RST0-7, SOI (T.81 table B.1). */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

function jpegHeader(bytes: Uint8Array): Header | { reason: ImageRejection } {
  // Walk the marker segments after SOI up to the frame header; entropy-coded data only follows SOS, which
  // a valid file never reaches before its SOF.
  let at = 2;
  for (;;) {
    if (at >= bytes.byteLength) return { reason: "truncated" };
    if (bytes[at] !== 0xff) return { reason: "corrupt_header" };
    while (at < bytes.byteLength && bytes[at] === 0xff) at++; // fill bytes before a marker are allowed
    if (at >= bytes.byteLength) return { reason: "truncated" };
    const marker = bytes[at]!;
    at++;
    if (isStandalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda) return { reason: "corrupt_header" }; // EOI/SOS first
    if (at + 2 > bytes.byteLength) return { reason: "truncated" };
    const length = u16(bytes, at);
    if (length < 2) return { reason: "corrupt_header" };
    if (isStartOfFrame(marker)) {
      // Lf(2) P(1) Y(2) X(2) Nf(1): Y is the number of lines (height), X samples per line (width).
      if (length < 8) return { reason: "corrupt_header" };
      if (at + 7 > bytes.byteLength) return { reason: "truncated" };
      return {
        format: "jpg",
        width: u16(bytes, at + 5),
        height: u16(bytes, at + 3),
        complete: endsWithJpegEoi(bytes),
      };
    }
    at += length;
  }
}

/** A whole JPEG ends with EOI (FF D9); some encoders pad after it, so a few trailing zero bytes are allowed. */
function endsWithJpegEoi(bytes: Uint8Array): boolean {
  let end = bytes.byteLength;
  const floor = Math.max(0, end - 64);
  while (end > floor && bytes[end - 1] === 0) end--;
  return end >= 4 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}

function pngHeader(bytes: Uint8Array): Header | { reason: ImageRejection } {
  // Signature (8), then IHDR first: length (4) = 13, type (4), width (4), height (4), 5 more bytes, CRC (4).
  if (bytes.byteLength < 8 + 8 + 13 + 4) return { reason: "truncated" };
  if (u32(bytes, 8) !== 13 || !startsWith(bytes, [0x49, 0x48, 0x44, 0x52], 12)) {
    return { reason: "corrupt_header" };
  }
  if (crc32(bytes.subarray(12, 12 + 4 + 13)) !== u32(bytes, 12 + 4 + 13)) {
    return { reason: "corrupt_header" };
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  // The spec caps both at 2^31 - 1; beyond that the header is lying, not just large.
  if (width > 0x7fffffff || height > 0x7fffffff) return { reason: "corrupt_header" };
  const complete =
    bytes.byteLength >= 33 + PNG_IEND.length && startsWith(bytes, PNG_IEND, bytes.byteLength - 12);
  return { format: "png", width, height, complete };
}
