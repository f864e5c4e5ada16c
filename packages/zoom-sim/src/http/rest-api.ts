// api.zoom.us/v2: the slice of Zoom's REST API the product uses. Every call needs a live bearer token
// (401 code 124 otherwise), and a rate-limit fault answers 429 with Zoom's body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type Faults, RATE_LIMIT_BODY } from "../faults.ts";
import { type RoomRegistry, roomToApi, type SimRoom } from "../rooms.ts";
import type { TokenIssuer } from "./oauth.ts";
import { bearerToken, HttpError, readJson, sendEmpty, sendJson } from "./util.ts";

export type JoinOutcome = "ok" | "unknown-meeting" | "wrong-passcode";
export type RtmsAction = "start" | "stop" | "pause" | "resume";

export interface RestHandlers {
  joinRoom(room: SimRoom, meetingNumber: string, passcode: string | undefined): JoinOutcome;
  leaveRoom(room: SimRoom): void;
  /** false when no live meeting has that id/uuid. */
  rtmsAppStatus(meetingId: string, action: RtmsAction, clientId: string | undefined): boolean;
}

const INVALID_TOKEN = { code: 124, message: "Invalid access token." };
const DEFAULT_PAGE_SIZE = 30;
const MAX_PAGE_SIZE = 300;

// Zoom accepts meeting numbers and passcodes as strings or numbers (README, "Behaviour worth knowing").
const stringish = z.union([z.string(), z.number()]).transform((v) => String(v));
const roomEventSchema = z.discriminatedUnion("method", [
  z.object({
    method: z.literal("zoomroom.meeting_join"),
    params: z.object({
      meeting_number: stringish,
      passcode: stringish.optional(),
      force_accept: z.boolean().optional(),
    }),
  }),
  z.object({ method: z.literal("zoomroom.meeting_leave"), params: z.object({}).passthrough().optional() }),
]);
const rtmsStatusSchema = z.object({
  action: z.enum(["start", "stop", "pause", "resume"]),
  settings: z.object({ client_id: z.string().optional() }).passthrough().optional(),
});

function badRequest(message: string): HttpError {
  return new HttpError(400, { code: 300, message });
}

/** An Offline or UnderConstruction room refuses room events (400 code 300); undefined when it can be reached. */
function unreachable(room: SimRoom): HttpError | undefined {
  if (room.status === "Offline") return badRequest("Zoom Room is offline.");
  if (room.status === "UnderConstruction") return badRequest("Zoom Room is under construction.");
  return undefined;
}

function encodePageToken(offset: number): string {
  return Buffer.from(`o:${offset}`).toString("base64url");
}
function decodePageToken(token: string): number {
  const match = /^o:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match?.[1]) throw badRequest("Invalid next_page_token.");
  return Number(match[1]);
}

export class RestApi {
  #calls = 0;
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly faults: Faults,
    private readonly rooms: RoomRegistry,
    private readonly handlers: RestHandlers,
  ) {}

  /** REST calls received (including rejected ones). */
  get calls(): number {
    return this.#calls;
  }

  /** `path` is relative to /v2. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    this.#calls++;
    if (!this.tokens.verify(bearerToken(req))) return sendJson(res, 401, INVALID_TOKEN);
    const limited = this.faults.takeRateLimit();
    if (limited) {
      const headers: Record<string, string> = { "x-ratelimit-category": "Medium", "x-ratelimit-type": "QPS" };
      if (limited.retryAfterSec !== null) headers["retry-after"] = String(limited.retryAfterSec);
      return sendJson(res, 429, RATE_LIMIT_BODY, headers);
    }
    if (req.method === "GET" && path === "/rooms") return this.#listRooms(res, url);
    const roomEvent = /^\/rooms\/([^/]+)\/events$/.exec(path);
    if (req.method === "PATCH" && roomEvent)
      return this.#roomEvent(req, res, decodeURIComponent(roomEvent[1]!));
    const rtmsStatus = /^\/live_meetings\/([^/]+)\/rtms_app\/status$/.exec(path);
    if (req.method === "PATCH" && rtmsStatus)
      return this.#rtmsStatus(req, res, decodeURIComponent(rtmsStatus[1]!));
    throw new HttpError(404, { code: 404, message: "Not found." });
  }

  #listRooms(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const sizeParam = q.get("page_size");
    const pageSize = sizeParam === null ? DEFAULT_PAGE_SIZE : Number(sizeParam);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw badRequest("Invalid field: page_size.");
    const size = Math.min(pageSize, MAX_PAGE_SIZE);
    const status = q.get("status")?.toLowerCase();
    const all = this.rooms.list().filter((r) => !status || r.status.toLowerCase() === status);
    const token = q.get("next_page_token");
    const offset = token ? decodePageToken(token) : 0;
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? encodePageToken(offset + size) : "";
    sendJson(res, 200, { page_size: size, next_page_token: next, rooms: page.map(roomToApi) });
  }

  async #roomEvent(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = roomEventSchema.safeParse(await readJson(req));
    if (!body.success)
      throw badRequest(`Invalid request body: ${body.error.issues[0]?.message ?? "bad params"}.`);
    const room = this.rooms.get(id);
    if (!room) throw new HttpError(404, { code: 1012, message: "Room does not exist." });
    if (body.data.method === "zoomroom.meeting_leave") {
      // A room in no meeting that cannot be reached refuses a leave as it refuses a join.
      const refusal = room.meetingNumber ? undefined : unreachable(room);
      if (refusal) throw refusal;
      this.handlers.leaveRoom(room);
      return sendEmpty(res, 202);
    }
    const refusal = unreachable(room);
    if (refusal) throw refusal;
    const { meeting_number, passcode } = body.data.params;
    const outcome = this.handlers.joinRoom(room, meeting_number, passcode);
    if (outcome === "unknown-meeting") throw badRequest("Invalid meeting number.");
    if (outcome === "wrong-passcode") throw badRequest("Invalid meeting passcode.");
    sendEmpty(res, 202);
  }

  async #rtmsStatus(req: IncomingMessage, res: ServerResponse, meetingId: string): Promise<void> {
    const body = rtmsStatusSchema.safeParse(await readJson(req));
    if (!body.success) throw badRequest("Invalid field: action.");
    const found = this.handlers.rtmsAppStatus(meetingId, body.data.action, body.data.settings?.client_id);
    if (!found) throw new HttpError(404, { code: 3001, message: "Meeting does not exist or has ended." });
    sendEmpty(res, 202);
  }
}
