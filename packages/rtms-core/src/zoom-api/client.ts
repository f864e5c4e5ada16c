// Typed Zoom REST client: S2S token handling, rooms, room control and RTMS start/stop, with bounded
// retries on 429/5xx/network failures. Callers that run their own backoff (queue jobs) pass
// `{ retries: 0 }` and receive the 429 with its Retry-After instead of a wait inside the client.
import { z } from "zod";
import { ZoomApiError } from "./errors.ts";
import {
  type BackoffOptions,
  backoffDelayMs,
  errorFromResponse,
  fetchWithTimeout,
  type HttpDeps,
  type ResolvedHttpDeps,
  readJson,
  resolveHttpDeps,
} from "./http.ts";
import { AccountCredentialsTokenSource, type TokenSource } from "./token-source.ts";

export interface ZoomApiClientOptions extends HttpDeps {
  /** Default https://zoom.us */
  oauthBase?: string;
  /** Default https://api.zoom.us */
  apiBase?: string;
  /** Server-to-Server OAuth app credentials. */
  accountId: string;
  clientId: string;
  clientSecret: string;
  /** Retries after the first attempt for 429/5xx/network failures. Default 3. */
  maxRetries?: number;
  /** Backoff when Zoom sends no Retry-After. Default 1 s doubling, capped at 30 s, with jitter. */
  backoff?: BackoffOptions;
  /** A Retry-After longer than this is not waited out in-process: the 429 is thrown. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Replaces the built-in S2S token source (e.g. to share one between clients). */
  tokenSource?: TokenSource;
}

export interface CallOptions {
  /** Overrides maxRetries for this call; 0 = exactly one attempt (a 401 still gets one fresh-token retry). */
  retries?: number;
}

export type ZoomRoomStatus = "Offline" | "Available" | "InMeeting" | "UnderConstruction";

export interface ZoomRoom {
  /** The id used in /v2/rooms/{id}/events. */
  id: string;
  /** Zoom's other identifier, shown in Zoom's admin UI; not used in URLs. */
  roomId?: string;
  name: string;
  locationId?: string;
  /** Offline | Available | InMeeting | UnderConstruction (kept as Zoom sent it). */
  status?: string;
}

export interface JoinRoomOptions {
  meetingNumber: string | number;
  passcode?: string;
  /** Leave the current meeting, if any, to join this one. */
  forceAccept?: boolean;
}

export type RtmsAction = "start" | "stop" | "pause" | "resume";

/** Zoom answered 202. For room control this is NOT proof that the room joined: confirm on the stream. */
export interface Accepted {
  accepted: true;
}

const idString = z.union([z.string().min(1), z.number()]).transform(String);
/** Informational fields: whatever Zoom sends (absent, null, "", a number) must not fail the whole list. */
const optionalText = z
  .union([z.string(), z.number()])
  .transform((v) => (v === "" ? undefined : String(v)))
  .optional()
  .nullable()
  .catch(undefined);

const RoomsPage = z.looseObject({
  page_size: z.number().optional(),
  next_page_token: z.string().optional().nullable(),
  rooms: z
    .array(
      z.looseObject({
        id: idString,
        room_id: optionalText,
        name: z.string(),
        location_id: optionalText,
        status: optionalText,
      }),
    )
    .optional()
    .nullable(),
});

/** A runaway next_page_token loop would otherwise never end. 1000 pages x 300 rooms is far above any account. */
const MAX_PAGES = 1000;

export class ZoomApiClient {
  readonly #deps: ResolvedHttpDeps;
  readonly #apiBase: string;
  readonly #tokens: TokenSource;
  readonly #maxRetries: number;
  readonly #backoff: BackoffOptions;
  readonly #maxRetryAfterMs: number;

  constructor(options: ZoomApiClientOptions) {
    this.#deps = resolveHttpDeps(options);
    this.#apiBase = (options.apiBase ?? "https://api.zoom.us").replace(/\/+$/, "");
    this.#maxRetries = options.maxRetries ?? 3;
    this.#backoff = options.backoff ?? {};
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#tokens =
      options.tokenSource ??
      new AccountCredentialsTokenSource({
        oauthBase: options.oauthBase,
        accountId: options.accountId,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        fetch: options.fetch,
        clock: options.clock,
        logger: options.logger,
        timeoutMs: options.timeoutMs,
      });
  }

