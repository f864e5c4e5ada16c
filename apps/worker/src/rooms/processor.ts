// The `rooms` queue: join, leave, confirm and sync. Every attempt leaves a RoomAction row; a job that
// runs out of attempts (or fails for a reason retrying cannot fix) leaves a RetryItem the portal can
// re-run. A 202 from Zoom is only "accepted": a join succeeds when the room shows up in the stream.
import type { Db, Prisma, RetryKind } from "@capture/db";
import { type JobQueues, type RoomsQueueJob, RoomsQueueJob as RoomsQueueJobSchema } from "@capture/jobs";
import { ZoomApiError } from "@capture/rtms-core/zoom-api";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ZoomApps } from "../zoom-apps.ts";

export interface RoomsDeps {
  db: Db;
  zoomApps: ZoomApps;
  queues: JobQueues;
  metrics: Metrics;
  log: Logger;
  attempts: number;
  backoffMs: number;
  confirmTimeoutMs: number;
  confirmPollMs?: number;
}

/** A Retry-After is honoured this many times per job; a room that is rate limited forever still ends. */
const MAX_RATE_LIMIT_DELAYS = 20;

type JoinJob = Extract<RoomsQueueJob, { kind: "room.join" }>;
type LeaveJob = Extract<RoomsQueueJob, { kind: "room.leave" }>;

export function roomJobOptions(
  deps: Pick<RoomsDeps, "attempts" | "backoffMs">,
  jobId?: string,
  delay?: number,
) {
  return {
    attempts: deps.attempts,
    backoff: { type: "exponential" as const, delay: deps.backoffMs },
    ...(jobId ? { jobId } : {}),
    ...(delay ? { delay } : {}),
  };
}

export async function processRoomsJob(
  job: Job,
  token: string | undefined,
  deps: RoomsDeps,
): Promise<unknown> {
  const parsed = RoomsQueueJobSchema.safeParse(job.data);
  if (!parsed.success) {
    deps.log.error(
      { jobId: job.id, issues: parsed.error.issues },
      "rooms job with a bad payload: not retried",
    );
    throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
  }
  const data = parsed.data;
  switch (data.kind) {
    case "room.join":
      return runRoomAction(job, token, deps, data, "ROOM_JOIN");
    case "room.leave":
      return runRoomAction(job, token, deps, data, "ROOM_LEAVE");
    case "room.confirm": {
      // A one-shot check of a join (e.g. asked from the portal): is the room in the stream now?
      const confirmed = (await roomPresence(deps.db, data.sessionId, data.roomId)) === "present";
      await deps.db.roomAction.update({
        where: { id: data.roomActionId },
        data: { outcome: confirmed ? "CONFIRMED" : "UNCONFIRMED" },
      });
      return { confirmed };
    }
    case "rooms.sync":
      return withRetryItem(job, deps, data, "ROOMS_SYNC", () => syncRooms(deps, data.teamId));
  }
}

/** Refreshes the team's ZoomRoom rows from the Rooms API (every page, every status). */
export async function syncRooms(deps: Pick<RoomsDeps, "db" | "zoomApps" | "log">, teamId: string) {
  const api = await deps.zoomApps.api(teamId);
  const rooms = await api.listRooms();
  const now = new Date();
  for (const room of rooms) {
    const fields = {
      name: room.name,
      roomId: room.roomId ?? null,
      status: room.status ?? "Unknown",
      locationId: room.locationId ?? null,
      lastSyncedAt: now,
    };
    await deps.db.zoomRoom.upsert({
      where: { teamId_zoomRoomId: { teamId, zoomRoomId: room.id } },
      create: { teamId, zoomRoomId: room.id, ...fields },
      update: fields,
    });
  }
  deps.log.info({ teamId, rooms: rooms.length }, "rooms synced");
  return { rooms: rooms.length };
}

