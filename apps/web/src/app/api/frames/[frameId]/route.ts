// Frame images, only through here: the frame must belong to the signed-in user's active team (else 404).
// ?size=thumb serves the cached thumbnail. Viewing a full-size frame is audited. Frames come from the frame
// store (local or S3) with an entity tag and single byte ranges; stored bytes that are not an image get a
// placeholder image, never a 500.

import { FrameStoreError } from "@capture/rtms-core/frames";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import {
  decideRange,
  etagMatches,
  placeholderResponse,
  readFrameImage,
} from "~/modules/gallery/lib/frame-image.ts";
import { getFrame } from "~/modules/gallery/lib/frames.ts";
import { ThumbnailError } from "~/modules/gallery/lib/thumbnails.ts";
import { memberForRoute, requestAddress } from "~/server/context.ts";
import { AppError, errorResponse } from "~/server/errors.ts";
import { logger } from "~/server/logger.ts";
import { db, frameStore, thumbnails } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ frameId: string }> }) {
  try {
    const member = await memberForRoute();
    const { frameId } = await ctx.params;
    const frame = await getFrame(db(), member.teamId, frameId);
    const headers = {
      "Cache-Control": "private, max-age=3600",
      "X-Content-Type-Options": "nosniff",
    };
    if (new URL(req.url).searchParams.get("size") === "thumb") {
      try {
        const thumb = await thumbnails().get(frame).catch(notFoundIfMissing);
        return new Response(new Uint8Array(thumb.data), {
          headers: { ...headers, "Content-Type": "image/jpeg" },
        });
      } catch (err) {
        if (!(err instanceof ThumbnailError)) throw err;
        logger().warn({ frameId: frame.id, reason: err.reason }, "stored frame is not an image: placeholder");
        return placeholderResponse(err.reason);
      }
    }

    const image = await readFrameImage(frameStore(), frame.storageKey).catch(notFoundIfMissing);
    if (image.kind === "missing") throw new AppError("NOT_FOUND", "The frame's file is gone");
    if (image.kind === "invalid") {
      logger().warn({ frameId: frame.id, reason: image.reason }, "stored frame is not an image: placeholder");
      return placeholderResponse(image.reason);
    }
    const cacheHeaders = { ...headers, ETag: image.etag, "Accept-Ranges": "bytes" };
    if (etagMatches(req.headers.get("if-none-match"), image.etag)) {
      return new Response(null, { status: 304, headers: cacheHeaders });
    }
    const size = image.bytes.length;
    const range = decideRange(req.headers.get("range"), size, image.etag, req.headers.get("if-range"));
    if (range.kind === "unsatisfiable") {
      return new Response(null, {
        status: 416,
        headers: { ...cacheHeaders, "Content-Range": `bytes */${size}` },
      });
    }
    // A range request is the same view continued (a resumed download): audited once, on its first byte.
    if (range.kind === "full" || range.start === 0) {
      await recordAudit(db(), {
        teamId: member.teamId,
        actorUserId: member.userId,
        action: "frame.view",
        targetType: "frame",
        targetId: frame.id,
        ip: await requestAddress(),
      });
    }
    const ext = image.contentType === "image/png" ? "png" : "jpg";
    const body = range.kind === "full" ? image.bytes : image.bytes.subarray(range.start, range.end + 1);
    return new Response(new Uint8Array(body), {
      status: range.kind === "full" ? 200 : 206,
      headers: {
        ...cacheHeaders,
        "Content-Type": image.contentType,
        "Content-Length": String(body.length),
        ...(range.kind === "partial" ? { "Content-Range": `bytes ${range.start}-${range.end}/${size}` } : {}),
        "Content-Disposition": `inline; filename="${frame.zoomTimestamp}.${ext}"`,
      },
    });
  } catch (err) {
    if (err instanceof FrameStoreError && err.code === "UNAVAILABLE") {
      // The store (S3) did not answer within its retry budget: a passing outage, not a bug; try again.
      logger().warn({ err }, "frame store unavailable");
      return Response.json(
        { error: { code: "STORE_UNAVAILABLE", message: "Frames are unavailable right now" } },
        { status: 503, headers: { "Retry-After": "5" } },
      );
    }
    return errorResponse(err, logger());
  }
}

function notFoundIfMissing(err: unknown): never {
  if (err instanceof FrameStoreError && (err.code === "NOT_FOUND" || err.code === "INVALID_STORAGE_KEY")) {
    throw new AppError("NOT_FOUND", "The frame's file is gone");
  }
  throw err;
}
