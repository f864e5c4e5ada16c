// RtmsSession: one RTMS stream, end to end. It owns the signaling socket and the media socket(s), keeps them
// alive, turns Zoom's messages into typed events, and applies the reconnection table of PROTOCOL.md
// section 5. Recovery is a single "reconcile" step (signaling first, then every missing media socket, each
// followed by a ready ack) run after a delay from the ReconnectPolicy, so each rule of the table only has to
// say WHAT broke: a dropped media socket is re-opened alone, a dropped signaling socket alone, and
// failover/interruption close everything first. A generation counter discards work started before a
// failover or a close, so two live connections for one stream never coexist.

import { type Logger, silentLogger } from "../logger.ts";
import {
  EventType,
  isAbnormalStopReason,
  MsgType,
  SessionState,
  StopReason,
  StreamState,
  stopReasonText,
} from "../protocol/constants.ts";
import type { ProtocolError } from "../protocol/errors.ts";
import type { MediaFrame } from "../protocol/media-frame.ts";
import { validateMediaParams } from "../protocol/media-params.ts";
import type {
  ChatData,
  MediaParams,
  RtmsEvent,
  ServerUrls,
  SessionStateResp,
  SessionStateUpdate,
  StreamStateResp,
  StreamStateUpdate,
  TranscriptData,
  VideoSubscriptionResp,
} from "../protocol/messages.ts";
import { classifyStatus, type StatusClassification } from "../protocol/status.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { TypedEmitter } from "./emitter.ts";
import { RtmsSessionError } from "./errors.ts";
import { MediaClient } from "./media.ts";
import {
  DEFAULT_MEDIA,
  DEFAULT_SUBSCRIBED_EVENTS,
  type MediaKind,
  type MediaSlot,
  planMediaSlots,
  type RtmsSessionOptions,
  toMediaParams,
} from "./options.ts";
import { DefaultReconnectPolicy, type ReconnectCause, type ReconnectPolicy } from "./reconnect-policy.ts";
import { SignalingClient } from "./signaling.ts";

