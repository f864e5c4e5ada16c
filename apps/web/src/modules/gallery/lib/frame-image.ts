// A stored frame as an HTTP answer: entity tags, single byte ranges, and a placeholder instead of an error
// for stored bytes that are not an image (frames written before the worker checked them, or a store
// tampered with). The checks are inspectImage's: magic bytes and declared dimensions, no decoding.
import { DEFAULT_IMAGE_LIMITS, type ImageRejection, inspectImage } from "@capture/rtms-core/frames";
import type { FrameFiles } from "./frame-files.ts";

export type FrameImage =
  | { kind: "missing" }
  | { kind: "invalid"; reason: ImageRejection; etag: string }
  | { kind: "image"; bytes: Buffer; etag: string; contentType: "image/jpeg" | "image/png" };

/**
 * Reads and checks one frame. Frames are bounded (at most inspectImage's maxBytes, 8 MiB) so reading one
 * whole is safe; a larger object is refused from its size alone, without reading it.
 */
export async function readFrameImage(store: FrameFiles, storageKey: string): Promise<FrameImage> {
  const info = await store.head(storageKey);
  if (!info) return { kind: "missing" };
  if (info.bytes > DEFAULT_IMAGE_LIMITS.maxBytes) {
    return { kind: "invalid", reason: "too_many_bytes", etag: info.etag };
  }
  let bytes: Buffer;
  try {
    bytes = await store.get(storageKey);
  } catch (err) {
    if ((err as { code?: string }).code === "NOT_FOUND") return { kind: "missing" };
    throw err;
  }
  const check = inspectImage(bytes);
  if (!check.ok) return { kind: "invalid", reason: check.reason, etag: info.etag };
  return {
    kind: "image",
    bytes,
    etag: info.etag,
    contentType: check.format === "png" ? "image/png" : "image/jpeg",
  };
}

/** A grey 16:9 card, the same for every unreadable frame; static markup, no script, no external reference. */
export const PLACEHOLDER_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180"><rect width="320" height="180" fill="#e5e7eb"/><path d="M136 70h48v40h-48z" fill="none" stroke="#9ca3af" stroke-width="4"/><path d="M136 70l48 40M184 70l-48 40" stroke="#9ca3af" stroke-width="3"/><text x="160" y="140" font-family="sans-serif" font-size="14" fill="#6b7280" text-anchor="middle">Frame unavailable</text></svg>`;

/** The placeholder answer: 200 so an <img> shows it, never cached, with the reason for whoever debugs. */
export function placeholderResponse(reason: string): Response {
  return new Response(PLACEHOLDER_SVG, {
    headers: {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      // A sandboxing CSP: the SVG is ours and static, but opened on its own it still gets no script.
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      "X-Frame-Placeholder": reason,
    },
  });
}

/** True when If-None-Match lists this entity tag (weak comparison, as RFC 9110 13.1.2 has for GET). */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => opaque(tag) === opaque(etag));
}

export type RangeDecision =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * One byte range from a Range header (RFC 9110 14.2), for an object of `size` bytes. Anything this does not
 * serve (several ranges, other units, garbage) means the whole object, which the RFC allows. If-Range
 * needs a strong tag that matches (13.1.3); else the whole object too.
 */
export function decideRange(
  rangeHeader: string | null,
  size: number,
  etag: string,
  ifRange: string | null = null,
): RangeDecision {
  if (!rangeHeader) return { kind: "full" };
  if (ifRange !== null && (etag.startsWith("W/") || ifRange.trim() !== etag)) return { kind: "full" };
  const match = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
  if (!match) return { kind: "full" };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    // A suffix: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: "unsatisfiable" };
  if (end < start) return { kind: "full" }; // invalid range: ignored, per the RFC
  return { kind: "partial", start, end };
}
