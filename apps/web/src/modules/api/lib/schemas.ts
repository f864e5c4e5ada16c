// The API's wire shapes, as Zod schemas: the one source for request validation and for the OpenAPI
// document (openapi.ts turns them into JSON Schema with zod's own z.toJSONSchema). Responses are built
// to these types, so the document cannot drift from what the handlers send.
import { z } from "zod";
import { CAPTURE_MODES, DWELL_SEC } from "~/modules/meetings/lib/capture-mode.ts";
import { APP_ERROR_STATUS } from "~/server/errors.ts";

const Iso = z.iso.datetime({ offset: true });
const IdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum([
        ...(Object.keys(APP_ERROR_STATUS) as [keyof typeof APP_ERROR_STATUS]),
        "STORE_UNAVAILABLE",
      ]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "Error" });

const SessionState = z.enum([
  "PENDING",
  "CONNECTING",
  "ACTIVE",
  "RECONNECTING",
  "PAUSED",
  "STOPPED",
  "FAILED",
]);
const CaptureMode = z.enum(CAPTURE_MODES);

export const Coverage = z
  .object({
    /** camera was on at some point (firstVideoOnAt set) and at least one frame is kept */
    covered: z.int(),
    /** camera was on at some point */
    cameraOn: z.int(),
    /** covered / cameraOn, null when no camera was on */
    ratio: z.number().min(0).max(1).nullable(),
  })
  .meta({
    id: "Coverage",
    description: "Participants whose camera was on that have frames, over those whose camera was on",
  });

export const SessionSummary = z
  .object({
    id: z.string(),
    meetingName: z.string().nullable(),
    meetingUuid: z.string(),
    state: SessionState,
    captureMode: CaptureMode,
    startedAt: Iso,
    endedAt: Iso.nullable(),
    durationSec: z.int(),
    participants: z.int(),
    frames: z.int(),
    reconnects: z.int(),
    stopReason: z.string().nullable(),
    coverage: Coverage,
  })
  .meta({ id: "SessionSummary" });

export const SessionList = z
  .object({ data: z.array(SessionSummary), nextCursor: z.string().nullable() })
  .meta({ id: "SessionList" });

export const SessionParticipant = z
  .object({
    id: z.string(),
    zoomUserId: z.string(),
    name: z.string(),
    isRoom: z.boolean(),
    frameCount: z.int(),
    firstSeenAt: Iso,
    lastSeenAt: Iso,
    videoOn: z.boolean(),
    firstVideoOnAt: Iso.nullable(),
    firstFrameAt: Iso.nullable(),
    covered: z.boolean(),
  })
  .meta({ id: "SessionParticipant" });

export const SessionDetail = z
  .object({
    id: z.string(),
    meetingId: z.string().nullable(),
    meetingName: z.string().nullable(),
    meetingUuid: z.string(),
    rtmsStreamId: z.string(),
    state: SessionState,
    captureMode: CaptureMode,
    startedAt: Iso,
    endedAt: Iso.nullable(),
    durationSec: z.int(),
    reconnects: z.int(),
    stopReason: z.string().nullable(),
    frames: z.int(),
    /** Frames capture did not store because of a storage limit: the team's quota, a worker's low disk. */
    notStored: z.object({ quota: z.int(), lowDisk: z.int() }),
    /** When retention removed the session's frames; its times, participants and counts stay. */
    framesExpiredAt: Iso.nullable(),
    coverage: Coverage,
    participants: z.array(SessionParticipant),
    events: z.array(z.object({ at: Iso, type: z.string(), zoomUserId: z.string().nullable() })),
  })
  .meta({ id: "SessionDetail" });

export const FrameMeta = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    participantId: z.string(),
    /** Zoom's media timestamp, ms, as a decimal string (it can pass 2^53 in principle) */
    zoomTimestamp: z.string().regex(/^\d+$/),
    bytes: z.int(),
    width: z.int().nullable(),
    height: z.int().nullable(),
    contentType: z.string(),
    contentHash: z.string(),
    createdAt: Iso,
    imageUrl: z.string(),
  })
  .meta({ id: "Frame" });

export const FramePage = z
  .object({ data: z.array(FrameMeta), nextCursor: z.string().nullable() })
  .meta({ id: "FramePage" });

