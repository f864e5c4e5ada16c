// The team's Zoom Rooms: the list (with the latest join/leave outcome), a sync from Zoom (the worker's
// rooms.sync job does the API calls), and adding a room by its Zoom id before a sync has seen it.
import { type Db, Prisma } from "@capture/db";
import type { JobQueues } from "@capture/jobs";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { parseInput } from "~/server/validation.ts";

export async function listRooms(db: Db, teamId: string) {
  return db.zoomRoom.findMany({
    where: { teamId },
    include: {
      actions: { orderBy: { createdAt: "desc" }, take: 1 },
      _count: { select: { meetings: true } },
    },
    orderBy: { name: "asc" },
  });
}

export async function requestRoomsSync(
  queues: Pick<JobQueues, "addRoomsJob">,
  db: Db,
  actor: Member,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const job = await queues.addRoomsJob({ kind: "rooms.sync", teamId: actor.teamId });
  await recordAudit(db, {
    teamId: actor.teamId,
    actorUserId: actor.userId,
    action: "rooms.sync_requested",
    ip,
  });
  return job.id;
}

export const AddRoomInput = z.object({
  zoomRoomId: z
    .string()
    .trim()
    .min(1, "Enter the room's Zoom id")
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "A Zoom room id has letters, digits, - and _ only"),
  name: z.string().trim().max(200).default(""),
});

export async function addRoomById(db: Db, actor: Member, raw: unknown, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const input = parseInput(AddRoomInput, raw);
  try {
    return await db.$transaction(async (tx) => {
      const room = await tx.zoomRoom.create({
        data: { teamId: actor.teamId, zoomRoomId: input.zoomRoomId, name: input.name || input.zoomRoomId },
      });
      await recordAudit(tx, {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "room.add",
        targetType: "room",
        targetId: room.id,
        data: { zoomRoomId: input.zoomRoomId },
        ip,
      });
      return room;
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
      throw new AppError("CONFLICT", "That room is already in the list", {
        fieldErrors: { zoomRoomId: "Already added" },
      });
    }
    throw err;
  }
}

export async function removeRoom(db: Db, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const room = await db.zoomRoom.findFirst({ where: { id, teamId: actor.teamId } });
  if (!room) throw new AppError("NOT_FOUND", "No such room");
  await db.$transaction([
    db.zoomRoom.delete({ where: { id } }),
    db.auditEvent.create({
      data: {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "room.remove",
        targetType: "room",
        targetId: id,
        ip: ip ?? null,
      },
    }),
  ]);
}
