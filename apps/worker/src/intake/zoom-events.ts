// The `zoom-events` queue: Zoom's events (from the portal's webhook route or our event WebSocket) turned
// into capture jobs and control messages. Every branch is idempotent: Zoom redelivers, and both intake
// paths may deliver the same event.
//
// Streams belong to a team (issue 9): the first team that queues a capture of a stream id owns it (stream-owner.ts),
// and another team's rtms_started / rtms_stopped / rtms_interrupted for that id is refused, audited and
// counted. Failover (a newer rtms_started with new URLs) needs the same team AND the same meeting uuid.
import type { Db, Prisma } from "@capture/db";
import { captureJobId, type JobQueues, ZoomEventJob } from "@capture/jobs";
import { parseZoomEvent, type RtmsStartedPayload, type ZoomEvent } from "@capture/rtms-core/webhook";
import { type Job, UnrecoverableError } from "bullmq";
import type { Redis } from "ioredis";
import { publishControl } from "../capture/control-bus.ts";
import { dbText } from "../capture/db-text.ts";
import { idRefusal, textRefusal } from "../capture/zoom-text.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { claimStream, type ForeignStream, streamOwnerCheck } from "./stream-owner.ts";

export interface IntakeDeps {
  db: Db;
  queues: JobQueues;
  redis: Redis;
  log: Logger;
  /** QUEUE_PREFIX: the stream-owner keys live beside the queues. */
  keyPrefix: string;
  metrics?: Metrics;
  /** A session this intake ended (no worker ran it): its rooms must be told to leave. */
  onSessionEnded?: (session: { id: string; teamId: string }) => Promise<unknown>;
}

/** States in which a capture job still owns (or will own) its stream. */
const LIVE_STATES = new Set(["active", "waiting", "delayed", "prioritized", "waiting-children"]);

export type IntakeResult =
  | { action: "capture"; rtmsStreamId: string }
  | { action: "failover"; rtmsStreamId: string }
  | {
      action:
        | "duplicate"
        | "stale"
        | "ignored-unknown-meeting"
        | "control"
        | "recorded"
        | "ignored"
        | "refused-foreign-stream"
        | "refused-other-meeting";
      rtmsStreamId?: string;
    };

export async function processZoomEvent(job: Job, deps: IntakeDeps): Promise<IntakeResult> {
  const data = ZoomEventJob.safeParse(job.data);
  if (!data.success) throw new UnrecoverableError(`bad zoom-events payload: ${data.error.message}`);
  const { teamId, eventTs } = data.data;
  const parsed = parseZoomEvent({ event: data.data.event, event_ts: eventTs, payload: data.data.payload });
  if (!parsed.ok) {
    deps.log.warn(
      { teamId, event: data.data.event, code: parsed.error.code },
      "unreadable Zoom event; not retried",
    );
    throw new UnrecoverableError(parsed.error.message);
  }
  const event = parsed.event;
  const log = deps.log.child({ teamId, event: event.event });
  const unclean = uncleanField(event);
  if (unclean) {
    // Ids become keys and rows: one that is not clean is refused here (zoom-text.ts), never rewritten.
    deps.metrics?.zoomInputRefused.inc({ kind: "zoom_event", reason: unclean.reason });
    log.warn({ field: unclean.field, reason: unclean.reason }, "Zoom event with an unclean id refused");
    throw new UnrecoverableError(`unclean ${unclean.field} in ${event.event}: ${unclean.reason}`);
  }
  switch (event.kind) {
    case "rtms_started": {
      const { rtmsStreamId } = event.payload;
      const foreign = await streamOwnerCheck(deps, teamId, rtmsStreamId);
      if (foreign) return refuseForeign(deps, log, teamId, event.event, rtmsStreamId, foreign);
      return rtmsStarted(deps, log, teamId, eventTs, event.payload);
    }
    case "rtms_stopped": {
      const { rtmsStreamId, stopReason } = event.payload;
      const foreign = await streamOwnerCheck(deps, teamId, rtmsStreamId);
      if (foreign) return refuseForeign(deps, log, teamId, event.event, rtmsStreamId, foreign);
      const receivers = await publishControl(
        deps.redis,
        { teamId, rtmsStreamId },
        { type: "stopped", stopReason, eventTs },
      );
      if (receivers === 0) await stopIdleCapture(deps, teamId, rtmsStreamId, stopReason);
      log.info({ rtmsStreamId, stopReason, receivers }, "rtms stopped");
      return { action: "control", rtmsStreamId };
    }
    case "rtms_interrupted": {
      const { rtmsStreamId } = event.payload;
      const foreign = await streamOwnerCheck(deps, teamId, rtmsStreamId);
      if (foreign) return refuseForeign(deps, log, teamId, event.event, rtmsStreamId, foreign);
      const receivers = await publishControl(
        deps.redis,
        { teamId, rtmsStreamId },
        { type: "interrupted", eventTs },
      );
      log.info({ rtmsStreamId, receivers }, "rtms interrupted");
      return { action: "control", rtmsStreamId };
    }
    case "rtms_concurrency_near_limit":
    case "rtms_concurrency_limited":
    case "rtms_start_failed": {
      // Operators must see these: an audit row (the portal lists them) and a warning.
      await deps.db.auditEvent.create({
        data: {
          teamId,
          action: `zoom.${event.kind}`,
          targetType: "rtms_stream",
          targetId: event.payload.rtmsStreamId ?? null,
          // Zoom-side text: cleaned the way every stored string from Zoom is (db-text.ts).
          data: JSON.parse(
            JSON.stringify({ eventTs, ...event.payload }, (_k, v) => (typeof v === "string" ? dbText(v) : v)),
          ) as Prisma.InputJsonValue,
        },
      });
      log.warn({ ...event.payload }, "zoom rtms notice recorded");
      return { action: "recorded", rtmsStreamId: event.payload.rtmsStreamId };
    }
    default:
      log.debug("event not used by the worker");
      return { action: "ignored" };
  }
}

