// startZoomSim(): one HTTP server on 127.0.0.1 carrying Zoom's OAuth endpoint, the REST API, the event
// WebSocket, the RTMS signaling/media WebSockets and the simulator's own /_sim control routes, plus the
// webhook sender. The ZoomSim object is what tests script: meetings, rooms, faults, counters, awaitable events.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "@capture/rtms-core/logger";
import { StopReason } from "@capture/rtms-core/protocol";
import { ZoomSimError } from "./errors.ts";
import { Faults } from "./faults.ts";
import { FrameCache } from "./frames/frame-cache.ts";
import { ControlApi } from "./http/control-api.ts";
import { EventWsServer, type ZoomEvent } from "./http/event-ws.ts";
import { TokenIssuer } from "./http/oauth.ts";
import { type JoinOutcome, RestApi, type RtmsAction } from "./http/rest-api.ts";
import { HttpError, sendJson } from "./http/util.ts";
import { type MeetingInput, SimMeeting } from "./meeting.ts";
import { type ResolvedOptions, resolveOptions, type ZoomSimOptions } from "./options.ts";
import { type RoomInput, RoomRegistry, type SimRoom } from "./rooms.ts";
import { RTMS_PATH, RtmsServer } from "./rtms/server.ts";
import { RtmsStream, type StreamHost, type StreamInfo, type StreamUrls } from "./rtms/stream.ts";
import type { StartRtmsOptions, ZoomSimUrls } from "./sim-control.ts";
import { WebhookSender } from "./webhooks.ts";

export type { StartRtmsOptions, ZoomSimUrls } from "./sim-control.ts";

/** Events a ZoomSim emits (payloads are plain objects; see the README of the package for their fields). */
export type ZoomSimEvent =
  | "consumer-ready"
  | "event-ws-connected"
  | "zoom-event"
  | "webhook-delivered"
  | "webhook-target-ready"
  | "stream-started"
  | "signaling-connected"
  | "signaling-rejected"
  | "media-connected"
  | "media-rejected"
  | "media-ready"
  | "media-interrupted"
  | "stream-interrupted"
  | "stream-stopped"
  | "video-subscribed"
  | "video-flowing"
  | "video-unsubscribed"
  | "video-subscription-refused"
  | "room-joined"
  | "room-left";

/** A meeting plus its RTMS controls. */
export class LiveMeeting extends SimMeeting {
  #stream: RtmsStream | undefined;

  constructor(
    input: MeetingInput,
    private readonly sim: ZoomSim,
  ) {
    super(input);
  }

  /** The current (or last) RTMS stream. */
  get stream(): RtmsStream | undefined {
    return this.#stream;
  }