export const Meeting = z
  .object({
    id: z.string(),
    name: z.string(),
    meetingNumber: z.string(),
    hasPasscode: z.boolean(),
    framePolicy: z.record(z.string(), z.unknown()).nullable(),
    roomLeaveDelaySec: z.int(),
    captureMode: CaptureMode,
    coverageDwellMs: z.int(),
    roomIds: z.array(z.string()),
    createdAt: Iso,
    updatedAt: Iso,
  })
  .meta({ id: "Meeting" });

export const MeetingList = z.object({ data: z.array(Meeting) }).meta({ id: "MeetingList" });

/** PUT replaces: fields left out take their defaults (an absent passcode keeps the stored one). */
export const MeetingWrite = z
  .object({
    name: z.string().min(1).max(200),
    meetingNumber: z.string().min(9).max(20),
    passcode: z.string().max(32).optional(),
    clearPasscode: z.boolean().optional(),
    framePolicy: z.record(z.string(), z.unknown()).nullable().optional(),
    roomIds: z.array(IdParam).max(200).optional(),
    roomLeaveDelaySec: z.int().min(0).max(86_400).optional(),
    captureMode: CaptureMode.optional(),
    coverageDwellMs: z
      .int()
      .min(DWELL_SEC.min * 1000)
      .max(DWELL_SEC.max * 1000)
      .optional(),
  })
  .strict()
  .meta({ id: "MeetingWrite" });

/** PATCH changes only what is given; at least one field. */
export const MeetingPatch = MeetingWrite.partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one field to change" })
  .meta({ id: "MeetingPatch" });

export const Room = z
  .object({
    id: z.string(),
    zoomRoomId: z.string(),
    name: z.string(),
    status: z.string(),
    locationId: z.string().nullable(),
    lastSyncedAt: Iso.nullable(),
  })
  .meta({ id: "Room" });
export const RoomList = z.object({ data: z.array(Room) }).meta({ id: "RoomList" });

export const RetryItem = z
  .object({
    id: z.string(),
    kind: z.enum(["ROOM_JOIN", "ROOM_LEAVE", "ROOMS_SYNC", "CAPTURE"]),
    status: z.enum(["OPEN", "RETRYING", "RESOLVED", "DISMISSED"]),
    reason: z.string(),
    attempts: z.int(),
    lastError: z.string().nullable(),
    nextStep: z.string().nullable(),
    dueAt: Iso.nullable(),
    createdAt: Iso,
  })
  .meta({ id: "RetryItem" });
export const RetryList = z.object({ data: z.array(RetryItem) }).meta({ id: "RetryList" });
export const JobAccepted = z.object({ jobId: z.string().nullable() }).meta({ id: "JobAccepted" });
export const RetryAccepted = z
  .object({ id: z.string(), jobId: z.string().nullable() })
  .meta({ id: "RetryAccepted" });

// --- Parameters -----------------------------------------------------------------------------------------

export const SessionIdParams = z.object({ sessionId: IdParam });
export const ParticipantIdParams = z.object({ participantId: IdParam });
export const FrameIdParams = z.object({ frameId: IdParam });
export const MeetingIdParams = z.object({ meetingId: IdParam });
export const RetryIdParams = z.object({ retryId: IdParam });

export const CursorQuery = z.object({
  cursor: z.string().max(200).optional().describe("nextCursor of the previous page"),
});

export const FramesQuery = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional()
    .describe("nextCursor of the previous page"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  order: z
    .enum(["desc", "asc"])
    .default("desc")
    .describe("by zoomTimestamp; asc suits polling for new frames"),
  since: z.coerce.number().int().min(0).optional().describe("zoomTimestamp >= since (ms)"),
  until: z.coerce.number().int().min(0).optional().describe("zoomTimestamp < until (ms)"),
});

export const RetriesQuery = z.object({ status: z.enum(["open", "all"]).default("open") });

export const SignedUrlQuery = z.object({
  kid: z.string().max(64).optional().describe("signed URL: key id"),
  exp: z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .describe("signed URL: expiry, unix seconds"),
  sig: z.string().max(128).optional().describe("signed URL: signature"),
});