async function rtmsStarted(
  deps: IntakeDeps,
  log: Logger,
  teamId: string,
  eventTs: number,
  payload: RtmsStartedPayload,
): Promise<IntakeResult> {
  const { rtmsStreamId, serverUrls } = payload;
  const legacy = await deps.queues.capture.getJob(legacyCaptureJobId(rtmsStreamId));
  if (
    legacy &&
    (legacy.data as { teamId?: string }).teamId === teamId &&
    LIVE_STATES.has(await legacy.getState())
  ) {
    // Queued before job ids carried the team (a rolling upgrade): a second job would open a second
    // connection for the stream. That job's worker follows Zoom's own signaling until it ends.
    log.info({ rtmsStreamId }, "stream already captured under its pre-team job id; ignored");
    return { action: "duplicate", rtmsStreamId };
  }
  const existing = await deps.queues.capture.getJob(captureJobId({ teamId, rtmsStreamId }));
  if (existing && LIVE_STATES.has(await existing.getState())) {
    const prev = existing.data as { startedEventTs: number; serverUrls: string; meetingUuid: string };
    // Same URL: a redelivered webhook, the same event by both intake paths, or Zoom repeating itself.
    // Reconnecting would only kick our own live connection, so it is ignored whatever its event_ts.
    if (prev.serverUrls === serverUrls) {
      log.info({ rtmsStreamId }, "duplicate rtms_started ignored");
      return { action: "duplicate", rtmsStreamId };
    }
    if (eventTs <= prev.startedEventTs) {
      log.info({ rtmsStreamId }, "older rtms_started ignored");
      return { action: "stale", rtmsStreamId };
    }
    // A stream id is Zoom's for one meeting: "the same stream moved" for another meeting is not Zoom.
    if (payload.meetingUuid !== prev.meetingUuid) {
      deps.metrics?.crossTeamEvents.inc({ event: "meeting.rtms_started" });
      await deps.db.auditEvent.create({
        data: {
          teamId,
          action: "zoom.failover_refused",
          targetType: "rtms_stream",
          targetId: rtmsStreamId,
          data: { eventTs, why: "meeting uuid differs from the running stream's" },
        },
      });
      log.warn({ rtmsStreamId }, "failover for another meeting's uuid refused");
      return { action: "refused-other-meeting", rtmsStreamId };
    }
    // A newer rtms_started with new URLs for a stream we run: Zoom moved it (failover). The job data is updated first
    // so a worker that takes the job over later connects to the new server too.
    await existing.updateData({ ...existing.data, serverUrls, startedEventTs: eventTs });
    const receivers = await publishControl(
      deps.redis,
      { teamId, rtmsStreamId },
      { type: "failover", serverUrls, eventTs },
    );
    log.info({ rtmsStreamId, receivers }, "rtms failover to new server");
    return { action: "failover", rtmsStreamId };
  }

  const meeting = payload.meetingId
    ? await deps.db.meeting.findUnique({
        where: { teamId_meetingNumber: { teamId, meetingNumber: payload.meetingId } },
      })
    : null;
  if (!meeting) {
    const team = await deps.db.team.findUnique({ where: { id: teamId } });
    if (!team) throw new UnrecoverableError(`team ${teamId} does not exist`);
    if (!team.captureUnknownMeetings) {
      log.info(
        { rtmsStreamId, meetingId: payload.meetingId },
        "stream of an unregistered meeting ignored (team setting)",
      );
      return { action: "ignored-unknown-meeting", rtmsStreamId };
    }
  }
  // Claimed only by a team that captures it: a team that ignores a stream does not own it. Two teams
  // racing here: one claim wins, the other is refused.
  const foreign = await claimStream(deps, teamId, rtmsStreamId);
  if (foreign) return refuseForeign(deps, log, teamId, "meeting.rtms_started", rtmsStreamId, foreign);
  await deps.queues.addCapture({
    teamId,
    rtmsStreamId,
    meetingUuid: payload.meetingUuid,
    serverUrls,
    operatorId: payload.operatorId,
    zoomMeetingId: payload.meetingId,
    meetingId: meeting?.id,
    startedEventTs: eventTs,
  });
  log.info({ rtmsStreamId, meetingId: meeting?.id }, "capture queued");
  return { action: "capture", rtmsStreamId };
}

