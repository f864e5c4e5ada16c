import { sessionEventStream } from "~/modules/sessions/lib/live.ts";
import { getSessionSnapshot } from "~/modules/sessions/lib/sessions.ts";
import { memberForRoute } from "~/server/context.ts";
import { errorResponse } from "~/server/errors.ts";
import { logger } from "~/server/logger.ts";
import { db } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ sessionId: string }> }) {
  try {
    const member = await memberForRoute();
    const { sessionId } = await ctx.params;
    await getSessionSnapshot(db(), member.teamId, sessionId); // 404 before opening a stream
    return new Response(sessionEventStream(db(), member.teamId, sessionId, { signal: req.signal }), {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      },
    });
  } catch (err) {
    return errorResponse(err, logger());
  }
}
