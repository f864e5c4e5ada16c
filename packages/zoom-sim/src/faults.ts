import { type HostileSettings, NO_HOSTILITY } from "./rtms/hostile.ts";

// Injected misbehaviour. Global switches live here as plain state that the servers read on their hot paths;
// faults aimed at one stream (drop a socket, fail over...) are carried out by the stream through `actions`.

export type KeepAliveFault =
  /** Normal: msg 12 every interval, a socket is interrupted after the miss limit. */
  | "normal"
  /** The server stops sending msg 12 (a silent server: the client must notice on its own). */
  | "silent"
  /** The server stops reading: client messages, msg 13 included, are ignored, so it declares the client dead. */
  | "deaf";

export interface StreamFaultActions {
  dropMedia(streamId?: string): number;
  dropSignaling(streamId?: string): number;
  duplicateRtmsStarted(streamId?: string): number;
  rtmsInterrupted(streamId?: string): number;
  failover(streamId?: string): number;
  /** Publish the stream's rtms_started with `serverUrls` in place of its own signaling URL. */
  publishStarted(serverUrls: string, streamId?: string): number;
  /** Send `perSecond` unparseable messages on the stream's signaling or media sockets (0 stops). */
  garbageFlood(socket: "signaling" | "media", perSecond: number, streamId?: string): number;
}

/** The key of hostile settings that apply to every stream. */
const ALL_STREAMS = "*";

export interface RateLimitOptions {
  /** Send a Retry-After header with this many seconds; omitted means no header (clients must back off). */
  retryAfterSec?: number;
}

export const RATE_LIMIT_BODY = {
  code: 429,
  message: "You have reached the maximum per-second rate limit for this API. Try again later.",
};

export class Faults {
  #rateLimitLeft = 0;
  #retryAfterSec: number | undefined;
  tokenDelayMs = 0;
  binaryJson = false;
  oldStatusNumbering = false;
  keepAlive: KeepAliveFault = "normal";
  /** user id -> the status msg 29 answers to a msg 28 subscribing to them. */
  readonly #videoRefusals = new Map<number, number>();
  /** Stream id (or ALL_STREAMS) -> hostile settings in force. */
  readonly #hostile = new Map<string, HostileSettings>();

  constructor(private readonly actions: StreamFaultActions) {}

  /** The next `count` REST calls (/v2/...) answer 429 with Zoom's body. */
  rateLimit(count: number, opts: RateLimitOptions = {}): void {
    this.#rateLimitLeft = count;
    this.#retryAfterSec = opts.retryAfterSec;
  }

