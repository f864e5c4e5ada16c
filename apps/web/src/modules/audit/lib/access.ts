// Audit of access: looking at pictures of people is recorded like changing settings. One event per thing
// a person asked for (a gallery page, a full-size frame, a zip), never one per thumbnail on the page.
import type { Db, Prisma } from "@capture/db";
import type { Member } from "~/modules/teams/lib/membership.ts";
import { recordAudit } from "./audit.ts";

export type AccessAction = "gallery.view" | "frame.view" | "frames.export";

export async function recordAccess(
  db: Db,
  member: Pick<Member, "teamId" | "userId">,
  access: { action: AccessAction; targetType: string; targetId: string; data?: Prisma.InputJsonValue },
  ip: string | null,
): Promise<void> {
  await recordAudit(db, { teamId: member.teamId, actorUserId: member.userId, ...access, ip });
}