  /** Start RTMS: a new stream whose rtms_started goes to event-WS clients and webhook targets. */
  async startRtms(opts: StartRtmsOptions = {}): Promise<StreamInfo> {
    if (this.#stream && this.#stream.phase !== "stopped") return this.#stream.info;
    if (opts.waitForConsumer) await this.sim.waitForConsumer();
    const stream = this.sim._createStream(this, opts.streamId);
    this.#stream = stream;
    return stream.info;
  }

  /** Stop the current stream with a stop reason (default 6, meeting ended). */
  stopRtms(reason: number = StopReason.STOP_BC_MEETING_ENDED): void {
    this.#stream?.stop(reason);
  }

  /** Same as stopRtms (the name tests were briefed with). */
  stopStream(reason: number = StopReason.STOP_BC_MEETING_ENDED): void {
    this.stopRtms(reason);
  }
}

export class ZoomSim extends EventEmitter {
  readonly options: ResolvedOptions;
  readonly faults: Faults;
  readonly rooms = new RoomRegistry();
  readonly webhooks: WebhookSender;
  readonly meetings = new Map<string, LiveMeeting>();
  readonly streams = new Map<string, RtmsStream>();
  /** Every Zoom event published (newest last, bounded). */
  readonly publishedEvents: ZoomEvent[] = [];
  readonly log: Logger;
  readonly frames: FrameCache;
  readonly tokens: TokenIssuer;
  #urls: ZoomSimUrls | undefined;
  #server: Server;
  #eventWs: EventWsServer;
  #rtms: RtmsServer;
  #rest: RestApi;
  #control: ControlApi;
  #nextServer = 1;
  readonly #roomTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: ZoomSimOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.log = this.options.logger;
    this.faults = new Faults({
      dropMedia: (id) => this.#eachStream(id, (s) => s.dropMedia()),
      dropSignaling: (id) => this.#eachStream(id, (s) => s.dropSignaling()),
      duplicateRtmsStarted: (id) =>
        this.#eachStream(id, (s) => {
          this.publish(s.startedEvent(this.options.s2s.accountId));
          return 1;
        }),
      rtmsInterrupted: (id) =>
        this.#eachStream(id, (s) => {
          this.publish(s.interruptedEvent());
          return 1;
        }),
      failover: (id) =>
        this.#eachStream(id, (s) => {
          if (s.phase === "stopped") return 0;
          s.failover();
          this.publish(s.startedEvent(this.options.s2s.accountId));
          return 1;
        }),
      publishStarted: (serverUrls, id) =>
        this.#eachStream(id, (s) => {
          this.publish(s.startedEvent(this.options.s2s.accountId, serverUrls));
          return 1;
        }),
      garbageFlood: (socket, perSecond, id) => this.#eachStream(id, (s) => s.flood(socket, perSecond)),
    });
    this.frames = new FrameCache({ logger: this.log, tickMs: this.options.frameTickMs });
    this.tokens = new TokenIssuer(this.options, this.faults, () => this.urls.apiBase);
    this.webhooks = new WebhookSender({
      secretToken: this.options.webhookSecretToken,
      timeoutMs: this.options.webhookTimeoutMs,
      retryDelaysMs: this.options.webhookRetryDelaysMs,
      log: this.log,
      onDelivered: (record) => this.emit("webhook-delivered", record),
      onTargetReady: (target) => {
        this.emit("webhook-target-ready", target);
        this.emit("consumer-ready", { via: "webhook", url: target.url });
      },
    });
    this.#eventWs = new EventWsServer(this.tokens, this.options.eventWs, this.log, () => {
      this.emit("event-ws-connected", { clients: this.#eventWs.clientCount });
      this.emit("consumer-ready", { via: "event-ws" });
    });
    this.#rtms = new RtmsServer((id) => this.streams.get(id), this.faults, this.log);
    this.#rest = new RestApi(this.tokens, this.faults, this.rooms, {
      joinRoom: (room, number, passcode) => this.#joinRoom(room, number, passcode),
      leaveRoom: (room) => this.#leaveRoom(room),
      rtmsAppStatus: (id, action, clientId) => this.#rtmsAppStatus(id, action, clientId),
    });
    this.#control = new ControlApi(this);
    this.#server = createServer((req, res) => void this.#route(req, res));
    this.#server.on("upgrade", (req, socket, head) => this.#upgrade(req, socket, head));
  }

  get urls(): ZoomSimUrls {
    if (!this.#urls) throw new ZoomSimError("CLOSED", "zoom-sim is not listening");
    return this.#urls;
  }

  /**
   * The environment an app (the seed sample, our worker) needs to talk to this sim: its URLs and the
   * credentials it accepts, in the seed sample's spellings, which every app that speaks to Zoom reads.
   */
  appEnv(): Record<string, string> {
    const o = this.options;
    return {
      ZOOM_API_BASE: this.urls.apiBase,
      ZOOM_OAUTH_BASE: this.urls.oauthBase,
      ZOOM_EVENT_WS_BASE: this.urls.eventWs,
      ZM_CLIENT_ID: o.rtmsApp.clientId,
      ZM_CLIENT_SECRET: o.rtmsApp.clientSecret,
      S2S_ZM_CLIENT_ID: o.s2s.clientId,
      S2S_ZM_CLIENT_SECRET: o.s2s.clientSecret,
      ZOOM_ACCOUNT_ID: o.s2s.accountId,
      ZOOM_SECRET_TOKEN: o.webhookSecretToken,
    };
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    const http = `http://${this.options.host}:${port}`;
    const ws = `ws://${this.options.host}:${port}`;
    this.#urls = {
      oauthBase: http,
      apiBase: http,
      eventWs: `${ws}/ws?subscriptionId=${encodeURIComponent(this.options.eventWs.subscriptionId)}`,
      signalingBase: `${ws}/rtms`,
      controlBase: `${http}/_sim`,
    };
    this.log.info({ urls: this.#urls }, "zoom-sim listening");
    return this;
  }

  // ---------- meetings and streams ----------

  /** `input` is validated (a ZoomSimError INVALID_ARGUMENT names what is wrong). */
  createMeeting(input: MeetingInput): LiveMeeting {
    const meeting = new LiveMeeting(input, this);
    if (this.meetings.has(meeting.number))
      throw new ZoomSimError("CONFLICT", `meeting ${meeting.number} exists`);
    this.meetings.set(meeting.number, meeting);
    return meeting;
  }

  /** By meeting number or meeting UUID. */
  meeting(ref: string): LiveMeeting | undefined {
    const byNumber = this.meetings.get(ref);
    if (byNumber) return byNumber;
    for (const m of this.meetings.values()) if (m.uuid === ref) return m;
    return undefined;
  }

  requireMeeting(ref: string): LiveMeeting {
    const m = this.meeting(ref);
    if (!m) throw new ZoomSimError("NOT_FOUND", `no meeting ${ref}`);
    return m;
  }

  stream(id: string): RtmsStream | undefined {
    return this.streams.get(id);
  }

  requireStream(id: string): RtmsStream {
    const s = this.streams.get(id);
    if (!s) throw new ZoomSimError("NOT_FOUND", `no stream ${id}`);
    return s;
  }

  /** Counters of one stream plus its open sockets: tests assert "no duplicate connection" with these. */
  connectionStats(streamId: string) {
    const s = this.requireStream(streamId);
    return { ...s.counters, open: s.openSockets, phase: s.phase };
  }

  /** @internal used by LiveMeeting.startRtms */
  _createStream(meeting: LiveMeeting, streamId?: string): RtmsStream {
    if (streamId && this.streams.has(streamId))
      throw new ZoomSimError("CONFLICT", `stream ${streamId} exists`);
    const host: StreamHost = {
      app: this.options.rtmsApp,
      faults: this.faults,
      frames: this.frames,
      log: this.log,
      keepAliveIntervalMs: this.options.keepAliveIntervalMs,
      keepAliveMissLimit: this.options.keepAliveMissLimit,
      reconnectWindowMs: this.options.reconnectWindowMs,
      mediaReconnectWindowMs: this.options.mediaReconnectWindowMs,
      staleSignalingMs: this.options.staleSignalingMs,
      videoSubscriptionDelayMs: this.options.videoSubscriptionDelayMs,
      sendAudio: this.options.audio,
      newServerId: () => `sim${this.#nextServer++}`,
      urlsFor: (serverId) => this.#streamUrls(serverId),
      publish: (event) => this.publish(event),
      emit: (name, payload) => this.emit(name, payload),
    };
    const stream = new RtmsStream(meeting, host, streamId);
    this.streams.set(stream.id, stream);
    this.publish(stream.startedEvent(this.options.s2s.accountId));
    this.log.info({ streamId: stream.id, meeting: meeting.number }, "rtms stream started");
    this.emit("stream-started", { streamId: stream.id, meetingNumber: meeting.number, info: stream.info });
    return stream;
  }

  #streamUrls(serverId: string): StreamUrls {
    const base = `${this.urls.signalingBase}/${serverId}`;
    return {
      signaling: `${base}/signaling`,
      media: {
        audio: `${base}/media/audio`,
        video: `${base}/media/video`,
        transcript: `${base}/media/transcript`,
        all: `${base}/media/all`,
      },
    };
  }

  #eachStream(id: string | undefined, fn: (s: RtmsStream) => number): number {
    if (id) return fn(this.requireStream(id));
    let n = 0;
    for (const s of this.streams.values()) if (s.phase !== "stopped") n += fn(s);
    return n;
  }

  /** Send a Zoom event to every event-WS client and ready webhook target. Returns how many got it. */
  publish(event: ZoomEvent): number {
    this.publishedEvents.push(event);
    if (this.publishedEvents.length > 500) this.publishedEvents.shift();
    const n = this.#eventWs.broadcast(event) + this.webhooks.deliver(event);
    if (n === 0) this.log.warn({ event: event.event }, "event published with no consumer: lost, as on Zoom");
    this.emit("zoom-event", event);
    return n;
  }

  /** True when someone can receive events (Zoom does not replay them). */
  get consumerReady(): boolean {
    return this.#eventWs.clientCount > 0 || this.webhooks.readyCount > 0;
  }

  get eventWsClients(): number {
    return this.#eventWs.clientCount;
  }

  /** Fault: drop every event-WS client. */
  dropEventWsClients(): number {
    return this.#eventWs.dropClients();
  }

  waitForConsumer(timeoutMs = 0): Promise<void> {
    if (this.consumerReady) return Promise.resolve();
    return this.waitFor("consumer-ready", undefined, timeoutMs).then(() => undefined);
  }

  /** Resolve with the payload of the next `event` matching `predicate`; 0 = no timeout. */
  waitFor<T = Record<string, unknown>>(
    event: ZoomSimEvent,
    predicate?: (payload: T) => boolean,
    timeoutMs = 10_000,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const listener = (payload: T) => {
        if (predicate && !predicate(payload)) return;
        this.off(event, listener);
        if (timer) clearTimeout(timer);
        resolve(payload);
      };
      this.on(event, listener);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.off(event, listener);
          reject(new ZoomSimError("TIMEOUT", `no "${event}" within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  // ---------- rooms ----------

  addRoom(input: RoomInput): SimRoom {
    return this.rooms.add(input);
  }

  #joinRoom(room: SimRoom, meetingNumber: string, passcode: string | undefined): JoinOutcome {
    const meeting = this.meetings.get(meetingNumber.replace(/\s+/g, ""));
    if (!meeting) return "unknown-meeting";
    if (meeting.passcode && (passcode ?? "") !== meeting.passcode) return "wrong-passcode";
    if (room.meetingNumber === meeting.number && room.status === "InMeeting") return "ok";
    if (room.meetingNumber) this.#leaveRoom(room);
    room.status = "InMeeting";
    room.meetingNumber = meeting.number;
    // Zoom answers 202 at once; the room shows up in the meeting a moment later.
    const timer = setTimeout(() => {
      this.#roomTimers.delete(timer);
      if (room.meetingNumber !== meeting.number || room.userId !== undefined) return;
      const p = meeting.addParticipant({ name: room.name, camera: true, roomId: room.id });
      room.userId = p.userId;
      this.log.info({ roomId: room.id, meeting: meeting.number, userId: p.userId }, "room joined meeting");
      this.emit("room-joined", { roomId: room.id, meetingNumber: meeting.number, userId: p.userId });
    }, this.options.roomJoinDelayMs);
    this.#roomTimers.add(timer);
    return "ok";
  }

  #leaveRoom(room: SimRoom): void {
    const meeting = room.meetingNumber ? this.meetings.get(room.meetingNumber) : undefined;
    const userId = room.userId;
    if (meeting && userId !== undefined && meeting.find(userId)) meeting.removeParticipant(userId);
    const was = room.meetingNumber;
    room.meetingNumber = undefined;
    room.userId = undefined;
    if (room.status === "InMeeting") room.status = "Available";
    if (was) {
      this.log.info({ roomId: room.id, meeting: was }, "room left meeting");
      this.emit("room-left", { roomId: room.id, meetingNumber: was, userId });
    }
  }

  #rtmsAppStatus(meetingId: string, action: RtmsAction, clientId: string | undefined): boolean {
    let meeting = this.meeting(meetingId);
    // A UUID starting with "/" or holding "//" arrives encoded twice.
    if (!meeting && meetingId.includes("%")) meeting = this.meeting(decodeURIComponent(meetingId));
    if (!meeting) return false;
    if (clientId && clientId !== this.options.rtmsApp.clientId) {
      throw new HttpError(400, { code: 300, message: "Invalid client_id." });
    }
    const stream = meeting.stream;
    if (action === "start") void meeting.startRtms();
    else if (action === "stop") stream?.stop(StopReason.STOP_BC_USER_TRIGGERED);
    else if (action === "pause") stream?.pause();
    else stream?.resume();
    return true;
  }

  // ---------- HTTP plumbing ----------

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim");
    try {
      if (url.pathname === "/oauth/token") return await this.tokens.handle(req, res, url);
      if (url.pathname.startsWith("/v2/"))
        return await this.#rest.handle(req, res, url.pathname.slice(3), url);
      if (url.pathname.startsWith("/_sim/") || url.pathname === "/_sim") {
        return await this.#control.handle(req, res, url.pathname.slice(5) || "/", url);
      }
      sendJson(res, 404, { code: 404, message: "Not found." });
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, err.body, err.headers);
      if (err instanceof ZoomSimError) {
        const status = err.code === "NOT_FOUND" ? 404 : err.code === "CONFLICT" ? 409 : 400;
        return sendJson(res, status, { code: err.code, message: err.message });
      }
      this.log.error({ err, path: url.pathname }, "zoom-sim request failed");
      if (!res.headersSent) sendJson(res, 500, { code: 500, message: "Internal error." });
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://sim");
    if (url.pathname === "/ws") {
      this.#eventWs.wss.handleUpgrade(req, socket, head, (ws) => this.#eventWs.accept(ws, url, req));
      return;
    }
    const m = RTMS_PATH.exec(url.pathname);
    if (m) {
      const peer = `${req.socket.remoteAddress ?? ""}:${req.socket.remotePort ?? ""}`;
      this.#rtms.wss.handleUpgrade(req, socket, head, (ws) => this.#rtms.accept(ws, m[1]!, m[2]!, peer));
      return;
    }
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#roomTimers) clearTimeout(t);
    for (const s of this.streams.values()) s.dispose();
    this.webhooks.close();
    this.#eventWs.close();
    this.#rtms.close();
    this.frames.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.removeAllListeners();
  }
}

/** Start a simulator on 127.0.0.1 (port 0 unless given) and resolve once it listens. */
export async function startZoomSim(options: ZoomSimOptions = {}): Promise<ZoomSim> {
  return new ZoomSim(options).listen();
}
