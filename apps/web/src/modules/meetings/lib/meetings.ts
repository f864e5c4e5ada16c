// Registered meetings of a team: which Zoom meeting, its passcode (encrypted, write-only), the frame
// policy the worker applies, which video it captures (capture mode and dwell), which rooms join it, and
// how long they stay after the stream ends.
import { type CaptureMode, type Db, encryptSecret, type Keyring, Prisma, SecretContext } from "@capture/db";
import { parseFramePolicy } from "@capture/rtms-core/frames";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { parseInput } from "~/server/validation.ts";
import { captureModeField, dwellField } from "./form.ts";

/** A FramePolicy object (rtms-core's schema), or null for the default (the seed sample's behaviour). */
const framePolicyField = z.unknown().transform((value, ctx) => {
  if (value === null || value === undefined) return null;
  const result = parseFramePolicy(value);
  if (!result.ok) {
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  }
  return result.policy as Prisma.InputJsonValue;
});

export const MeetingInput = z.object({
  name: z.string().trim().min(1, "Give the meeting a name").max(200, "Names are at most 200 characters"),
  // People paste "123 4567 8901" or "123-4567-8901": separators are dropped, digits must remain.
  meetingNumber: z
    .string()
    .transform((s) => s.replace(/[\s-]/g, ""))
    .pipe(z.string().regex(/^\d{9,11}$/, "A Zoom meeting number has 9 to 11 digits")),
  /** Blank keeps the stored passcode (on edit); clearPasscode removes it. */
  passcode: z
    .string()
    .max(32)
    .transform((s) => s.trim())
    .pipe(
      z.union([
        z.literal(""),
        z.string().regex(/^[A-Za-z0-9@*_.-]{1,10}$/, "Passcodes have 1 to 10 letters, digits or @ * _ - ."),
      ]),
    ),
  clearPasscode: z.boolean().default(false),
  framePolicy: framePolicyField,
  roomIds: z.array(z.string().min(1).max(64)).max(200).default([]),
  roomLeaveDelaySec: z.coerce
    .number({ message: "The leave delay is a number of seconds" })
    .int("The leave delay is whole seconds")
    .min(0, "The leave delay cannot be negative")
    .max(86_400, "The leave delay is at most a day (86400 s)"),
  captureMode: captureModeField,
  /** Seconds in, Meeting.coverageDwellMs out. */
  dwellSec: dwellField,
});
export type MeetingInput = z.input<typeof MeetingInput>;

export async function listMeetings(db: Db, teamId: string) {
  return db.meeting.findMany({
    where: { teamId },
    include: {
      rooms: { include: { room: { select: { id: true, name: true } } } },
      _count: { select: { sessions: true } },
    },
    orderBy: { createdAt: "desc" },
  });
}

/** One meeting of THIS team; another team's id is indistinguishable from a missing one. */
export async function getMeeting(db: Db, teamId: string, id: string) {
  const meeting = await db.meeting.findFirst({
    where: { id, teamId },
    include: { rooms: { include: { room: true } } },
  });
  if (!meeting) throw new AppError("NOT_FOUND", "No such meeting");
  return {
    id: meeting.id,
    name: meeting.name,
    meetingNumber: meeting.meetingNumber,
    hasPasscode: meeting.passcodeEnc !== null,
    framePolicy: meeting.framePolicy,
    roomLeaveDelaySec: meeting.roomLeaveDelaySec,
    captureMode: meeting.captureMode,
    coverageDwellMs: meeting.coverageDwellMs,
    rooms: meeting.rooms.map((r) => ({ id: r.room.id, name: r.room.name, status: r.room.status })),
    createdAt: meeting.createdAt,
    updatedAt: meeting.updatedAt,
  };
}

/** Only what was given: an absent mode or dwell keeps the stored value (the schema default on create). */
function captureData(input: { captureMode?: CaptureMode | undefined; dwellSec?: number | undefined }) {
  return {
    ...(input.captureMode === undefined ? {} : { captureMode: input.captureMode }),
    ...(input.dwellSec === undefined ? {} : { coverageDwellMs: input.dwellSec }),
  };
}

