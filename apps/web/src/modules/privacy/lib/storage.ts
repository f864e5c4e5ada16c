// Storage limits in the portal (issue 13): a team's quota and what it stores (Team.storedBytes, kept by
// the database on every frame write and delete), what capture could not store because of a limit (per
// session), and the workers' low-disk reports (WorkerDiskState heartbeats).
import { type Db, lowDiskWorkers } from "@capture/db";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";

const MB = 1_000_000;
/** 100 TB: past it a number is a typo. */
export const MAX_QUOTA_MB = 100_000_000;

/** "" = unlimited; otherwise megabytes (10^6 bytes), up to 3 decimals, more than 0. */
export const QuotaMegabytes = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (v === "") return null;
    if (!/^\d{1,9}(\.\d{1,3})?$/.test(v) || Number(v) <= 0 || Number(v) > MAX_QUOTA_MB) {
      ctx.addIssue({
        code: "custom",
        message: `Enter megabytes above 0 and up to ${MAX_QUOTA_MB.toLocaleString("en")}, or leave empty`,
      });
      return z.NEVER;
    }
    return BigInt(Math.round(Number(v) * MB));
  });

export const TeamQuotaInput = z.object({ quotaMb: QuotaMegabytes });

export interface StorageUsage {
  quotaBytes: number | null;
  storedBytes: number;
  /** 0..100+, null when unlimited. */
  percent: number | null;
}

export async function getStorageUsage(db: Db, teamId: string): Promise<StorageUsage> {
  const t = await db.team.findUniqueOrThrow({
    where: { id: teamId },
    select: { quotaBytes: true, storedBytes: true },
  });
  const quotaBytes = t.quotaBytes === null ? null : Number(t.quotaBytes);
  const storedBytes = Number(t.storedBytes);
  return {
    quotaBytes,
    storedBytes,
    percent: quotaBytes === null ? null : Math.round((storedBytes / quotaBytes) * 1000) / 10,
  };
}

/** About one large HD JPEG. */
const FULL_MARGIN_BYTES = 512 * 1024;

/**
 * Capture refuses a frame that would not fit, so a full team stops just under its quota: within one large
 * frame of it counts as full.
 */
export function isAtQuota(u: StorageUsage): boolean {
  return u.quotaBytes !== null && u.storedBytes + FULL_MARGIN_BYTES >= u.quotaBytes;
}

export function fmtMegabytes(bytes: number): string {
  return `${(bytes / MB).toLocaleString("en", { maximumFractionDigits: 3 })} MB`;
}

export async function setTeamQuota(db: Db, actor: Member, quotaBytes: bigint | null, ip?: string | null) {
  requireRole(actor, "ADMIN");
  await db.$transaction(async (tx) => {
    const before = await tx.team.findUniqueOrThrow({
      where: { id: actor.teamId },
      select: { quotaBytes: true },
    });
    await tx.team.update({ where: { id: actor.teamId }, data: { quotaBytes } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "quota.update",
      targetType: "team",
      targetId: actor.teamId,
      data: {
        from: before.quotaBytes === null ? null : Number(before.quotaBytes),
        to: quotaBytes === null ? null : Number(quotaBytes),
      },
      ip,
    });
  });
}

/** Workers whose local frame store is below its floor now (every team is affected: the disk is shared). */
export async function lowDiskReports(db: Db) {
  return (await lowDiskWorkers(db)).map((w) => ({
    workerId: w.workerId,
    freeBytes: Number(w.freeBytes),
    floorBytes: Number(w.floorBytes),
    deleteOldest: w.deleteOldest,
    lowSince: w.lowSince,
  }));
}
