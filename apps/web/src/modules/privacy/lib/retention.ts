// The retention setting: days a team keeps frames (0 = nothing after the session ends, empty = keep until
// deleted by hand), with an optional override per meeting. The worker's sweep applies it (apps/worker
// retention/); every change is audited with the old and new values.
import type { Db } from "@capture/db";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { Id } from "~/server/validation.ts";

/** Ten years: past it a number is a typo, not a policy. */
export const MAX_RETENTION_DAYS = 3650;

/** "" means no retention (keep); otherwise whole days, 0 included. */
export const RetentionDays = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (v === "") return null;
    if (!/^\d{1,5}$/.test(v) || Number(v) > MAX_RETENTION_DAYS) {
      ctx.addIssue({
        code: "custom",
        message: `Enter whole days from 0 to ${MAX_RETENTION_DAYS}, or leave empty`,
      });
      return z.NEVER;
    }
    return Number(v);
  });

export const TeamRetentionInput = z.object({ retentionDays: RetentionDays });
export const MeetingRetentionInput = z.object({ meetingId: Id, retentionDays: RetentionDays });

export function describeRetention(days: number | null): string {
  if (days === null) return "kept until deleted";
  if (days === 0) return "nothing kept after the session ends";
  return `${days} day${days === 1 ? "" : "s"}`;
}

export async function getRetention(db: Db, teamId: string) {
  const [team, meetings] = await Promise.all([
    db.team.findUniqueOrThrow({ where: { id: teamId }, select: { retentionDays: true } }),
    db.meeting.findMany({
      where: { teamId },
      select: { id: true, name: true, meetingNumber: true, retentionDays: true },
      orderBy: { name: "asc" },
    }),
  ]);
  return { teamDays: team.retentionDays, meetings };
}

export async function setTeamRetention(db: Db, actor: Member, days: number | null, ip?: string | null) {
  requireRole(actor, "ADMIN");
  await db.$transaction(async (tx) => {
    const before = await tx.team.findUniqueOrThrow({
      where: { id: actor.teamId },
      select: { retentionDays: true },
    });
    await tx.team.update({ where: { id: actor.teamId }, data: { retentionDays: days } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "retention.update",
      targetType: "team",
      targetId: actor.teamId,
      data: { from: before.retentionDays, to: days },
      ip,
    });
  });
}

export async function setMeetingRetention(
  db: Db,
  actor: Member,
  meetingId: string,
  days: number | null,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  await db.$transaction(async (tx) => {
    const before = await tx.meeting.findFirst({
      where: { id: meetingId, teamId: actor.teamId },
      select: { retentionDays: true },
    });
    if (!before) throw new AppError("NOT_FOUND", "Meeting not found");
    await tx.meeting.update({ where: { id: meetingId }, data: { retentionDays: days } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "retention.update",
      targetType: "meeting",
      targetId: meetingId,
      data: { from: before.retentionDays, to: days },
      ip,
    });
  });
}