export const ConnectionState = {
  IDLE: "idle",
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting",
  CLOSING: "closing",
  CLOSED: "closed",
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

export type SocketRole = "signaling" | "media";

/**
 * A video or share frame: metadata parsed, the payload still the base64 bytes off the wire. `data` (base64
 * text) and `decode()` (image bytes) build the payload only when called: decide from the metadata first.
 */
export type FrameEvent = MediaFrame & { mediaType: "video" | "deskshare" };
/** An audio chunk (msg 14), same lazy payload. Mixed audio has userId "0". */
export type AudioEvent = MediaFrame & { mediaType: "audio" };
export interface TranscriptEvent {
  userId: string;
  userName: string;
  text: string;
  timestamp: number;
  startTime?: number;
  endTime?: number;
  language?: number | string;
}
export interface ChatEvent {
  userId: string;
  userName: string;
  text: string;
  timestamp: number;
}
export interface ParticipantRef {
  userId: string;
  userName?: string;
}
export interface ParticipantsEvent {
  participants: ParticipantRef[];
  timestamp?: number;
}
export interface UserEvent {
  userId?: string;
  userName?: string;
  timestamp?: number;
}

export type StopSource =
  /** Zoom ended the stream (msg 8 state 3/4, msg 9 state 5, or markStopped from rtms_stopped). */
  | "zoom"
  /** A handshake was refused for a reason retrying cannot fix (signature, stream id, media params...). */
  | "handshake"
  /** The ReconnectPolicy said stop. */
  | "gave_up"
  /** close() was called. */
  | "closed";

export interface StoppedEvent {
  /** Zoom's stop reason when there is one. */
  reason: number | null;
  reasonText: string;
  /** No reconnect can bring this stream back (Zoom ended it, or refused us for good). */
  terminal: boolean;
  /** Stop reasons 10-19 and 24: the stream died abnormally; only a new start through the REST API helps. */
  abnormal: boolean;
  source: StopSource;
  status?: StatusClassification;
  /** The error that ended the session, when one did (e.g. code URL_NOT_ALLOWED with source "handshake"). */
  error?: RtmsSessionError;
}

export interface ReconnectEvent {
  cause: ReconnectCause;
  attempt: number;
}

export type HandshakeEvent =
  | { socket: "signaling"; url: string; serverUrls: ServerUrls }
  | { socket: "media"; url: string; mediaType: number; mediaParams: MediaParams };

export type RtmsSessionEvents = {
  state: [next: ConnectionState, prev: ConnectionState];
  handshake: [HandshakeEvent];
  frame: [FrameEvent];
  audio: [AudioEvent];
  transcript: [TranscriptEvent];
  chat: [ChatEvent];
  participantJoin: [ParticipantsEvent];
  participantLeave: [ParticipantsEvent];
  activeSpeaker: [UserEvent];
  videoOn: [ParticipantsEvent];
  videoOff: [ParticipantsEvent];
  sharingStart: [UserEvent];
  sharingStop: [UserEvent];
  firstPacket: [{ timestamp?: number }];
  /** Every msg 6 event as received, including types not mapped above. */
  event: [RtmsEvent];
  streamState: [StreamStateUpdate];
  sessionState: [SessionStateUpdate];
  videoSubscription: [VideoSubscriptionResp];
  stopped: [StoppedEvent];
  reconnecting: [ReconnectEvent & { delayMs: number }];
  reconnected: [ReconnectEvent];
  keepAlive: [{ socket: SocketRole; latencyMs: number; timestamp: number }];
  protocolError: [{ socket: SocketRole; error: ProtocolError }];
};

interface Recovery {
  cause: ReconnectCause;
  startedAt: number;
  attempt: number;
  duplicateAttempt: number;
}

export class RtmsSession extends TypedEmitter<RtmsSessionEvents> {
  readonly rtmsStreamId: string;
  readonly #o: RtmsSessionOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #policy: ReconnectPolicy;
  readonly #params: MediaParams;
  readonly #events: number[];
  #signalingUrls: string[];
  #mediaUrls: ServerUrls = {};
  #signaling: SignalingClient | undefined;
  readonly #media = new Map<MediaSlot["key"], MediaClient>();
  #state: ConnectionState = ConnectionState.IDLE;
  #gen = 0;
  #finished = false;
  #stopPending: { reason: number | null } | undefined;
  #recovery: Recovery | undefined;
  #timer: TimerHandle | undefined;
  #reconciling = false;
  #dirty: ReconnectCause | undefined;
  #videoUser: string | undefined;
  #start: { resolve: () => void; reject: (err: Error) => void } | undefined;
  #closing: Promise<void> = Promise.resolve();
  readonly #retiring = new Set<Promise<void>>();

  constructor(opts: RtmsSessionOptions) {
    super();
    this.#o = opts;
    this.rtmsStreamId = opts.rtmsStreamId;
    this.#log = (opts.logger ?? silentLogger).child({ rtmsStreamId: opts.rtmsStreamId });
    this.#clock = opts.clock ?? systemClock;
    this.#policy = opts.reconnectPolicy ?? new DefaultReconnectPolicy();
    this.#signalingUrls = typeof opts.serverUrls === "string" ? [opts.serverUrls] : [...opts.serverUrls];
    if (this.#signalingUrls.length === 0) throw new RtmsSessionError("INVALID_STATE", "serverUrls is empty");
    this.#params = toMediaParams(opts.media ?? DEFAULT_MEDIA);
    // Fail at construction, not on the wire: the same rules the server applies (status 17-39).
    const checked = validateMediaParams(this.#params);
    if (!checked.ok) {
      throw new RtmsSessionError(
        "INVALID_MEDIA_PARAMS",
        `media options refused: ${checked.statusCode} ${checked.reason}`,
        classifyStatus(checked.statusCode, checked.reason),
      );
    }
    this.#events = [...new Set([...DEFAULT_SUBSCRIBED_EVENTS, ...(opts.subscribeEvents ?? [])])];
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The signaling URL currently in use (changes on failover). */
  get signalingUrl(): string {
    return this.#signalingUrls[0]!;
  }

  /** Open signaling and media. Resolves once media flows; rejects if the session stops first. */
  start(): Promise<void> {
    if (this.#state !== ConnectionState.IDLE) {
      return Promise.reject(new RtmsSessionError("INVALID_STATE", `start() in state ${this.#state}`));
    }
    this.#setState(ConnectionState.CONNECTING);
    const done = new Promise<void>((resolve, reject) => {
      this.#start = { resolve, reject };
    });
    void this.#reconcile();
    return done;
  }

  /**
   * A new rtms_started arrived for this running stream: Zoom moved it. Everything is closed (and confirmed
   * closed) before the new URLs are dialled, so the stream never has two live connections. A redelivered
   * rtms_started (same URL, while connected) changes nothing and resolves false.
   */
  async failover(newServerUrls: string | readonly string[]): Promise<boolean> {
    const urls = typeof newServerUrls === "string" ? [newServerUrls] : [...newServerUrls];
    if (urls.length === 0) throw new RtmsSessionError("INVALID_STATE", "failover without URLs");
    const same =
      urls.length === this.#signalingUrls.length && urls.every((u, i) => u === this.#signalingUrls[i]);
    if (same && this.#state === ConnectionState.CONNECTED && this.#signaling?.isOpen) {
      this.#log.info("rtms_started again for the same server while connected: duplicate delivery, ignored");
      return false;
    }
    await this.#restartAll("failover", urls);
    return true;
  }

  /** meeting.rtms_interrupted: reconnect signaling, then media. */
  async interrupted(): Promise<void> {
    await this.#restartAll("interrupted");
  }

  /** meeting.rtms_stopped (from a webhook or the event WebSocket): the stream is over. */
  markStopped(stopReason: number): void {
    this.#finish({ source: "zoom", reason: stopReason, terminal: true });
  }

  /**
   * End the session. With `closeStream`, Zoom is asked to end the stream (msg 21, stop reason 20 follows);
   * without it the sockets are released without telling Zoom, so another worker can take the stream over
   * within Zoom's reconnect window (what the worker does on SIGTERM).
   */
  async close({ closeStream = false }: { closeStream?: boolean } = {}): Promise<void> {
    if (this.#finished) return this.#closing;
    const signaling = this.#signaling;
    if (closeStream && signaling?.isOpen) {
      this.#stopPending = { reason: StopReason.STOP_BC_APP_REQUESTED_CLOSE };
      this.#setState(ConnectionState.CLOSING);
      try {
        await signaling.closeStream();
      } catch (err) {
        this.#log.warn({ err }, "no answer to stream close request");
      }
      this.#finish({ source: "closed", reason: StopReason.STOP_BC_APP_REQUESTED_CLOSE, terminal: true });
    } else {
      this.#finish({
        source: "closed",
        reason: null,
        terminal: false,
        reasonText: "closed without ending the stream",
      });
    }
    await this.#closing;
  }

  /** data_opt 4: receive this participant's video (replaces the previous subscription). */
  async subscribeVideo(userId: string): Promise<VideoSubscriptionResp> {
    if (this.#params.video?.data_opt !== 4) {
      throw new RtmsSessionError("INVALID_STATE", "subscribeVideo needs video dataOpt 4 (individual stream)");
    }
    const signaling = this.#signaling;
    if (!signaling?.isOpen) throw new RtmsSessionError("NOT_CONNECTED", "signaling is not connected");
    this.#videoUser = userId;
    const resp = await signaling.subscribeVideo(userId, true);
    const status = classifyStatus(resp.status_code, resp.reason);
    if (status.kind !== "ok" && status.kind !== "already_subscribed") {
      throw new RtmsSessionError(
        "HANDSHAKE_REJECTED",
        `video subscription refused: ${status.code} ${status.text}`,
        status,
      );
    }
    return resp;
  }

  requestStreamState(): Promise<StreamStateResp> {
    const s = this.#signaling;
    if (!s?.isOpen)
      return Promise.reject(new RtmsSessionError("NOT_CONNECTED", "signaling is not connected"));
    return s.requestStreamState();
  }

  requestSessionState(sessionId?: string): Promise<SessionStateResp> {
    const s = this.#signaling;
    if (!s?.isOpen)
      return Promise.reject(new RtmsSessionError("NOT_CONNECTED", "signaling is not connected"));
    return s.requestSessionState(sessionId);
  }

  // ---------- recovery ----------

  async #reconcile(): Promise<void> {
    if (this.#finished || this.#reconciling) return;
    this.#reconciling = true;
    const gen = this.#gen;
    try {
      if (!this.#signaling?.isOpen) await this.#connectSignaling(gen);
      const urls = this.#mediaUrls as Partial<Record<"all" | MediaKind, string>>;
      const { slots, unavailable } = planMediaSlots(this.#o.mediaMode ?? "all", this.#params, urls);
      if (unavailable.length > 0)
        this.#log.warn({ unavailable }, "server offered no media URL for these types");
      if (slots.length === 0) throw new RtmsSessionError("HANDSHAKE_REJECTED", "server offered no media URL");
      for (const slot of slots) {
        if (gen !== this.#gen) return;
        if (!this.#media.get(slot.key)?.isOpen) await this.#connectMedia(slot, gen);
      }
      if (gen !== this.#gen) return;
      const recovered = this.#recovery;
      this.#recovery = undefined;
      this.#setState(ConnectionState.CONNECTED);
      if (recovered && recovered.cause !== "connect_failed") {
        this.#emit("reconnected", {
          cause: recovered.cause,
          attempt: recovered.attempt + recovered.duplicateAttempt,
        });
      }
      this.#start?.resolve();
      this.#start = undefined;
    } catch (err) {
      if (gen === this.#gen && !this.#finished) this.#onReconcileFailure(err as Error);
    } finally {
      this.#reconciling = false;
      const pending = this.#dirty;
      this.#dirty = undefined;
      // Something broke while we were busy: go round again (through the policy, like any failure).
      if (pending && !this.#finished && this.#timer === undefined) this.#requestRecovery(pending);
    }
  }

  #onReconcileFailure(err: Error): void {
    const status = err instanceof RtmsSessionError ? err.status : undefined;
    if (err instanceof RtmsSessionError && err.code === "HANDSHAKE_REJECTED" && status) {
      if (status.kind === "duplicate" || status.kind === "media_connection_exists") {
        this.#log.info(
          { status: status.code },
          "duplicate connection still registered on Zoom's side; retrying",
        );
        this.#scheduleRetry("duplicate");
        return;
      }
      if (status.kind === "internal") {
        this.#scheduleRetry("server_error");
        return;
      }
    }
    if (
      err instanceof RtmsSessionError &&
      (err.code === "HANDSHAKE_REJECTED" || err.code === "INVALID_MEDIA_PARAMS")
    ) {
      this.#finish({ source: "handshake", reason: null, reasonText: err.message, terminal: true, status });
      return;
    }
    if (err instanceof RtmsSessionError && isRefusedUrl(err)) {
      // A URL we will not dial stays refused: retrying would only ask the same question again.
      this.#log.warn({ err }, "URL not on the allow-list; session stopped");
      this.#finish({
        source: "handshake",
        reason: null,
        reasonText: `${err.code}: ${err.message}`,
        terminal: true,
        error: err,
      });
      return;
    }
    this.#log.warn({ err }, "connection attempt failed");
    this.#scheduleRetry(this.#recovery?.cause ?? "connect_failed");
  }

  #requestRecovery(cause: ReconnectCause): void {
    if (this.#finished || this.#stopPending) return;
    if (this.#reconciling) {
      this.#dirty = cause;
      return;
    }
    if (this.#timer !== undefined) return; // a retry is already scheduled; it will repair everything
    this.#scheduleRetry(cause);
  }

  #scheduleRetry(cause: ReconnectCause): void {
    if (this.#finished) return;
    this.#recovery ??= { cause, startedAt: this.#clock.now(), attempt: 0, duplicateAttempt: 0 };
    const r = this.#recovery;
    const attempt = cause === "duplicate" ? ++r.duplicateAttempt : ++r.attempt;
    const delayMs = this.#policy.nextDelayMs({ attempt, cause, elapsedMs: this.#clock.now() - r.startedAt });
    if (delayMs === null) {
      this.#finish({
        source: "gave_up",
        reason: null,
        terminal: false,
        reasonText: `gave up reconnecting (${cause}, attempt ${attempt})`,
      });
      return;
    }
    this.#setState(this.#start ? ConnectionState.CONNECTING : ConnectionState.RECONNECTING);
    this.#emit("reconnecting", { cause, attempt, delayMs });
    this.#log.info({ cause, attempt, delayMs }, "reconnecting");
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#reconcile();
    }, delayMs);
  }

  async #restartAll(cause: "failover" | "interrupted", urls?: string[]): Promise<void> {
    if (this.#finished) throw new RtmsSessionError("CLOSED", `${cause} after the session ended`);
    this.#gen++;
    this.#cancelTimer();
    this.#stopPending = undefined;
    await this.#closeAll();
    if (this.#finished) return;
    if (urls) this.#signalingUrls = urls;
    this.#mediaUrls = {};
    this.#recovery = { cause, startedAt: this.#clock.now(), attempt: 1, duplicateAttempt: 0 };
    this.#setState(this.#start ? ConnectionState.CONNECTING : ConnectionState.RECONNECTING);
    this.#emit("reconnecting", { cause, attempt: 1, delayMs: 0 });
    // An in-flight reconcile belongs to the old generation and bails out at its next step; wait for it so
    // the new one is not refused as "already running".
    while (this.#reconciling) await new Promise((r) => setImmediate(r));
    if (this.#finished) return;
    this.#dirty = undefined;
    this.#cancelTimer();
    await this.#reconcile();
  }

  // ---------- connecting ----------

  async #connectSignaling(gen: number): Promise<void> {
    if (this.#signaling) this.#retire(this.#signaling, true);
    await this.#retired();
    if (gen !== this.#gen) return;
    let lastErr: Error | undefined;
    for (const url of this.#signalingUrls) {
      const client = new SignalingClient({
        url,
        credentials: this.#credentials(),
        logger: this.#log.child({ socket: "signaling" }),
        clock: this.#clock,
        ...this.#socketOptions(),
        ...(this.#o.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.#o.requestTimeoutMs } : {}),
        ...(this.#o.bufferData !== undefined ? { bufferData: this.#o.bufferData } : {}),
      });
      this.#wireSignaling(client);
      this.#signaling = client;
      try {
        const serverUrls = await client.connect();
        if (gen !== this.#gen) {
          client.terminate();
          return;
        }
        this.#mediaUrls = serverUrls;
        client.subscribeEvents(this.#events);
        // Media sockets that survived a signaling drop: the ack sent before the drop may never have been
        // read, and media only flows after one, so ack again (extra acks are harmless, section 7).
        if ([...this.#media.values()].some((m) => m.isOpen)) client.sendReadyAck();
        this.#log.info({ url }, "signaling connected");
        this.#emit("handshake", { socket: "signaling", url, serverUrls });
        return;
      } catch (err) {
        // A URL refused by the allow-list is skipped; it only decides the outcome when no other URL failed
        // for a reason a retry may cure.
        if (lastErr === undefined || isRefusedUrl(lastErr)) lastErr = err as Error;
        // A refusal is an answer: trying another URL with the same credentials will not change it.
        if (err instanceof RtmsSessionError && err.code === "HANDSHAKE_REJECTED") throw err;
      }
    }
    throw lastErr ?? new RtmsSessionError("CONNECT_FAILED", "no signaling URL");
  }

  async #connectMedia(slot: MediaSlot, gen: number): Promise<void> {
    const old = this.#media.get(slot.key);
    if (old) this.#retire(old, true);
    await this.#retired();
    if (gen !== this.#gen) return;
    const client = new MediaClient({
      url: slot.url,
      credentials: this.#credentials(),
      mediaType: slot.mediaType,
      mediaParams: slot.params,
      logger: this.#log.child({ socket: "media", slot: slot.key }),
      clock: this.#clock,
      ...this.#socketOptions(),
    });
    this.#wireMedia(client, slot.key);
    this.#media.set(slot.key, client);
    const accepted = await client.connect();
    if (gen !== this.#gen) {
      client.terminate();
      return;
    }
    // Media flows only after a ready ack, and Zoom wants one after EVERY media handshake.
    this.#signaling?.sendReadyAck();
    this.#log.info({ url: slot.url, mediaType: slot.mediaType }, "media connected");
    this.#emit("handshake", {
      socket: "media",
      url: slot.url,
      mediaType: slot.mediaType,
      mediaParams: accepted,
    });
    if (this.#videoUser !== undefined && this.#params.video?.data_opt === 4) {
      // A new media connection starts without the individual-video choice: ask again.
      this.#signaling?.subscribeVideo(this.#videoUser, true).catch((e: Error) => {
        this.#log.warn({ err: e }, "video re-subscription failed");
      });
    }
  }

  #wireSignaling(client: SignalingClient): void {
    const current = () => this.#signaling === client;
    client.on("keepAlive", (k) => this.#emit("keepAlive", { socket: "signaling", ...k }));
    client.on("protocolError", (error) => {
      this.#log.warn({ code: error.code, err: error.message }, "bad message on signaling socket");
      this.#emit("protocolError", { socket: "signaling", error });
    });
    client.on("event", (e) => current() && this.#onEvent(e));
    client.on("streamState", (m) => current() && this.#onStreamState(m));
    client.on("sessionState", (m) => current() && this.#onSessionState(m));
    client.on("videoSubscription", (m) => this.#emit("videoSubscription", m));
    client.on("close", (info) => {
      if (!current() || info.byUs || this.#finished) return;
      this.#log.warn(
        { code: info.code, reason: info.reason, watchdog: info.watchdog },
        "signaling socket dropped",
      );
      if (this.#stopPending) {
        this.#finish({ source: "zoom", reason: this.#stopPending.reason, terminal: true });
        return;
      }
      this.#requestRecovery(info.watchdog ? "keepalive_timeout" : "signaling_dropped");
    });
  }

  #wireMedia(client: MediaClient, key: MediaSlot["key"]): void {
    const current = () => this.#media.get(key) === client;
    client.on("frame", (f) => current() && this.#onFrame(f));
    client.on("text", (m) => current() && this.#onText(m));
    client.on("keepAlive", (k) => this.#emit("keepAlive", { socket: "media", ...k }));
    client.on("protocolError", (error) => {
      this.#log.warn({ code: error.code, err: error.message }, "bad message on media socket");
      this.#emit("protocolError", { socket: "media", error });
    });
    client.on("close", (info) => {
      if (!current() || info.byUs || this.#finished || this.#stopPending) return;
      this.#log.warn(
        { code: info.code, reason: info.reason, watchdog: info.watchdog },
        "media socket dropped",
      );
      this.#requestRecovery(info.watchdog ? "keepalive_timeout" : "media_dropped");
    });
  }

  // ---------- inbound ----------

  #onFrame(f: MediaFrame): void {
    if (f.mediaType === "audio") this.#emit("audio", f as AudioEvent);
    else this.#emit("frame", f as FrameEvent);
  }

  #onText(m: TranscriptData | ChatData): void {
    const c = m.content;
    if (m.msg_type === MsgType.MEDIA_DATA_TRANSCRIPT) {
      this.#emit("transcript", {
        userId: c.user_id,
        userName: c.user_name,
        text: c.data,
        timestamp: c.timestamp,
        ...(c.start_time !== undefined ? { startTime: c.start_time } : {}),
        ...(c.end_time !== undefined ? { endTime: c.end_time } : {}),
        ...(c.language !== undefined ? { language: c.language } : {}),
      });
    } else {
      this.#emit("chat", { userId: c.user_id, userName: c.user_name, text: c.data, timestamp: c.timestamp });
    }
  }

  #onEvent(e: RtmsEvent): void {
    this.#emit("event", e);
    const participants = (): ParticipantsEvent => ({
      participants: (e.participants ?? []).map((p) => ({
        userId: p.user_id,
        ...(p.user_name !== undefined ? { userName: p.user_name } : {}),
      })),
      ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}),
    });
    const user = (): UserEvent => ({
      ...(e.user_id !== undefined ? { userId: e.user_id } : {}),
      ...(e.user_name !== undefined ? { userName: e.user_name } : {}),
      ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}),
    });
    switch (e.event_type) {
      case EventType.FIRST_PACKET_TIMESTAMP:
        this.#emit("firstPacket", e.timestamp !== undefined ? { timestamp: e.timestamp } : {});
        break;
      case EventType.ACTIVE_SPEAKER_CHANGE:
        this.#emit("activeSpeaker", user());
        break;
      case EventType.PARTICIPANT_JOIN:
        this.#emit("participantJoin", participants());
        break;
      case EventType.PARTICIPANT_LEAVE:
        this.#emit("participantLeave", participants());
        break;
      case EventType.SHARING_START:
        this.#emit("sharingStart", user());
        break;
      case EventType.SHARING_STOP:
        this.#emit("sharingStop", user());
        break;
      case EventType.PARTICIPANT_VIDEO_ON:
        this.#emit("videoOn", participants());
        break;
      case EventType.PARTICIPANT_VIDEO_OFF:
        this.#emit("videoOff", participants());
        break;
      case EventType.MEDIA_CONNECTION_INTERRUPTED:
        this.#mediaInterrupted("event 7");
        break;
    }
  }

  #onStreamState(m: StreamStateUpdate): void {
    this.#emit("streamState", m);
    const reason = m.reason ?? null;
    if (m.state === StreamState.TERMINATED) {
      this.#finish({ source: "zoom", reason, terminal: true });
    } else if (m.state === StreamState.TERMINATING) {
      // The end is announced: sockets closing from now on are part of it, not drops to repair.
      this.#stopPending = { reason };
    } else if (
      m.state === StreamState.INTERRUPTED &&
      reason === StopReason.STOP_BC_DATA_CONNECTION_INTERRUPTED
    ) {
      this.#mediaInterrupted("stream state interrupted, reason 14");
    }
  }

  #onSessionState(m: SessionStateUpdate): void {
    this.#emit("sessionState", m);
    if (m.state === SessionState.STOPPED)
      this.#finish({ source: "zoom", reason: m.stop_reason ?? null, terminal: true });
  }

  /** Zoom says the media connection broke: drop our media sockets and reconnect media only (then msg 7). */
  #mediaInterrupted(why: string): void {
    if (this.#finished || this.#stopPending) return;
    this.#log.warn({ why }, "media connection interrupted");
    for (const client of this.#media.values()) this.#retire(client);
    this.#media.clear();
    this.#requestRecovery("media_interrupted");
  }

  // ---------- ending ----------

  #finish(info: Omit<StoppedEvent, "abnormal" | "reasonText"> & { reasonText?: string }): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#gen++;
    this.#cancelTimer();
    const event: StoppedEvent = {
      ...info,
      reasonText: info.reasonText ?? (info.reason === null ? "unknown" : stopReasonText(info.reason)),
      abnormal: info.reason !== null && isAbnormalStopReason(info.reason),
    };
    this.#log.info(
      { source: event.source, reason: event.reason, terminal: event.terminal },
      "session stopped",
    );
    this.#closing = this.#closeAll();
    this.#setState(ConnectionState.CLOSED);
    this.#emit("stopped", event);
    if (this.#start) {
      this.#start.reject(
        info.error ??
          new RtmsSessionError(info.status ? "HANDSHAKE_REJECTED" : "CLOSED", event.reasonText, info.status),
      );
      this.#start = undefined;
    }
  }

  async #closeAll(): Promise<void> {
    const clients = [this.#signaling, ...this.#media.values()].filter((c) => c !== undefined);
    this.#signaling = undefined;
    this.#media.clear();
    for (const c of clients) this.#retire(c);
    await this.#retired();
  }

  /** Close a socket we no longer want, remembering it until it is really gone. */
  #retire(client: SignalingClient | MediaClient, hard = false): void {
    if (hard) client.terminate();
    else client.close();
    // Bounded: a peer that never completes the close must not block recovery (close() terminates after 1 s).
    const gone = Promise.race([client.whenClosed(), new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    this.#retiring.add(gone);
    void gone.then(() => this.#retiring.delete(gone));
  }

  /** Resolves once every retired socket is closed: nothing new is dialled while an old one still lives. */
  async #retired(): Promise<void> {
    while (this.#retiring.size > 0) await Promise.all([...this.#retiring]);
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // ---------- helpers ----------

  #credentials() {
    const o = this.#o;
    return {
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      meetingUuid: o.meetingUuid,
      rtmsStreamId: o.rtmsStreamId,
    };
  }

  #socketOptions() {
    const o = this.#o;
    return {
      ...(o.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: o.keepAliveTimeoutMs } : {}),
      ...(o.maxMessageBytes !== undefined ? { maxMessageBytes: o.maxMessageBytes } : {}),
      ...(o.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: o.handshakeTimeoutMs } : {}),
      ...(o.allowedHosts !== undefined ? { allowedHosts: o.allowedHosts } : {}),
    };
  }

  #setState(next: ConnectionState): void {
    const prev = this.#state;
    if (prev === next) return;
    this.#state = next;
    this.#emit("state", next, prev);
  }

  /** A listener that throws must not break the socket loop that called it. */
  #emit<K extends keyof RtmsSessionEvents & string>(event: K, ...args: RtmsSessionEvents[K]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.#log.error({ event, err }, "session event listener threw");
    }
  }
}

function isRefusedUrl(err: Error): boolean {
  return err instanceof RtmsSessionError && err.code === "URL_NOT_ALLOWED";
}
