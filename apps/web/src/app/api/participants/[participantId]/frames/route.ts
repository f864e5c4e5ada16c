// One page of a participant's gallery as JSON (newest first, keyset cursor `before`).
import { listFramesPage, parseCursor } from "~/modules/gallery/lib/frames.ts";
import { memberForRoute } from "~/server/context.ts";
import { errorResponse } from "~/server/errors.ts";
import { logger } from "~/server/logger.ts";
import { db } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ participantId: string }> }) {
  try {
    const member = await memberForRoute();
    const { participantId } = await ctx.params;
    const url = new URL(req.url);
    const page = await listFramesPage(db(), member.teamId, participantId, {
      before: parseCursor(url.searchParams.get("before")),
      limit: Number(url.searchParams.get("limit") ?? "") || undefined,
    });
    return Response.json(page, { headers: { "Cache-Control": "private, no-store" } });
  } catch (err) {
    return errorResponse(err, logger());
  }
}