  /** Consumes one unit of a 429 burst; returns the Retry-After to send (null = none) or undefined if none left. */
  takeRateLimit(): { retryAfterSec: number | null } | undefined {
    if (this.#rateLimitLeft <= 0) return undefined;
    this.#rateLimitLeft--;
    return { retryAfterSec: this.#retryAfterSec ?? null };
  }

  /** Delay every token endpoint answer (0 turns it off). */
  slowToken(delayMs: number): void {
    this.tokenDelayMs = delayMs;
  }

  /** Send RTMS JSON in binary WebSocket frames (Zoom does it sometimes). */
  setBinaryJson(on = true): void {
    this.binaryJson = on;
  }

  /** Answer rejected handshakes with the older status table: invalid signature 15, duplicate 17. */
  setOldStatusNumbering(on = true): void {
    this.oldStatusNumbering = on;
  }

  setKeepAlive(mode: KeepAliveFault): void {
    this.keepAlive = mode;
  }

  /**
   * Every msg 28 subscribing to `userId` answers `statusCode` (e.g. 45, or 4 for a user who is present) until
   * cleared; `statusCode` 0 removes the refusal. Lets a client prove a refusal does not stall its rotation.
   */
  refuseVideoSubscription(userId: number, statusCode: number): void {
    if (statusCode === 0) this.#videoRefusals.delete(userId);
    else this.#videoRefusals.set(userId, statusCode);
  }

  videoSubscriptionRefusal(userId: number): number | undefined {
    return this.#videoRefusals.get(userId);
  }

  /** The refusals in force, for /_sim/state. */
  get videoSubscriptionRefusals(): { userId: number; statusCode: number }[] {
    return [...this.#videoRefusals].map(([userId, statusCode]) => ({ userId, statusCode }));
  }

  // ---------- hostile input (issue 9): per stream, or for every stream when streamId is absent ----------

  /** Change hostile settings: a key set to undefined turns that fault off. */
  setHostile(patch: HostileSettings, streamId: string = ALL_STREAMS): void {
    const next: HostileSettings = { ...this.#hostile.get(streamId), ...patch };
    for (const key of Object.keys(next) as (keyof HostileSettings)[]) {
      if (next[key] === undefined || next[key] === false || next[key] === 0) delete next[key];
    }
    if (Object.keys(next).length) this.#hostile.set(streamId, next);
    else this.#hostile.delete(streamId);
  }

  /** The hostile settings a stream's messages follow now (the stream's own over the global ones). */
  hostileFor(streamId: string): HostileSettings {
    const all = this.#hostile.get(ALL_STREAMS);
    const own = this.#hostile.get(streamId);
    if (all && own) return { ...all, ...own };
    return own ?? all ?? NO_HOSTILITY;
  }

  /** The hostile settings in force, for /_sim/state. */
  get hostile(): Record<string, HostileSettings> {
    return Object.fromEntries(this.#hostile);
  }

  /** user_id and user_name of frames and msg 6 events end in NUL. */
  nulIds(on = true, streamId?: string): void {
    this.setHostile({ nulIds: on }, streamId);
  }

  /** Frames carry random bytes, an HTML page or a PNG declaring 16000x16000 ("normal" = images again). */
  nonImageFrames(kind: HostileSettings["frameData"] | "normal", streamId?: string): void {
    this.setHostile({ frameData: kind === "normal" ? undefined : kind }, streamId);
  }

  /** Frames of `bytes` bytes (default 11 MB); 0 = normal size. */
  oversizedFrames(bytes = 11 * 1024 * 1024, streamId?: string): void {
    this.setHostile({ oversizedBytes: bytes }, streamId);
  }

  /** Frame and event timestamps negative or not numbers ("normal" = off). */
  badTimestamps(kind: HostileSettings["badTimestamps"] | "normal", streamId?: string): void {
    this.setHostile({ badTimestamps: kind === "normal" ? undefined : kind }, streamId);
  }

  /** The stream ignores every stop (meeting end, REST, msg 21, windows) until this is off. */
  endless(on = true, streamId?: string): void {
    this.setHostile({ endless: on }, streamId);
  }

  /** msg 2 lists `url` for every media type (undefined = the stream's own URLs). */
  foreignMediaUrls(url: string | undefined, streamId?: string): void {
    this.setHostile({ foreignMediaUrl: url }, streamId);
  }

  /** A new rtms_started for the stream whose server_urls names `url` (another host or port). */
  foreignServerUrls(url: string, streamId?: string): number {
    return this.actions.publishStarted(url, streamId);
  }

  /** Unparseable messages at `perSecond` on signaling or on every media socket; 0 stops the flood. */
  garbageFlood(socket: "signaling" | "media", perSecond = 1000, streamId?: string): number {
    return this.actions.garbageFlood(socket, perSecond, streamId);
  }

  /** Terminate the media sockets of one stream (or all streams): returns how many sockets were dropped. */
  dropMedia(streamId?: string): number {
    return this.actions.dropMedia(streamId);
  }
  /** Terminate the signaling socket(s) without any stop message. */
  dropSignaling(streamId?: string): number {
    return this.actions.dropSignaling(streamId);
  }
  /** Deliver the stream's rtms_started again (a redelivered webhook or a repeated event). */
  duplicateRtmsStarted(streamId?: string): number {
    return this.actions.duplicateRtmsStarted(streamId);
  }
  /** Send meeting.rtms_interrupted for the stream (client should reconnect signaling, then media). */
  rtmsInterrupted(streamId?: string): number {
    return this.actions.rtmsInterrupted(streamId);
  }
  /** Move the stream to another server: old sockets are dropped and a new rtms_started carries new URLs. */
  failover(streamId?: string): number {
    return this.actions.failover(streamId);
  }

  clear(): void {
    this.#rateLimitLeft = 0;
    this.tokenDelayMs = 0;
    this.binaryJson = false;
    this.oldStatusNumbering = false;
    this.keepAlive = "normal";
    this.#videoRefusals.clear();
    this.#hostile.clear();
    this.actions.garbageFlood("signaling", 0);
    this.actions.garbageFlood("media", 0);
  }
}