async function runRoomAction(
  job: Job,
  token: string | undefined,
  deps: RoomsDeps,
  data: JoinJob | LeaveJob,
  kind: "ROOM_JOIN" | "ROOM_LEAVE",
) {
  const { db, metrics, log } = deps;
  const room = await db.zoomRoom.findUnique({ where: { id: data.roomId } });
  if (!room || room.teamId !== data.teamId)
    throw new UnrecoverableError(`room ${data.roomId} does not exist`);
  const actionKind = kind === "ROOM_JOIN" ? "JOIN" : "LEAVE";
  const action = await db.roomAction.create({
    data: {
      teamId: data.teamId,
      roomId: room.id,
      sessionId: data.sessionId,
      kind: actionKind,
      attempt: job.attemptsMade + 1,
    },
  });
  const record = async (
    outcome: "ACCEPTED" | "CONFIRMED" | "UNCONFIRMED" | "RATE_LIMITED" | "FAILED",
    extra = {},
  ) => {
    await db.roomAction.update({ where: { id: action.id }, data: { outcome, ...extra } });
    metrics.roomActions.inc({ kind: actionKind, outcome });
  };
  const roomLog = log.child({
    roomId: room.id,
    zoomRoomId: room.zoomRoomId,
    sessionId: data.sessionId,
    kind,
  });

  return withRetryItem(job, deps, data, kind, async () => {
    try {
      const api = await deps.zoomApps.api(data.teamId);
      if (data.kind === "room.join") {
        const meeting = await db.meeting.findUnique({ where: { id: data.meetingId } });
        if (!meeting) throw new UnrecoverableError(`meeting ${data.meetingId} does not exist`);
        // Read at run time and handed straight to the API: the passcode never sits in Redis.
        const passcode = await deps.zoomApps.meetingPasscode(meeting.id);
        await api.joinRoom(room.zoomRoomId, { meetingNumber: meeting.meetingNumber, passcode });
      } else {
        await api.leaveRoom(room.zoomRoomId);
      }
    } catch (err) {
      if (!(err instanceof ZoomApiError)) throw err;
      const extra = {
        httpStatus: err.status ?? null,
        zoomCode: err.zoomCode ?? null,
        message: err.message.slice(0, 500),
      };
      if (err.code === "ZOOM_RATE_LIMITED") {
        await record("RATE_LIMITED", extra);
        const delays = Number((job.data as { rateLimitDelays?: number }).rateLimitDelays ?? 0);
        if (err.retryAfterMs !== undefined && token && delays < MAX_RATE_LIMIT_DELAYS) {
          // Zoom said when: wait exactly that long, without spending one of the job's attempts.
          roomLog.warn({ retryAfterMs: err.retryAfterMs }, "rate limited; waiting as Zoom asked");
          await job.updateData({ ...job.data, rateLimitDelays: delays + 1 });
          await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
          throw new DelayedError();
        }
        throw err; // no Retry-After: BullMQ's exponential backoff
      }
      await record("FAILED", extra);
      // 4xx other than 429 (offline room, unknown room, bad passcode) will not change by retrying now.
      if (!err.retryable) throw new UnrecoverableError(err.message);
      throw err;
    }

    await record("ACCEPTED", { httpStatus: 202 });
    if (data.kind === "room.leave" && data.sessionEnded) {
      // No live stream to watch the room vanish from: Zoom's 202 is all there is.
      roomLog.info("room told to leave after its session ended");
      return { outcome: "ACCEPTED" };
    }
    // 202 is only "accepted": the room must actually show up in (or vanish from) the stream.
    const sessionId = data.sessionId;
    const want = data.kind === "room.join" ? "present" : "absent";
    const confirmed =
      sessionId !== undefined &&
      (await waitFor(
        async () => (await roomPresence(db, sessionId, room.id)) === want,
        deps.confirmTimeoutMs,
        deps.confirmPollMs ?? 250,
      ));
    if (!confirmed) {
      await record("UNCONFIRMED");
      throw new Error(
        sessionId
          ? `Zoom accepted the ${data.kind === "room.join" ? "join" : "leave"} but the room was not ${want} in the meeting within ${deps.confirmTimeoutMs} ms`
          : "Zoom accepted the request but there is no capture session to confirm it against",
      );
    }
    if (data.kind === "room.leave") {
      await record("CONFIRMED");
      roomLog.info("room left and confirmed");
      return { outcome: "CONFIRMED" };
    }
    await record("CONFIRMED");
    const meeting = await db.meeting.findUniqueOrThrow({ where: { id: data.meetingId } });
    await deps.queues.addRoomsJob(
      { kind: "room.leave", teamId: data.teamId, roomId: room.id, sessionId },
      roomJobOptions(deps, `leave-${action.id}`, meeting.roomLeaveDelaySec * 1000),
    );
    roomLog.info({ leaveInSec: meeting.roomLeaveDelaySec }, "room joined and confirmed");
    return { outcome: "CONFIRMED" };
  });
}

