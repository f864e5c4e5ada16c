// The audit trail: who changed settings, viewed or exported what. Written beside the change it records.
import type { Db, Prisma } from "@capture/db";
import { z } from "zod";
import { type CreatedCursor, olderThan } from "~/server/keyset.ts";
import { Id } from "~/server/validation.ts";

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

/** Filters of the audit page and its CSV export; each is optional. */
export const AuditFilter = z.object({
  action: z
    .string()
    .regex(/^[a-z_]{1,40}(\.[a-z_]{1,40}){0,3}$/)
    .optional()
    .catch(undefined),
  actor: Id.optional().catch(undefined),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

function filterWhere(teamId: string, f: AuditFilter) {
  return {
    teamId,
    ...(f.action ? { action: f.action } : {}),
    ...(f.actor ? { actorUserId: f.actor } : {}),
  };
}

/** Newest first, keyset-paginated on (createdAt, id). */
export async function listAudit(db: Db, teamId: string, before?: CreatedCursor, filter: AuditFilter = {}) {
  const rows = await db.auditEvent.findMany({
    where: { ...filterWhere(teamId, filter), ...olderThan(before) },
    include: { actor: { select: { name: true, email: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: AUDIT_PAGE_SIZE + 1,
  });
  return { rows: rows.slice(0, AUDIT_PAGE_SIZE), hasMore: rows.length > AUDIT_PAGE_SIZE };
}

/** What the filters offer: the actions this team's log holds, and the people who appear in it. */
export async function auditFilterOptions(db: Db, teamId: string) {
  const [actions, actors] = await Promise.all([
    db.auditEvent.findMany({
      where: { teamId },
      distinct: ["action"],
      select: { action: true },
      orderBy: { action: "asc" },
    }),
    db.user.findMany({
      where: { auditEvents: { some: { teamId } } },
      select: { id: true, name: true, email: true },
      orderBy: { name: "asc" },
    }),
  ]);
  return { actions: actions.map((a) => a.action), actors };
}

/** Upper bound on one CSV export; a larger log is exported with a filter. */
export const AUDIT_CSV_MAX_ROWS = 100_000;

/** One CSV field: quoted, quotes doubled, and a leading = + - @ defused so no spreadsheet runs it. */
export function csvField(value: string | null | undefined): string {
  const v = value ?? "";
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The filtered log as CSV lines (header first), newest first, read in keyset batches. */
export async function* auditCsv(db: Db, teamId: string, filter: AuditFilter = {}): AsyncGenerator<string> {
  yield "time,actor_email,actor_name,action,target_type,target_id,data,ip\r\n";
  let before: CreatedCursor | undefined;
  let sent = 0;
  while (sent < AUDIT_CSV_MAX_ROWS) {
    const rows = await db.auditEvent.findMany({
      where: { ...filterWhere(teamId, filter), ...olderThan(before) },
      include: { actor: { select: { name: true, email: true } } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: Math.min(1000, AUDIT_CSV_MAX_ROWS - sent),
    });
    if (rows.length === 0) return;
    let chunk = "";
    for (const e of rows) {
      chunk += `${[
        e.createdAt.toISOString(),
        e.actor?.email,
        e.actor?.name,
        e.action,
        e.targetType,
        e.targetId,
        e.data === null ? "" : JSON.stringify(e.data),
        e.ip,
      ]
        .map(csvField)
        .join(",")}\r\n`;
    }
    yield chunk;
    sent += rows.length;
    const last = rows.at(-1)!;
    before = { createdAt: last.createdAt, id: last.id };
  }
}
