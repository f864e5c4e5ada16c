// Frame images, only through here: the frame must belong to the signed-in user's active team (else 404).
// ?size=thumb serves the cached thumbnail. Viewing a full-size frame is audited.

import { Readable } from "node:stream";
import { FrameStoreError } from "@capture/rtms-core/frames";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { getFrame } from "~/modules/gallery/lib/frames.ts";
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
      const thumb = await thumbnails().get(frame).catch(notFoundIfMissing);
      return new Response(new Uint8Array(thumb.data), {
        headers: { ...headers, "Content-Type": "image/jpeg" },
      });
    }
    const { stream, bytes } = await frameStore().createReadStream(frame.storageKey).catch(notFoundIfMissing);
    await recordAudit(db(), {
      teamId: member.teamId,
      actorUserId: member.userId,
      action: "frame.view",
      targetType: "frame",
      targetId: frame.id,
      ip: await requestAddress(),
    });
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        ...headers,
        "Content-Type": frame.contentType === "image/png" ? "image/png" : "image/jpeg",
        "Content-Length": String(bytes),
        "Content-Disposition": `inline; filename="${frame.zoomTimestamp}.${frame.contentType === "image/png" ? "png" : "jpg"}"`,
      },
    });
  } catch (err) {
    return errorResponse(err, logger());
  }
}

function notFoundIfMissing(err: unknown): never {
  if (err instanceof FrameStoreError && (err.code === "NOT_FOUND" || err.code === "INVALID_STORAGE_KEY")) {
    throw new AppError("NOT_FOUND", "The frame's file is gone");
  }
  throw err;
}