/**
 * Runs the job body; on the failure that ends the job (attempts exhausted, or unrecoverable) it writes a
 * RetryItem with the payload to re-run. A job re-run from a RetryItem resolves it on success.
 */
async function withRetryItem<T>(
  job: Job,
  deps: RoomsDeps,
  data: Exclude<RoomsQueueJob, { kind: "room.confirm" }>,
  kind: RetryKind,
  body: () => Promise<T>,
): Promise<T> {
  try {
    const result = await body();
    if (data.retryItemId) {
      await deps.db.retryItem.updateMany({
        where: { id: data.retryItemId },
        data: { status: "RESOLVED", resolvedAt: new Date(), attempts: { increment: job.attemptsMade + 1 } },
      });
    }
    return result;
  } catch (err) {
    if (err instanceof DelayedError) throw err;
    const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) await recordRetryItem(job, deps, data, kind, err as Error);
    throw err;
  }
}

async function recordRetryItem(
  job: Job,
  deps: RoomsDeps,
  data: Exclude<RoomsQueueJob, { kind: "room.confirm" }>,
  kind: RetryKind,
  err: Error,
) {
  const { retryItemId, ...payload } = data;
  const reason = err.message;
  const attempts = job.attemptsMade + 1;
  const nextStep =
    kind === "ROOMS_SYNC"
      ? "Check the team's Server-to-Server app credentials, then retry."
      : "Check that the room is online and the meeting is running, then retry.";
  if (retryItemId) {
    await deps.db.retryItem.updateMany({
      where: { id: retryItemId },
      data: { status: "OPEN", attempts: { increment: attempts }, lastError: reason.slice(0, 1000) },
    });
  } else {
    await deps.db.retryItem.create({
      data: {
        teamId: data.teamId,
        kind,
        payload: payload as Prisma.InputJsonValue,
        reason: reason.slice(0, 1000),
        lastError: reason.slice(0, 1000),
        attempts,
        nextStep,
      },
    });
  }
  deps.log.warn({ jobId: job.id, kind, attempts, reason }, "room job failed for good; recorded for retry");
}

/**
 * Whether a room is in the stream right now, as the capture session recorded it: a participant recognised
 * as the room (by its join or its frames) whose latest join/leave event is not a leave.
 */
