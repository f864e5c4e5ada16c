// A participant's frames as a streamed zip download. Audited (an export).
import { Readable } from "node:stream";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { participantZip } from "~/modules/gallery/lib/zip.ts";
import { memberForRoute, requestAddress } from "~/server/context.ts";
import { errorResponse } from "~/server/errors.ts";
import { logger } from "~/server/logger.ts";
import { db, frameStore } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export async function GET(_req: Request, ctx: { params: Promise<{ participantId: string }> }) {
  try {
    const member = await memberForRoute();
    const { participantId } = await ctx.params;
    const zip = await participantZip(
      { db: db(), store: frameStore(), log: logger() },
      member.teamId,
      participantId,
    );
    await recordAudit(db(), {
      teamId: member.teamId,
      actorUserId: member.userId,
      action: "frames.export",
      targetType: "participant",
      targetId: participantId,
      data: { frames: zip.frameCount },
      ip: await requestAddress(),
    });
    return new Response(Readable.toWeb(zip.stream) as ReadableStream, {
      headers: {
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="${zip.filename}"`,
        "Cache-Control": "private, no-store",
      },
    });
  } catch (err) {
    return errorResponse(err, logger());
  }
}