  /** All rooms (every page), optionally filtered by status. */
  async listRooms(filter: { status?: ZoomRoomStatus } = {}, call: CallOptions = {}): Promise<ZoomRoom[]> {
    const rooms: ZoomRoom[] = [];
    const seenTokens = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ page_size: "300" });
      if (filter.status) query.set("status", filter.status);
      if (pageToken) query.set("next_page_token", pageToken);
      const body = await this.#send("GET", `/v2/rooms?${query}`, undefined, call, (res) =>
        res.status === 200
          ? readJson(res, RoomsPage, "list rooms")
          : unexpectedStatus(res, "list rooms", 200),
      );
      for (const room of body.rooms ?? []) {
        rooms.push({
          id: room.id,
          roomId: room.room_id ?? undefined,
          name: room.name,
          locationId: room.location_id ?? undefined,
          status: room.status ?? undefined,
        });
      }
      pageToken = body.next_page_token || undefined;
      if (!pageToken) return rooms;
      if (seenTokens.has(pageToken)) {
        throw new ZoomApiError("ZOOM_BAD_RESPONSE", "list rooms: Zoom repeated a next_page_token");
      }
      seenTokens.add(pageToken);
    }
    throw new ZoomApiError("ZOOM_BAD_RESPONSE", `list rooms: more than ${MAX_PAGES} pages`);
  }

  /** Asks a Zoom Room to join a meeting. 202 = accepted, not joined. */
  joinRoom(roomId: string, options: JoinRoomOptions, call: CallOptions = {}): Promise<Accepted> {
    const params: Record<string, unknown> = {
      meeting_number: String(options.meetingNumber).replace(/\s+/g, ""),
    };
    if (options.passcode !== undefined && options.passcode !== "") params.passcode = options.passcode;
    if (options.forceAccept !== undefined) params.force_accept = options.forceAccept;
    return this.#roomEvent(roomId, { method: "zoomroom.meeting_join", params }, call);
  }

  /** Asks a Zoom Room to leave its current meeting. 202 = accepted. */
  leaveRoom(roomId: string, call: CallOptions = {}): Promise<Accepted> {
    return this.#roomEvent(roomId, { method: "zoomroom.meeting_leave", params: {} }, call);
  }

  /** Starts/stops/pauses/resumes an RTMS app on a live meeting (meeting id or UUID). */
  setRtmsStatus(
    meetingId: string | number,
    action: RtmsAction,
    settings: { clientId: string },
    call: CallOptions = {},
  ): Promise<Accepted> {
    const path = `/v2/live_meetings/${encodeMeetingId(String(meetingId))}/rtms_app/status`;
    const body = { action, settings: { client_id: settings.clientId } };
    return this.#send("PATCH", path, body, call, (res) => expectAccepted(res, `RTMS ${action}`));
  }

  #roomEvent(roomId: string, body: unknown, call: CallOptions): Promise<Accepted> {
    if (!roomId) return Promise.reject(new ZoomApiError("ZOOM_BAD_REQUEST", "room id is empty"));
    const path = `/v2/rooms/${encodeURIComponent(roomId)}/events`;
    return this.#send("PATCH", path, body, call, (res) => expectAccepted(res, "room control"));
  }

  /**
   * One logical call: fetch a token, send, map errors; retry retryable failures with Retry-After or
   * backoff; on 401 drop the token and try once more with a fresh one.
   */
  async #send<T>(
    method: string,
    path: string,
    body: unknown,
    call: CallOptions,
    handle: (res: Response) => Promise<T>,
  ): Promise<T> {
    const retries = call.retries ?? this.#maxRetries;
    const what = `${method} ${path.split("?")[0]}`;
    let freshTokenRetried = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const token = await this.#tokens.getToken();
        const headers: Record<string, string> = { authorization: `Bearer ${token.accessToken}` };
        if (body !== undefined) headers["content-type"] = "application/json";
        const res = await fetchWithTimeout(
          this.#deps,
          `${this.#apiBase}${path}`,
          { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
          what,
        );
        this.#deps.logger.debug({ method, path: what, status: res.status, attempt }, "zoom api response");
        if (res.status === 401 && !freshTokenRetried) {
          // 124 "Invalid access token": revoked or expired early. One retry with a new token, not counted
          // as a backoff retry because nothing is wrong with Zoom's capacity.
          await res.body?.cancel();
          freshTokenRetried = true;
          this.#tokens.invalidate(token.accessToken);
          attempt--;
          continue;
        }
        if (res.status < 200 || res.status >= 300)
          throw await errorFromResponse(res, what, this.#deps.clock());
        return await handle(res);
      } catch (error) {
        if (!(error instanceof ZoomApiError) || !error.retryable || attempt >= retries) throw error;
        if (error.retryAfterMs !== undefined && error.retryAfterMs > this.#maxRetryAfterMs) throw error;
        const delay = error.retryAfterMs ?? backoffDelayMs(attempt, this.#deps.random, this.#backoff);
        this.#deps.logger.warn(
          { path: what, code: error.code, status: error.status, attempt, delayMs: delay },
          "zoom api call failed, retrying",
        );
        await this.#deps.sleep(delay);
      }
    }
  }
}

async function expectAccepted(res: Response, what: string): Promise<Accepted> {
  // Clients written against Zoom treat exactly 202 as success; anything else 2xx means we misunderstood.
  if (res.status !== 202) return unexpectedStatus(res, what, 202);
  await res.body?.cancel();
  return { accepted: true };
}

async function unexpectedStatus(res: Response, what: string, expected: number): Promise<never> {
  await res.body?.cancel();
  throw new ZoomApiError("ZOOM_BAD_RESPONSE", `${what}: expected HTTP ${expected}, got ${res.status}`, {
    status: res.status,
  });
}

/** Zoom's rule for meeting UUIDs: one starting with "/" or containing "//" must be encoded twice. */
export function encodeMeetingId(meetingId: string): string {
  const once = encodeURIComponent(meetingId);
  return meetingId.startsWith("/") || meetingId.includes("//") ? encodeURIComponent(once) : once;
}