async function roomPresence(db: Db, sessionId: string, roomId: string): Promise<"present" | "absent"> {
  const participants = await db.participant.findMany({
    where: { sessionId, roomId },
    select: { zoomUserId: true },
  });
  for (const p of participants) {
    const last = await db.sessionEvent.findFirst({
      where: { sessionId, zoomUserId: p.zoomUserId, type: { in: ["PARTICIPANT_JOIN", "PARTICIPANT_LEAVE"] } },
      orderBy: { at: "desc" },
      select: { type: true },
    });
    if (last?.type !== "PARTICIPANT_LEAVE") return "present";
  }
  return "absent";
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Called by a capture session once its media handshake succeeds: asks the meeting's rooms (registered,
 * or every Available room of the account when the team chose the seed's behaviour) to join.
 * Job ids make this idempotent: a resumed session does not ask twice.
 */
export async function enqueueRoomJoins(
  deps: Pick<RoomsDeps, "db" | "zoomApps" | "queues" | "log" | "attempts" | "backoffMs">,
  session: { id: string; teamId: string; meetingId: string | null },
) {
  if (!session.meetingId) return 0;
  const meeting = await deps.db.meeting.findUnique({
    where: { id: session.meetingId },
    include: { team: true, rooms: { include: { room: true } } },
  });
  if (!meeting) return 0;
  let roomIds = meeting.rooms.map((r) => r.roomId);
  if (meeting.team.roomJoinMode === "ALL_AVAILABLE") {
    try {
      await syncRooms(deps, session.teamId);
    } catch (err) {
      deps.log.warn(
        { err, teamId: session.teamId },
        "rooms sync failed; using the last known Available rooms",
      );
    }
    const rooms = await deps.db.zoomRoom.findMany({
      where: { teamId: session.teamId, status: { equals: "Available", mode: "insensitive" } },
    });
    roomIds = rooms.map((r) => r.id);
  }
  for (const roomId of roomIds) {
    await deps.queues.addRoomsJob(
      { kind: "room.join", teamId: session.teamId, roomId, meetingId: meeting.id, sessionId: session.id },
      roomJobOptions(deps, `join-${session.id}-${roomId}`),
    );
  }
  deps.log.info(
    { sessionId: session.id, rooms: roomIds.length, mode: meeting.team.roomJoinMode },
    "room joins queued",
  );
  return roomIds.length;
}

/**
 * Called when a capture session ends in any way (stopped, failed, released for good, maximum length): every
 * room the session asked to join and has not seen leave is told to leave now. A pending join is cancelled;
 * a leave already scheduled (after the meeting's delay) is brought forward instead of doubled, since a
 * second leave could pull the room out of the NEXT meeting it joined.
 */
const ACCEPTED_OUTCOMES = new Set(["ACCEPTED", "CONFIRMED", "UNCONFIRMED"]);

export async function enqueueRoomLeaves(
  deps: Pick<RoomsDeps, "db" | "queues" | "log" | "attempts" | "backoffMs">,
  session: { id: string; teamId: string },
) {
  const actions = await deps.db.roomAction.findMany({
    where: { sessionId: session.id },
    orderBy: { createdAt: "asc" },
    select: { id: true, roomId: true, kind: true, outcome: true },
  });
  const last = new Map<string, (typeof actions)[number]>();
  for (const a of actions) {
    // Only what Zoom accepted counts: a refused join put no room in the meeting, a refused leave took
    // none out.
    if (ACCEPTED_OUTCOMES.has(a.outcome)) last.set(a.roomId, a);
  }
  let told = 0;
  for (const [roomId, action] of last) {
    await removeIfPending(deps.queues, `join-${session.id}-${roomId}`);
    if (action.kind !== "JOIN") continue;
    const data = { kind: "room.leave" as const, teamId: session.teamId, roomId, sessionId: session.id };
    const scheduled = await deps.queues.rooms.getJob(`leave-${action.id}`);
    if (scheduled && (await scheduled.isDelayed())) {
      await scheduled.updateData({ ...scheduled.data, sessionEnded: true });
      await scheduled.promote();
    } else if (!scheduled) {
      await deps.queues.addRoomsJob(
        { ...data, sessionEnded: true },
        roomJobOptions(deps, `leave-end-${session.id}-${roomId}`),
      );
    }
    told++;
  }
  if (told > 0) deps.log.info({ sessionId: session.id, rooms: told }, "session ended: rooms told to leave");
  return told;
}

async function removeIfPending(queues: JobQueues, jobId: string) {
  const job = await queues.rooms.getJob(jobId);
  if (!job) return;
  const state = await job.getState();
  if (state === "waiting" || state === "delayed" || state === "prioritized")
    await job.remove().catch(() => {});
}
