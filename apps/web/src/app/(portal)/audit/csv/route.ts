// The audit log as CSV, with the page's filters; streamed in keyset batches. Exporting it is audited too.
import { Readable } from "node:stream";
import { AuditFilter, auditCsv, recordAudit } from "~/modules/audit/lib/audit.ts";
import { memberForRoute, requestAddress } from "~/server/context.ts";
import { errorResponse } from "~/server/errors.ts";
import { logger } from "~/server/logger.ts";
import { db } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    const member = await memberForRoute("ADMIN");
    const sp = new URL(req.url).searchParams;
    const filter = AuditFilter.parse({
      action: sp.get("action") || undefined,
      actor: sp.get("actor") || undefined,
    });
    await recordAudit(db(), {
      teamId: member.teamId,
      actorUserId: member.userId,
      action: "audit.export",
      targetType: "team",
      targetId: member.teamId,
      data: { ...filter },
      ip: await requestAddress(),
    });
    const stamp = new Date().toISOString().slice(0, 10);
    return new Response(
      Readable.toWeb(Readable.from(auditCsv(db(), member.teamId, filter))) as ReadableStream,
      {
        headers: {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="audit-${stamp}.csv"`,
          "Cache-Control": "private, no-store",
        },
      },
    );
  } catch (err) {
    return errorResponse(err, logger());
  }
}
