// The job contract between the portal and the worker: queue names, payload schemas and job ids.
// Both apps import this package; neither imports the other. A payload is validated when it is enqueued
// and again before a handler runs (a job is data and may have been written by an older version).
import { z } from "zod";

export const QueueName = {
  /** Zoom events from webhooks (enqueued by the portal) and the event WebSocket (enqueued by the worker). */
  zoomEvents: "zoom-events",
  /** One long-running job per RTMS stream; the job's lock is the lease on the stream. */
  capture: "capture",
  /** Room join/leave/confirm and rooms-sync, each retried with exponential backoff. */
  rooms: "rooms",
  /** The retention sweep: one repeatable job, run by one worker per period (see JobQueues.scheduleRetention). */
  retention: "retention",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const ZoomEventJob = z.object({
  teamId: z.string().min(1),
  source: z.enum(["webhook", "event-ws", "portal"]),
  /** Zoom's event name, e.g. "meeting.rtms_started". */
  event: z.string().min(1),
  eventTs: z.number().int().nonnegative(),
  /** The event's payload exactly as Zoom sent it (flat or nested); rtms-core parses it. */
  payload: z.unknown(),
  receivedAt: z.number().int(),
});
export type ZoomEventJob = z.infer<typeof ZoomEventJob>;

export const CaptureJob = z.object({
  teamId: z.string().min(1),
  rtmsStreamId: z.string().min(1),
  meetingUuid: z.string().min(1),
  /** Signaling URL from rtms_started (a ws/wss URL). */
  serverUrls: z.string().min(1),
  operatorId: z.string().optional(),
  /** Zoom's numeric meeting id when the event carried one. */
  zoomMeetingId: z.string().optional(),
  /** Our Meeting row, when the stream belongs to a registered meeting. */
  meetingId: z.string().optional(),
  startedEventTs: z.number().int().nonnegative(),
});
export type CaptureJob = z.infer<typeof CaptureJob>;

export const RoomJoinJob = z.object({
  kind: z.literal("room.join"),
  teamId: z.string().min(1),
  /** ZoomRoom row id (the worker reads the Zoom id and the meeting's passcode from the database). */
  roomId: z.string().min(1),
  meetingId: z.string().min(1),
  sessionId: z.string().optional(),
  retryItemId: z.string().optional(),
});
export const RoomLeaveJob = z.object({
  kind: z.literal("room.leave"),
  teamId: z.string().min(1),
  roomId: z.string().min(1),
  sessionId: z.string().optional(),
  retryItemId: z.string().optional(),
  /**
   * The session already ended (stopped, failed, hit its maximum length): the leave is sent, but there is
   * no live stream to confirm it against, so Zoom's 202 is final.
   */
  sessionEnded: z.boolean().optional(),
});
export const RoomConfirmJob = z.object({
  kind: z.literal("room.confirm"),
  teamId: z.string().min(1),
  roomId: z.string().min(1),
  sessionId: z.string().min(1),
  roomActionId: z.string().min(1),
});
export const RoomsSyncJob = z.object({
  kind: z.literal("rooms.sync"),
  teamId: z.string().min(1),
  retryItemId: z.string().optional(),
});
export const RoomsQueueJob = z.discriminatedUnion("kind", [
  RoomJoinJob,
  RoomLeaveJob,
  RoomConfirmJob,
  RoomsSyncJob,
]);
export type RoomsQueueJob = z.infer<typeof RoomsQueueJob>;

/** One retention sweep over every team; the data is empty, the job id names the run. */
export const RetentionSweepJob = z.object({ kind: z.literal("retention.sweep") });
export type RetentionSweepJob = z.infer<typeof RetentionSweepJob>;

/** The scheduler id: every worker upserts the same one, so the sweep runs once per period, not per worker. */
export const RETENTION_SCHEDULER_ID = "retention-sweep";

/**
 * A stream belongs to the team whose Zoom app announced it: every key that names a stream (capture job id,
 * control channel, event dedup id) carries the team, so another team's event can never reach it.
 */
export interface StreamKey {
  teamId: string;
  rtmsStreamId: string;
}

/**
 * BullMQ custom job ids may not contain ':' and must not be integers. Stream ids are opaque Zoom strings,
 * so `${teamId}:${rtmsStreamId}` is encoded (team ids are cuids, without ':'); the prefix keeps the id from
 * ever parsing as a number.
 */
export function captureJobId({ teamId, rtmsStreamId }: StreamKey): string {
  return `stream-${Buffer.from(`${teamId}:${rtmsStreamId}`, "utf8").toString("base64url")}`;
}

/** Redis pub/sub channel on which a running capture job receives control messages (failover, stop). */
export function captureControlChannel(key: StreamKey): string {
  return `capture-control:${captureJobId(key)}`;
}

/** The id under which redeliveries of one Zoom event collapse (both intake paths build the same one). */
export function zoomEventDedupId(teamId: string, eventDedupId: string): string {
  return `${teamId}|${eventDedupId}`;
}

export const CaptureControl = z.discriminatedUnion("type", [
  z.object({ type: z.literal("failover"), serverUrls: z.string().min(1), eventTs: z.number().int() }),
  z.object({ type: z.literal("interrupted"), eventTs: z.number().int() }),
  z.object({
    type: z.literal("stopped"),
    stopReason: z.number().int().optional(),
    eventTs: z.number().int(),
  }),
]);
export type CaptureControl = z.infer<typeof CaptureControl>;