async function assertTeamRooms(db: Db | Prisma.TransactionClient, teamId: string, roomIds: string[]) {
  const unique = [...new Set(roomIds)];
  const found = await db.zoomRoom.count({ where: { teamId, id: { in: unique } } });
  if (found !== unique.length)
    throw new AppError("VALIDATION", "Pick rooms from this team's list", { field: "roomIds" });
  return unique;
}

function conflictOnDuplicate(err: unknown): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
    throw new AppError("CONFLICT", "This team already registered that meeting number", {
      fieldErrors: { meetingNumber: "Already registered" },
    });
  }
  throw err;
}

export async function createMeeting(
  deps: { db: Db; keyring: Keyring },
  actor: Member,
  raw: unknown,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const input = parseInput(MeetingInput, raw);
  try {
    return await deps.db.$transaction(async (tx) => {
      const roomIds = await assertTeamRooms(tx, actor.teamId, input.roomIds);
      const meeting = await tx.meeting.create({
        data: {
          teamId: actor.teamId,
          name: input.name,
          meetingNumber: input.meetingNumber,
          passcodeEnc: input.passcode
            ? encryptSecret(deps.keyring, input.passcode, SecretContext.meetingPasscode)
            : null,
          framePolicy: input.framePolicy ?? Prisma.DbNull,
          roomLeaveDelaySec: input.roomLeaveDelaySec,
          ...captureData(input),
          rooms: { create: roomIds.map((roomId) => ({ roomId })) },
        },
      });
      await recordAudit(tx, {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "meeting.create",
        targetType: "meeting",
        targetId: meeting.id,
        data: {
          name: input.name,
          meetingNumber: input.meetingNumber,
          rooms: roomIds.length,
          ...captureData(input),
        },
        ip,
      });
      return meeting;
    });
  } catch (err) {
    conflictOnDuplicate(err);
  }
}

export async function updateMeeting(
  deps: { db: Db; keyring: Keyring },
  actor: Member,
  id: string,
  raw: unknown,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const input = parseInput(MeetingInput, raw);
  await getMeeting(deps.db, actor.teamId, id);
  const passcodeEnc = input.clearPasscode
    ? null
    : input.passcode
      ? encryptSecret(deps.keyring, input.passcode, SecretContext.meetingPasscode)
      : undefined;
  try {
    return await deps.db.$transaction(async (tx) => {
      const roomIds = await assertTeamRooms(tx, actor.teamId, input.roomIds);
      await tx.meetingRoom.deleteMany({ where: { meetingId: id } });
      const meeting = await tx.meeting.update({
        where: { id },
        data: {
          name: input.name,
          meetingNumber: input.meetingNumber,
          ...(passcodeEnc === undefined ? {} : { passcodeEnc }),
          framePolicy: input.framePolicy ?? Prisma.DbNull,
          roomLeaveDelaySec: input.roomLeaveDelaySec,
          ...captureData(input),
          rooms: { create: roomIds.map((roomId) => ({ roomId })) },
        },
      });
      await recordAudit(tx, {
        teamId: actor.teamId,
        actorUserId: actor.userId,
        action: "meeting.update",
        targetType: "meeting",
        targetId: id,
        data: {
          name: input.name,
          meetingNumber: input.meetingNumber,
          rooms: roomIds.length,
          passcodeChanged: passcodeEnc !== undefined,
          ...captureData(input),
        },
        ip,
      });
      return meeting;
    });
  } catch (err) {
    conflictOnDuplicate(err);
  }
}

export async function deleteMeeting(db: Db, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const meeting = await getMeeting(db, actor.teamId, id);
  await db.$transaction(async (tx) => {
    await tx.meeting.delete({ where: { id } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "meeting.delete",
      targetType: "meeting",
      targetId: id,
      data: { name: meeting.name, meetingNumber: meeting.meetingNumber },
      ip,
    });
  });
}
