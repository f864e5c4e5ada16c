// The audit trail: who changed settings, viewed or exported what. Written beside the change it records.
import type { Db, Prisma } from "@capture/db";
import { type CreatedCursor, olderThan } from "~/server/keyset.ts";

export interface AuditEntry {
  teamId: string | null;
  actorUserId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Prisma.InputJsonValue;
  ip?: string | null;
}

export function auditData(e: AuditEntry) {
  return {
    teamId: e.teamId,
    actorUserId: e.actorUserId,
    action: e.action,
    targetType: e.targetType ?? null,
    targetId: e.targetId ?? null,
    ...(e.data === undefined ? {} : { data: e.data }),
    ip: e.ip ?? null,
  };
}

export async function recordAudit(db: Db | Prisma.TransactionClient, e: AuditEntry): Promise<void> {
  await db.auditEvent.create({ data: auditData(e) });
}

export const AUDIT_PAGE_SIZE = 100;

/** Newest first, keyset-paginated on (createdAt, id). */
export async function listAudit(db: Db, teamId: string, before?: CreatedCursor) {
  const rows = await db.auditEvent.findMany({
    where: {
      teamId,
      ...olderThan(before),
    },
    include: { actor: { select: { name: true, email: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: AUDIT_PAGE_SIZE + 1,
  });
  return { rows: rows.slice(0, AUDIT_PAGE_SIZE), hasMore: rows.length > AUDIT_PAGE_SIZE };
}