/** rtms_stopped for a stream no worker runs right now: drop the waiting job and close the session row. */
async function stopIdleCapture(deps: IntakeDeps, teamId: string, rtmsStreamId: string, stopReason?: number) {
  const job = await deps.queues.capture.getJob(captureJobId({ teamId, rtmsStreamId }));
  if (job) {
    const state = await job.getState();
    if (state === "waiting" || state === "delayed" || state === "prioritized")
      await job.remove().catch(() => {});
    // A worker holds it or has just finished it (its last frames may still be on their way to the
    // database): that worker marks the session, or its lock expires and the next holder does.
    if (state === "active" || state === "completed") return;
  }
  const open = await deps.db.captureSession.findFirst({
    where: { rtmsStreamId, teamId, state: { notIn: ["STOPPED", "FAILED"] } },
    select: { id: true },
  });
  await deps.db.captureSession.updateMany({
    where: { rtmsStreamId, teamId, state: { notIn: ["STOPPED", "FAILED"] } },
    data: {
      state: "STOPPED",
      stopReason: stopReason ?? null,
      endedAt: new Date(),
      stopReasonText: "meeting.rtms_stopped",
    },
  });
  // A session ended while no worker ran it (released, waiting for a taker): its rooms leave too.
  if (open) await deps.onSessionEnded?.({ id: open.id, teamId });
}

/**
 * An event of team `teamId` for a stream another team owns changes nothing. Both teams get an audit row:
 * the owner learns someone tried, the sender learns why its event did nothing. Neither row names the
 * other team.
 */
async function refuseForeign(
  deps: IntakeDeps,
  log: Logger,
  teamId: string,
  event: string,
  rtmsStreamId: string,
  foreign: ForeignStream,
): Promise<IntakeResult> {
  deps.metrics?.crossTeamEvents.inc({ event });
  await deps.db.auditEvent.createMany({
    data: [
      {
        teamId,
        action: "zoom.event_refused",
        targetType: "rtms_stream",
        targetId: rtmsStreamId,
        data: { event, why: "the stream belongs to another team" },
      },
      ...(foreign.ownerTeamId
        ? [
            {
              teamId: foreign.ownerTeamId,
              action: "zoom.foreign_event_refused",
              targetType: "rtms_stream",
              targetId: rtmsStreamId,
              data: { event, why: "another team sent an event for this team's stream" },
            },
          ]
        : []),
    ],
  });
  log.warn({ rtmsStreamId, seenIn: foreign.seenIn }, "event for another team's stream refused");
  return { action: "refused-foreign-stream", rtmsStreamId };
}

const MAX_URL_CHARS = 2048;

/** The capture job id before it carried the team (remove once no such job can be live). */
function legacyCaptureJobId(rtmsStreamId: string): string {
  return `stream-${Buffer.from(rtmsStreamId, "utf8").toString("base64url")}`;
}

/** The first id or URL field of an RTMS event that may not be stored, and why. */
function uncleanField(event: ZoomEvent): { field: string; reason: string } | undefined {
  if (event.kind !== "rtms_started" && event.kind !== "rtms_stopped" && event.kind !== "rtms_interrupted")
    return undefined;
  const p = event.payload as { rtmsStreamId: string; meetingUuid: string; operatorId?: string };
  for (const [field, value] of [
    ["rtms_stream_id", p.rtmsStreamId],
    ["meeting_uuid", p.meetingUuid],
    ["operator_id", p.operatorId],
  ] as const) {
    if (value === undefined) continue;
    const reason = idRefusal(value);
    if (reason) return { field, reason };
  }
  if (event.kind === "rtms_started") {
    const reason = textRefusal(event.payload.serverUrls, MAX_URL_CHARS);
    if (reason) return { field: "server_urls", reason };
  }
  return undefined;
}
