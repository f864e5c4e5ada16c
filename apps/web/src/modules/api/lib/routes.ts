// Every /api/v1 operation as data: method, path, scope, the Zod schemas of its parameters, body and
// answers, and its handler. The dispatcher (handler.ts) validates with these schemas and the OpenAPI
// document (openapi.ts) is generated from the same objects. Handlers reuse the portal's team-scoped
// library functions, so another team's id is a 404 here exactly as in the portal.
import { Readable } from "node:stream";
import type { ApiScope, Db, Keyring } from "@capture/db";
import type { JobQueues } from "@capture/jobs";
import type { Logger } from "pino";
import type { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import type { FrameFiles } from "~/modules/gallery/lib/frame-files.ts";
import { decideRange, etagMatches, readFrameImage } from "~/modules/gallery/lib/frame-image.ts";
import { getFrame, getParticipant } from "~/modules/gallery/lib/frames.ts";
import { sessionZip } from "~/modules/gallery/lib/zip.ts";
import {
  createMeeting,
  deleteMeeting,
  getMeeting,
  listMeetings,
  updateMeeting,
} from "~/modules/meetings/lib/meetings.ts";
import { listRetryItems, retryNow } from "~/modules/retries/lib/retries.ts";
import { listRooms, requestRoomsSync } from "~/modules/rooms/lib/rooms.ts";
import { getSessionSnapshot, listSessions } from "~/modules/sessions/lib/sessions.ts";
import { AppError } from "~/server/errors.ts";
import * as S from "./schemas.ts";
import { type ApiPrincipal, principalAsMember } from "./tokens.ts";

export interface ApiDeps {
  db: Db;
  keyring: Keyring;
  frameStore: FrameFiles;
  queues: Pick<JobQueues, "addRoomsJob" | "addCapture" | "capture">;
  log?: Pick<Logger, "warn" | "error">;
}

export interface ApiContext<P, Q, B> {
  principal: ApiPrincipal;
  params: P;
  query: Q;
  body: B;
  req: Request;
  deps: ApiDeps;
  ip: string | null;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Non-JSON bodies (image bytes). */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** OpenAPI template, relative to /api/v1: "/sessions/{sessionId}". */
  path: string;
  summary: string;
  tag: string;
  scope: ApiScope;
  /** Also reachable without a token through a signed URL (kid, exp, sig) from a frame.stored event. */
  signedAccess?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  bodyExample?: z.input<B>;
  responses: Record<number, ResponseSpec>;
  handle(
    ctx: ApiContext<z.output<P>, z.output<Q>, z.output<B>>,
  ): Promise<Response | { status?: number; json: unknown }>;
}

const route = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(r: ApiRoute<P, Q, B>) =>
  r as unknown as ApiRoute;

const iso = (d: Date | number | null) => (d === null ? null : new Date(d).toISOString());
const ratio = (c: { covered: number; cameraOn: number }) => ({
  ...c,
  ratio: c.cameraOn === 0 ? null : c.covered / c.cameraOn,
});

// Session cursors are opaque to clients: base64url of "<createdAt ISO>|<id>".
const encodeSessionCursor = (c: { createdAt: Date; id: string }) =>
  Buffer.from(`${c.createdAt.toISOString()}|${c.id}`, "utf8").toString("base64url");
function decodeSessionCursor(raw: string | undefined) {
  if (!raw) return undefined;
  const [at, id] = Buffer.from(raw, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new AppError("VALIDATION", "Not a cursor this API issued", { field: "cursor" });
  }
  return { createdAt, id };
}

type FrameRow = {
  id: string;
  sessionId: string;
  participantId: string;
  zoomTimestamp: bigint;
  bytes: number;
  width: number | null;
  height: number | null;
  contentType: string;
  contentHash: string;
  createdAt: Date;
};
const frameJson = (f: FrameRow): z.infer<typeof S.FrameMeta> => ({
  id: f.id,
  sessionId: f.sessionId,
  participantId: f.participantId,
  zoomTimestamp: f.zoomTimestamp.toString(),
  bytes: f.bytes,
  width: f.width,
  height: f.height,
  contentType: f.contentType,
  contentHash: f.contentHash,
  createdAt: f.createdAt.toISOString(),
  imageUrl: `/api/v1/frames/${f.id}/image`,
});

const meetingJson = (m: Awaited<ReturnType<typeof getMeeting>>): z.infer<typeof S.Meeting> => ({
  id: m.id,
  name: m.name,
  meetingNumber: m.meetingNumber,
  hasPasscode: m.hasPasscode,
  framePolicy: (m.framePolicy as Record<string, unknown> | null) ?? null,
  roomLeaveDelaySec: m.roomLeaveDelaySec,
  captureMode: m.captureMode,
  coverageDwellMs: m.coverageDwellMs,
  roomIds: m.rooms.map((r) => r.id),
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

/** MeetingWrite (the API's milliseconds) as the portal's MeetingInput (the form's seconds). */
const meetingInput = (b: z.output<typeof S.MeetingWrite>) => ({
  name: b.name,
  meetingNumber: b.meetingNumber,
  passcode: b.passcode ?? "",
  clearPasscode: b.clearPasscode ?? false,
  framePolicy: b.framePolicy ?? null,
  roomIds: b.roomIds ?? [],
  roomLeaveDelaySec: b.roomLeaveDelaySec ?? 30,
  ...(b.captureMode === undefined ? {} : { captureMode: b.captureMode }),
  ...(b.coverageDwellMs === undefined ? {} : { dwellSec: b.coverageDwellMs / 1000 }),
});

/** MeetingPatch over the stored meeting: what is absent keeps its stored value. */
const mergedMeetingInput = (
  m: Awaited<ReturnType<typeof getMeeting>>,
  b: z.output<typeof S.MeetingPatch>,
) => ({
  name: b.name ?? m.name,
  meetingNumber: b.meetingNumber ?? m.meetingNumber,
  passcode: b.passcode ?? "",
  clearPasscode: b.clearPasscode ?? false,
  framePolicy:
    b.framePolicy === undefined ? (m.framePolicy as Record<string, unknown> | null) : b.framePolicy,
  roomIds: b.roomIds ?? m.rooms.map((r) => r.id),
  roomLeaveDelaySec: b.roomLeaveDelaySec ?? m.roomLeaveDelaySec,
  ...(b.captureMode === undefined ? {} : { captureMode: b.captureMode }),
  ...(b.coverageDwellMs === undefined ? {} : { dwellSec: b.coverageDwellMs / 1000 }),
});

const E = (description: string): ResponseSpec => ({ description, schema: S.ErrorBody });
const COMMON: Record<number, ResponseSpec> = {
  401: E("No valid token: missing, unknown, expired or revoked"),
  403: E("The token lacks the scope this operation needs"),
  429: E("Too many requests for this token; see Retry-After"),
};
const NOT_FOUND = { 404: E("No such object in this token's team") };

export const API_ROUTES: ApiRoute[] = [
  route({
    operationId: "listSessions",
    method: "GET",
    path: "/sessions",
    summary: "Capture sessions, newest first (50 per page)",
    tag: "sessions",
    scope: "READ",
    query: S.CursorQuery,
    responses: {
      200: { description: "A page of sessions", schema: S.SessionList },
      400: E("Bad cursor"),
      ...COMMON,
    },
    async handle({ deps, principal, query }) {
      const page = await listSessions(deps.db, principal.teamId, {
        before: decodeSessionCursor(query.cursor),
      });
      const json: z.infer<typeof S.SessionList> = {
        data: page.rows.map((s) => ({
          id: s.id,
          meetingName: s.meetingName,
          meetingUuid: s.meetingUuid,
          state: s.state,
          captureMode: s.captureMode,
          startedAt: s.startedAt.toISOString(),
          endedAt: iso(s.endedAt),
          durationSec: s.durationSec,
          participants: s.participants,
          frames: s.frames,
          reconnects: s.reconnects,
          stopReason: s.stopReason,
          coverage: ratio(s.coverage),
        })),
        nextCursor: page.next ? encodeSessionCursor(page.next) : null,
      };
      return { json };
    },
  }),
  route({
    operationId: "getSession",
    method: "GET",
    path: "/sessions/{sessionId}",
    summary: "One session with coverage, participants and events",
    tag: "sessions",
    scope: "READ",
    params: S.SessionIdParams,
    responses: { 200: { description: "The session", schema: S.SessionDetail }, ...NOT_FOUND, ...COMMON },
    async handle({ deps, principal, params }) {
      const s = await getSessionSnapshot(deps.db, principal.teamId, params.sessionId);
      const json: z.infer<typeof S.SessionDetail> = {
        id: s.id,
        meetingId: s.meetingId,
        meetingName: s.meetingName,
        meetingUuid: s.meetingUuid,
        rtmsStreamId: s.rtmsStreamId,
        state: s.state,
        captureMode: s.captureMode,
        startedAt: iso(s.startedAt)!,
        endedAt: iso(s.endedAt),
        durationSec: s.durationSec,
        reconnects: s.reconnects,
        stopReason: s.stopReason,
        frames: s.participants.reduce((n, p) => n + p.frameCount, 0),
        notStored: s.notStored,
        framesExpiredAt: iso(s.framesExpiredAt),
        coverage: ratio(s.coverage),
        participants: s.participants.map((p) => ({
          id: p.id,
          zoomUserId: p.zoomUserId,
          name: p.name,
          isRoom: p.isRoom,
          frameCount: p.frameCount,
          firstSeenAt: iso(p.firstSeenAt)!,
          lastSeenAt: iso(p.lastSeenAt)!,
          videoOn: p.videoOn,
          firstVideoOnAt: iso(p.firstVideoOnAt),
          firstFrameAt: iso(p.firstFrameAt),
          covered: p.firstVideoOnAt !== null && p.frameCount > 0,
        })),
        events: s.events.map((e) => ({ at: iso(e.at)!, type: e.type, zoomUserId: e.zoomUserId })),
      };
      return { json };
    },
  }),
  route({
    operationId: "exportSession",
    method: "GET",
    path: "/sessions/{sessionId}/export.zip",
    summary:
      "Every frame of the session as a zip, streamed: one folder per participant (<name>_<zoomUserId>/<zoomTimestamp>.jpg); audited as an export",
    tag: "sessions",
    scope: "READ",
    params: S.SessionIdParams,
    responses: {
      200: {
        description: "The zip, streamed as it is written",
        contentType: "application/zip",
        headers: { "Content-Disposition": 'attachment; filename="<meeting>_<day>_<id>.zip"' },
      },
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, ip }) {
      const zip = await sessionZip(
        { db: deps.db, store: deps.frameStore, ...(deps.log ? { log: deps.log } : {}) },
        principal.teamId,
        params.sessionId,
      );
      // As the portal's download: one audit row per export, in the name of the token's creator.
      await recordAudit(deps.db, {
        teamId: principal.teamId,
        actorUserId: principal.createdByUserId,
        action: "frames.export",
        targetType: "session",
        targetId: params.sessionId,
        data: { frames: zip.frameCount, via: "api", tokenId: principal.tokenId },
        ip,
      });
      return new Response(Readable.toWeb(zip.stream) as ReadableStream, {
        headers: {
          "Content-Type": "application/zip",
          "Content-Disposition": `attachment; filename="${zip.filename}"`,
          "Cache-Control": "private, no-store",
        },
      });
    },
  }),
  route({
    operationId: "listParticipantFrames",
    method: "GET",
    path: "/participants/{participantId}/frames",
    summary: "A participant's frames, keyset-paginated on zoomTimestamp, filtered by time",
    tag: "frames",
    scope: "READ",
    params: S.ParticipantIdParams,
    query: S.FramesQuery,
    responses: {
      200: { description: "A page of frames", schema: S.FramePage },
      400: E("Bad query"),
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, query }) {
      await getParticipant(deps.db, principal.teamId, params.participantId);
      const asc = query.order === "asc";
      const cursor = query.cursor === undefined ? undefined : BigInt(query.cursor);
      // zoomTimestamp is unique per participant (the Frame unique key), so it alone is a stable keyset:
      // a frame inserted while a client pages never shifts the pages after its cursor.
      const ts: { gte?: bigint; lt?: bigint; gt?: bigint } = {};
      if (query.since !== undefined) ts.gte = BigInt(query.since);
      if (query.until !== undefined) ts.lt = BigInt(query.until);
      if (cursor !== undefined) {
        if (asc) ts.gt = cursor;
        else ts.lt = ts.lt !== undefined && ts.lt < cursor ? ts.lt : cursor;
      }
      const rows = await deps.db.frame.findMany({
        where: {
          participantId: params.participantId,
          ...(Object.keys(ts).length ? { zoomTimestamp: ts } : {}),
        },
        orderBy: { zoomTimestamp: asc ? "asc" : "desc" },
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const json: z.infer<typeof S.FramePage> = {
        data: page.map(frameJson),
        nextCursor: rows.length > query.limit ? (page.at(-1)?.zoomTimestamp.toString() ?? null) : null,
      };
      return { json };
    },
  }),
  route({
    operationId: "getFrame",
    method: "GET",
    path: "/frames/{frameId}",
    summary: "A frame's metadata",
    tag: "frames",
    scope: "READ",
    params: S.FrameIdParams,
    responses: { 200: { description: "The frame", schema: S.FrameMeta }, ...NOT_FOUND, ...COMMON },
    async handle({ deps, principal, params }) {
      return { json: frameJson(await getFrame(deps.db, principal.teamId, params.frameId)) };
    },
  }),
  route({
    operationId: "getFrameImage",
    method: "GET",
    path: "/frames/{frameId}/image",
    summary:
      "A frame's image bytes, with ETag (If-None-Match answers 304) and single byte ranges; a token, or the signed URL of a frame.stored event",
    tag: "frames",
    scope: "READ",
    signedAccess: true,
    params: S.FrameIdParams,
    query: S.SignedUrlQuery,
    responses: {
      200: { description: "The image", contentType: "image/jpeg" },
      206: { description: "The requested byte range", contentType: "image/jpeg" },
      304: { description: "If-None-Match matched the ETag" },
      416: { description: "The range lies outside the image" },
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, req }) {
      const frame = await getFrame(deps.db, principal.teamId, params.frameId);
      const image = await readFrameImage(deps.frameStore, frame.storageKey).catch(
        (err: { code?: string }) => {
          if (err.code === "NOT_FOUND" || err.code === "INVALID_STORAGE_KEY")
            return { kind: "missing" as const };
          throw err;
        },
      );
      if (image.kind !== "image") throw new AppError("NOT_FOUND", "The frame's image is not available");
      const headers = {
        ETag: image.etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=3600",
      };
      if (etagMatches(req.headers.get("if-none-match"), image.etag)) {
        return new Response(null, { status: 304, headers });
      }
      const size = image.bytes.length;
      const range = decideRange(req.headers.get("range"), size, image.etag, req.headers.get("if-range"));
      if (range.kind === "unsatisfiable") {
        return new Response(null, {
          status: 416,
          headers: { ...headers, "Content-Range": `bytes */${size}` },
        });
      }
      const body = range.kind === "full" ? image.bytes : image.bytes.subarray(range.start, range.end + 1);
      return new Response(new Uint8Array(body), {
        status: range.kind === "full" ? 200 : 206,
        headers: {
          ...headers,
          "Content-Type": image.contentType,
          "Content-Length": String(body.length),
          "X-Content-Type-Options": "nosniff",
          ...(range.kind === "partial"
            ? { "Content-Range": `bytes ${range.start}-${range.end}/${size}` }
            : {}),
        },
      });
    },
  }),
  route({
    operationId: "listMeetings",
    method: "GET",
    path: "/meetings",
    summary: "Registered meetings",
    tag: "meetings",
    scope: "READ",
    responses: { 200: { description: "Every meeting of the team", schema: S.MeetingList }, ...COMMON },
    async handle({ deps, principal }) {
      const rows = await listMeetings(deps.db, principal.teamId);
      return {
        json: {
          data: rows.map((m) =>
            meetingJson({
              ...m,
              hasPasscode: m.passcodeEnc !== null,
              rooms: m.rooms.map((r) => ({ id: r.room.id, name: r.room.name, status: "" })),
            }),
          ),
        },
      };
    },
  }),
  route({
    operationId: "createMeeting",
    method: "POST",
    path: "/meetings",
    summary: "Register a meeting",
    tag: "meetings",
    scope: "WRITE",
    body: S.MeetingWrite,
    bodyExample: {
      name: "API weekly",
      meetingNumber: "98765432101",
      captureMode: "EVERYONE",
      coverageDwellMs: 3000,
    },
    responses: {
      201: { description: "Created", schema: S.Meeting },
      400: E("Invalid body"),
      409: E("That meeting number is already registered"),
      ...COMMON,
    },
    async handle({ deps, principal, body, ip }) {
      const m = await createMeeting(deps, principalAsMember(principal), meetingInput(body), ip);
      return { status: 201, json: meetingJson(await getMeeting(deps.db, principal.teamId, m!.id)) };
    },
  }),
  route({
    operationId: "getMeeting",
    method: "GET",
    path: "/meetings/{meetingId}",
    summary: "One meeting",
    tag: "meetings",
    scope: "READ",
    params: S.MeetingIdParams,
    responses: { 200: { description: "The meeting", schema: S.Meeting }, ...NOT_FOUND, ...COMMON },
    async handle({ deps, principal, params }) {
      return { json: meetingJson(await getMeeting(deps.db, principal.teamId, params.meetingId)) };
    },
  }),
  route({
    operationId: "replaceMeeting",
    method: "PUT",
    path: "/meetings/{meetingId}",
    summary: "Replace a meeting's settings (absent fields take defaults; an absent passcode is kept)",
    tag: "meetings",
    scope: "WRITE",
    params: S.MeetingIdParams,
    body: S.MeetingWrite,
    bodyExample: { name: "Renamed weekly", meetingNumber: "12345678901", captureMode: "SPEAKER" },
    responses: {
      200: { description: "Updated", schema: S.Meeting },
      400: E("Invalid body"),
      409: E("That meeting number is already registered"),
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, body, ip }) {
      await updateMeeting(deps, principalAsMember(principal), params.meetingId, meetingInput(body), ip);
      return { json: meetingJson(await getMeeting(deps.db, principal.teamId, params.meetingId)) };
    },
  }),
  route({
    operationId: "updateMeeting",
    method: "PATCH",
    path: "/meetings/{meetingId}",
    summary:
      "Change some of a meeting's settings (capture mode, frame policy, rooms, ...); absent fields keep their stored values",
    tag: "meetings",
    scope: "WRITE",
    params: S.MeetingIdParams,
    body: S.MeetingPatch,
    bodyExample: { captureMode: "EVERYONE", coverageDwellMs: 5000, framePolicy: null },
    responses: {
      200: { description: "Updated", schema: S.Meeting },
      400: E("Invalid body"),
      409: E("That meeting number is already registered"),
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, body, ip }) {
      // Read, merge, write: two PATCHes racing on one meeting end as whichever wrote last, field by field
      // of the stored row, as two portal edits would.
      const stored = await getMeeting(deps.db, principal.teamId, params.meetingId);
      await updateMeeting(
        deps,
        principalAsMember(principal),
        params.meetingId,
        mergedMeetingInput(stored, body),
        ip,
      );
      return { json: meetingJson(await getMeeting(deps.db, principal.teamId, params.meetingId)) };
    },
  }),
  route({
    operationId: "deleteMeeting",
    method: "DELETE",
    path: "/meetings/{meetingId}",
    summary: "Delete a meeting (its sessions stay)",
    tag: "meetings",
    scope: "WRITE",
    params: S.MeetingIdParams,
    responses: { 204: { description: "Deleted" }, ...NOT_FOUND, ...COMMON },
    async handle({ deps, principal, params, ip }) {
      await deleteMeeting(deps.db, principalAsMember(principal), params.meetingId, ip);
      return new Response(null, { status: 204 });
    },
  }),
  route({
    operationId: "listRooms",
    method: "GET",
    path: "/rooms",
    summary: "The team's Zoom Rooms",
    tag: "rooms",
    scope: "READ",
    responses: { 200: { description: "Rooms by name", schema: S.RoomList }, ...COMMON },
    async handle({ deps, principal }) {
      const rows = await listRooms(deps.db, principal.teamId);
      const json: z.infer<typeof S.RoomList> = {
        data: rows.map((r) => ({
          id: r.id,
          zoomRoomId: r.zoomRoomId,
          name: r.name,
          status: r.status,
          locationId: r.locationId,
          lastSyncedAt: iso(r.lastSyncedAt),
        })),
      };
      return { json };
    },
  }),
  route({
    operationId: "syncRooms",
    method: "POST",
    path: "/rooms/sync",
    summary: "Ask the worker to sync the team's Zoom Rooms from Zoom (asynchronous)",
    tag: "rooms",
    scope: "WRITE",
    responses: { 202: { description: "Sync enqueued", schema: S.JobAccepted }, ...COMMON },
    async handle({ deps, principal, ip }) {
      const jobId = await requestRoomsSync(deps.queues, deps.db, principalAsMember(principal), ip);
      return { status: 202, json: { jobId: jobId ?? null } };
    },
  }),
  route({
    operationId: "listRetries",
    method: "GET",
    path: "/retries",
    summary: "The retry queue (newest first, at most 200)",
    tag: "retries",
    scope: "READ",
    query: S.RetriesQuery,
    responses: { 200: { description: "Retry items", schema: S.RetryList }, 400: E("Bad query"), ...COMMON },
    async handle({ deps, principal, query }) {
      const rows = await listRetryItems(deps.db, principal.teamId, query.status);
      const json: z.infer<typeof S.RetryList> = {
        data: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          status: r.status,
          reason: r.reason,
          attempts: r.attempts,
          lastError: r.lastError,
          nextStep: r.nextStep,
          dueAt: iso(r.dueAt),
          createdAt: r.createdAt.toISOString(),
        })),
      };
      return { json };
    },
  }),
  route({
    operationId: "retryNow",
    method: "POST",
    path: "/retries/{retryId}/retry",
    summary: "Enqueue an open retry item again",
    tag: "retries",
    scope: "WRITE",
    params: S.RetryIdParams,
    responses: {
      202: { description: "Enqueued", schema: S.RetryAccepted },
      409: E("The item is not open"),
      ...NOT_FOUND,
      ...COMMON,
    },
    async handle({ deps, principal, params, ip }) {
      const jobId = await retryNow(deps, principalAsMember(principal), params.retryId, ip);
      return { status: 202, json: { id: params.retryId, jobId: jobId ?? null } };
    },
  }),
];

/** The route for a method and a path below /api/v1, with its raw path parameters. */
export function matchRoute(
  method: string,
  subpath: string,
): { route: ApiRoute; params: Record<string, string> } | { allowed: string[] } | null {
  const parts = subpath.split("/").filter(Boolean);
  const allowed: string[] = [];
  for (const r of API_ROUTES) {
    const tpl = r.path.split("/").filter(Boolean);
    if (tpl.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = tpl.every((seg, i) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) {
        params[m[1]!] = decodeURIComponent(parts[i]!);
        return true;
      }
      return seg === parts[i];
    });
    if (!ok) continue;
    if (r.method === method) return { route: r, params };
    allowed.push(r.method);
  }
  return allowed.length ? { allowed } : null;
}
