// One RTMS stream: its signaling socket, its media sockets, the handshake rules Zoom enforces, the events
// and state updates it sends, and how it ends. The meeting supplies participants; the simulator supplies
// URLs, event delivery and the shared frame cache.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "@capture/rtms-core/logger";
import {
  Codec,
  DataOpt,
  DEFAULT_AUDIO_PARAMS,
  DEFAULT_VIDEO_PARAMS,
  EventType,
  type MediaHandshakeReq,
  type MediaHandshakeResp,
  type MediaParams,
  MediaType,
  MsgType,
  mediaHandshakeResp,
  type RtmsMessage,
  rtmsSignature,
  type ServerUrls,
  SessionState,
  type SignalingHandshakeReq,
  type SignalingHandshakeResp,
  StatusCode,
  StopReason,
  StreamState,
  sessionStateUpdate,
  signalingHandshakeResp,
  statusText,
  streamCloseResp,
  streamStateUpdate,
  validateMediaParams,
  videoSubscriptionResp,
} from "@capture/rtms-core/protocol";
import type { Faults } from "../faults.ts";
import type { FrameCache } from "../frames/frame-cache.ts";
import type { ZoomEvent } from "../http/event-ws.ts";
import type { MeetingChange, SimMeeting, SimParticipant } from "../meeting.ts";
import type { AppCredentials } from "../options.ts";
import { MediaPump } from "./media-pump.ts";
import type { RtmsSocket } from "./rtms-socket.ts";
import { VideoSubscription } from "./video-subscription.ts";

export interface StreamUrls {
  signaling: string;
  media: ServerUrls;
}

export interface StreamHost {
  app: AppCredentials;
  faults: Faults;
  frames: FrameCache;
  log: Logger;
  keepAliveIntervalMs: number;
  keepAliveMissLimit: number;
  reconnectWindowMs: number;
  mediaReconnectWindowMs: number;
  staleSignalingMs: number;
  /** data_opt 4: from an accepted msg 28 to the subscribed participant's first frame. */
  videoSubscriptionDelayMs: number;
  sendAudio: boolean;
  newServerId(): string;
  urlsFor(serverId: string): StreamUrls;
  /** Deliver a Zoom event to event-WS clients and webhook targets. */
  publish(event: ZoomEvent): void;
  emit(name: string, payload: Record<string, unknown>): void;
}

export type StreamPhase = "started" | "active" | "interrupted" | "paused" | "stopped";

export interface StreamCounters {
  /** Successful signaling handshakes (a reconnect adds one). */
  signalingConnections: number;
  signalingRejected: number;
  /** Successful media handshakes. */
  mediaConnections: number;
  mediaRejected: number;
  readyAcks: number;
  framesSent: number;
  framesSkipped: number;
  audioSent: number;
}

export interface StreamInfo {
  streamId: string;
  meetingUuid: string;
  meetingNumber: string;
  /** The signaling URL (server_urls of rtms_started). */
  serverUrls: string;
  mediaUrls: ServerUrls;
}

interface MediaConn {
  socket: RtmsSocket;
  mediaType: number;
  params: MediaParams;
  ready: boolean;
  pump: MediaPump;
}

type InterruptCause = "signaling-closed" | "keepalive" | "never-connected";

// Older status table (Zoom's mock server): invalid signature 15, duplicate 17.
const OLD_NUMBERING: Partial<Record<number, number>> = { 3: 15, 8: 17 };
const KNOWN_EVENT_TYPES = new Set<number>(Object.values(EventType));
const PER_TYPE_BITS =
  MediaType.AUDIO | MediaType.VIDEO | MediaType.DESKSHARE | MediaType.TRANSCRIPT | MediaType.CHAT;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class RtmsStream {
  readonly id: string;
  readonly sessionId = randomBytes(8).toString("hex");
  serverId: string;
  phase: StreamPhase = "started";
  stopReason: number | undefined;
  readonly counters: StreamCounters = {
    signalingConnections: 0,
    signalingRejected: 0,
    mediaConnections: 0,
    mediaRejected: 0,
    readyAcks: 0,
    framesSent: 0,
    framesSkipped: 0,
    audioSent: 0,
  };
  #signaling: RtmsSocket | undefined;
  /** A closed signaling socket stays registered until then (status 8 for a new handshake before it). */
  #staleUntil = 0;
  readonly #media = new Set<MediaConn>();
  readonly #subscribed = new Set<number>();
  readonly #video: VideoSubscription;
  #firstPacketSent = false;
  #lastVideoTs = 0;
  #window: NodeJS.Timeout | undefined;
  #mediaWindow: NodeJS.Timeout | undefined;
  #interruptCause: InterruptCause | undefined;
  readonly #unlisten: () => void;
  readonly #log: Logger;

  constructor(
    readonly meeting: SimMeeting,
    private readonly host: StreamHost,
    id?: string,
  ) {
    this.id = id ?? randomBytes(16).toString("hex");
    this.serverId = host.newServerId();
    this.#log = host.log.child({ streamId: this.id });
    this.#video = new VideoSubscription(this.id, {
      find: (userId) => meeting.find(userId),
      refusalFor: (userId) => host.faults.videoSubscriptionRefusal(userId),
      delayMs: host.videoSubscriptionDelayMs,
      emit: (name, payload) => host.emit(name, payload),
    });
    this.#unlisten = meeting.onChange((c) => this.#onMeetingChange(c));
    // A stream nobody connects to ends like Zoom's: connection timeout.
    this.#armWindow("never-connected");
  }

  get info(): StreamInfo {
    const urls = this.host.urlsFor(this.serverId);
    return {
      streamId: this.id,
      meetingUuid: this.meeting.uuid,
      meetingNumber: this.meeting.number,
      serverUrls: urls.signaling,
      mediaUrls: urls.media,
    };
  }

  /** Open sockets right now. */
  get openSockets(): { signaling: number; media: number } {
    return {
      signaling: this.#signaling?.open ? 1 : 0,
      media: [...this.#media].filter((m) => m.socket.open).length,
    };
  }

  /** The participant msg 28 subscribed to (data_opt 4), whether their frames flow yet or not. */
  get videoSubscription(): number | undefined {
    return this.#video.userId;
  }

  /** The documented, flat rtms_started (plus meeting_id and account_id, which newer payloads carry). */
  startedEvent(accountId: string): ZoomEvent {
    return {
      event: "meeting.rtms_started",
      event_ts: Date.now(),
      payload: {
        meeting_uuid: this.meeting.uuid,
        operator_id: this.meeting.hostId,
        rtms_stream_id: this.id,
        server_urls: this.info.serverUrls,
        meeting_id: Number(this.meeting.number),
        account_id: accountId,
      },
    };
  }

  // ---------- handshakes ----------

  #status(code: number): number {
    return this.host.faults.oldStatusNumbering ? (OLD_NUMBERING[code] ?? code) : code;
  }

  /** How Zoom refuses either handshake: the answer echoes the request's sequence, then a normal close (1000) with the same reason text. */
  #refuse(socket: RtmsSocket, answer: SignalingHandshakeResp | MediaHandshakeResp, sequence?: number): void {
    this.#log.debug(
      { statusCode: answer.status_code, reason: answer.reason, socket: socket.label },
      "rtms handshake refused",
    );
    socket.send({ ...answer, sequence: sequence ?? 0 });
    socket.close(1000, answer.reason ?? "");
  }

  #rejectSignaling(socket: RtmsSocket, code: number, sequence?: number): void {
    this.counters.signalingRejected++;
    this.#refuse(socket, signalingHandshakeResp(this.#status(code), undefined, statusText(code)), sequence);
    this.host.emit("signaling-rejected", { streamId: this.id, statusCode: code });
  }

  #signatureOk(meetingUuid: string, signature: string): boolean {
    const expected = rtmsSignature({
      clientId: this.host.app.clientId,
      clientSecret: this.host.app.clientSecret,
      meetingUuid,
      rtmsStreamId: this.id,
    });
    return sameText(expected, signature.toLowerCase());
  }

  #signalingHeld(): boolean {
    return Boolean(this.#signaling?.open) || Date.now() < this.#staleUntil;
  }

  acceptSignaling(socket: RtmsSocket, req: SignalingHandshakeReq, serverId: string): void {
    if (this.phase === "stopped" || serverId !== this.serverId || req.meeting_uuid !== this.meeting.uuid) {
      this.#rejectSignaling(socket, StatusCode.INVALID_STREAM_ID, req.sequence);
      return;
    }
    if (!this.#signatureOk(req.meeting_uuid, req.signature)) {
      this.#rejectSignaling(socket, StatusCode.INVALID_SIGNATURE, req.sequence);
      return;
    }
    if (this.#signalingHeld()) {
      this.#rejectSignaling(socket, StatusCode.DUPLICATE_SIGNAL_REQUEST, req.sequence);
      return;
    }
    this.#signaling = socket;
    this.counters.signalingConnections++;
    this.#clearWindow();
    this.#interruptCause = undefined;
    if (this.phase !== "paused") this.phase = "active";
    socket.onMessage = (msg) => this.#onSignalingMessage(socket, msg);
    socket.onBadMessage = (reason) => this.#log.warn({ reason }, "signaling: unreadable message ignored");
    socket.onClose = () => this.#onSignalingClosed(socket);
    socket.send({
      ...signalingHandshakeResp(StatusCode.OK, this.info.mediaUrls),
      sequence: req.sequence ?? 0,
    });
    socket.startKeepAlive(this.host, () => this.#onSignalingDead(socket));
    // Event 1 follows the signaling handshake, before any media (once per stream).
    if (!this.#firstPacketSent) {
      this.#firstPacketSent = true;
      this.#sendEvent({ event_type: EventType.FIRST_PACKET_TIMESTAMP });
    }
    this.#log.info({ connections: this.counters.signalingConnections }, "signaling connected");
    this.host.emit("signaling-connected", { streamId: this.id });
  }

  #rejectMedia(socket: RtmsSocket, code: number, sequence?: number): void {
    this.counters.mediaRejected++;
    this.#refuse(socket, mediaHandshakeResp(this.#status(code), undefined, statusText(code)), sequence);
    this.host.emit("media-rejected", { streamId: this.id, statusCode: code });
  }

  /** `rawParams` is media_params exactly as sent, so every rule answers with its own status code. */
  acceptMedia(socket: RtmsSocket, req: MediaHandshakeReq, rawParams: unknown, serverId: string): void {
    const seq = req.sequence;
    if (this.phase === "stopped" || serverId !== this.serverId || req.meeting_uuid !== this.meeting.uuid) {
      this.#rejectMedia(socket, StatusCode.INVALID_STREAM_ID, seq);
      return;
    }
    if (!this.#signatureOk(req.meeting_uuid, req.signature)) {
      this.#rejectMedia(socket, StatusCode.INVALID_SIGNATURE, seq);
      return;
    }
    const type = req.media_type;
    if (!(type === MediaType.ALL || (type > 0 && (type & ~PER_TYPE_BITS) === 0))) {
      this.#rejectMedia(socket, StatusCode.INVALID_MEDIA_TYPE_VALUE, seq);
      return;
    }
    // The app's scopes cover audio, video and transcript (what server_urls lists).
    if (type & MediaType.DESKSHARE) {
      this.#rejectMedia(socket, StatusCode.MEDIA_TYPE_DESKSHARE_NOT_SUPPORTED, seq);
      return;
    }
    if (type & MediaType.CHAT) {
      this.#rejectMedia(socket, StatusCode.MEDIA_TYPE_CHAT_NOT_SUPPORTED, seq);
      return;
    }
    for (const existing of this.#media) {
      if (!existing.socket.open) continue;
      if (existing.mediaType === MediaType.ALL || type === MediaType.ALL) {
        this.#rejectMedia(socket, StatusCode.ALL_MEDIA_CONNECTION_EXISTS, seq);
        return;
      }
      if (existing.mediaType & type) {
        this.#rejectMedia(socket, StatusCode.DUPLICATE_MEDIA_CONNECTION, seq);
        return;
      }
    }
    const checked = validateMediaParams(rawParams);
    if (!checked.ok) {
      this.#rejectMedia(socket, checked.statusCode, seq);
      return;
    }
    // zoom-sim draws JPEG frames only: H264 (which passed the rate rules) is refused, never faked (README).
    if (checked.params.video?.codec === Codec.H264 && (type === MediaType.ALL || type & MediaType.VIDEO)) {
      this.#rejectMedia(socket, StatusCode.INVALID_VIDEO_CODEC, seq);
      return;
    }
    const all = type === MediaType.ALL;
    const accepted: MediaParams = {};
    if (all || type & MediaType.AUDIO) accepted.audio = { ...DEFAULT_AUDIO_PARAMS, ...checked.params.audio };
    if (all || type & MediaType.VIDEO) accepted.video = { ...DEFAULT_VIDEO_PARAMS, ...checked.params.video };
    if (all || type & MediaType.TRANSCRIPT)
      accepted.transcript = { content_type: 5, ...checked.params.transcript };

    const conn: MediaConn = {
      socket,
      mediaType: type,
      params: accepted,
      ready: false,
      pump: new MediaPump(socket, type, accepted, {
        frames: this.host.frames,
        videoSource: (dataOpt) => this.#videoSource(dataOpt),
        videoTimestampBase: () => Math.max(Date.now(), this.#lastVideoTs),
        noteVideoTimestamp: (ts) => {
          if (ts > this.#lastVideoTs) this.#lastVideoTs = ts;
        },
        sendAudio: this.host.sendAudio,
        paused: () => this.phase === "paused",
        counters: this.counters,
      }),
    };
    this.#media.add(conn);
    this.counters.mediaConnections++;
    if (this.#mediaWindow) clearTimeout(this.#mediaWindow);
    this.#mediaWindow = undefined;
    socket.onMessage = () => {}; // media sockets only carry keep-alive answers from the client
    socket.onBadMessage = (reason) => this.#log.debug({ reason }, "media: unreadable message ignored");
    socket.onClose = () => this.#onMediaClosed(conn);
    socket.send({ ...mediaHandshakeResp(StatusCode.OK, accepted), sequence: seq ?? 0 });
    socket.startKeepAlive(this.host, () => {
      this.#log.warn({ mediaType: type }, "media keep-alive timeout: socket interrupted");
      socket.terminate();
    });
    // Warm the frame cache for whoever is on screen, so the first frame after msg 7 is ready.
    const size = accepted.video?.resolution === 1 ? "sd" : "hd";
    for (const p of this.meeting.participants) void this.host.frames.prepare(p, size).catch(() => {});
    this.#log.info({ mediaType: type, connections: this.counters.mediaConnections }, "media connected");
    this.host.emit("media-connected", { streamId: this.id, mediaType: type });
  }

  #videoSource(dataOpt: number): SimParticipant | undefined {
    if (dataOpt === DataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM) return this.#video.source();
    return this.meeting.activeSpeaker;
  }

  // ---------- signaling messages ----------

  #sendEvent(event: Record<string, unknown> & { event_type: number }): void {
    if (!this.#signaling?.open) return;
    // Built as plain JSON: user ids go out as integers, as in Zoom's media messages.
    this.#signaling.sendJson({ msg_type: MsgType.EVENT_UPDATE, event: { timestamp: Date.now(), ...event } });
  }

  #onSignalingMessage(socket: RtmsSocket, msg: RtmsMessage): void {
    if (socket !== this.#signaling) return;
    switch (msg.msg_type) {
      case MsgType.KEEP_ALIVE_RESP:
        return;
      case MsgType.EVENT_SUBSCRIPTION: {
        this.#onSubscription(msg.events);
        return;
      }
      case MsgType.CLIENT_READY_ACK:
        if (msg.rtms_stream_id !== this.id) {
          this.#log.warn({ got: msg.rtms_stream_id }, "client ready ack for another stream ignored");
          return;
        }
        {
          this.#onReadyAck();
          return;
        }
      case MsgType.SESSION_STATE_REQ: {
        socket.send({
          msg_type: MsgType.SESSION_STATE_RESP,
          session_id: this.sessionId,
          state: this.#sessionState(),
          status_code: StatusCode.OK,
        });
        return;
      }
      case MsgType.STREAM_STATE_REQ: {
        socket.send({
          msg_type: MsgType.STREAM_STATE_RESP,
          state: this.#streamState(),
          timestamp: Date.now(),
          status_code: StatusCode.OK,
        });
        return;
      }
      case MsgType.STREAM_CLOSE_REQ: {
        // msg 22 names the stream it answers for and when (rtms-core's typed view lacks both fields).
        const answer = (code: number, reason?: string) =>
          socket.sendJson({
            ...streamCloseResp(code, reason),
            rtms_stream_id: msg.rtms_stream_id,
            timestamp: Date.now(),
          });
        if (msg.rtms_stream_id !== this.id) {
          this.#log.debug(
            { statusCode: StatusCode.INVALID_STREAM_ID, reason: statusText(2), socket: socket.label },
            "msg 21 refused",
          );
          answer(StatusCode.INVALID_STREAM_ID);
          return;
        }
        answer(StatusCode.OK, "");
        this.stop(StopReason.STOP_BC_APP_REQUESTED_CLOSE);
        return;
      }
      case MsgType.VIDEO_SUBSCRIPTION_REQ: {
        this.#onVideoSubscription(socket, String(msg.user_id), msg.subscribe);
        return;
      }
      default:
        this.#log.debug({ msgType: msg.msg_type }, "signaling: message ignored");
    }
  }

  #sessionState(): number {
    if (this.phase === "stopped") return SessionState.STOPPED;
    if (this.phase === "paused") return SessionState.PAUSED;
    return SessionState.STARTED;
  }

  #streamState(): number {
    if (this.phase === "stopped") return StreamState.TERMINATED;
    if (this.phase === "paused") return StreamState.PAUSED;
    if (this.phase === "interrupted") return StreamState.INTERRUPTED;
    return this.phase === "active" ? StreamState.ACTIVE : StreamState.INACTIVE;
  }

  #onSubscription(events: { event_type: number; subscribe: boolean }[]): void {
    for (const { event_type, subscribe } of events) {
      // Types Zoom does not know here (10-14 in some tables) are ignored, never an error.
      if (!KNOWN_EVENT_TYPES.has(event_type as EventType)) {
        this.#log.debug({ eventType: event_type }, "subscription to unknown event type ignored");
        continue;
      }
      const had = this.#subscribed.has(event_type);
      if (!subscribe) {
        this.#subscribed.delete(event_type);
        continue;
      }
      this.#subscribed.add(event_type);
      if (had) continue;
      // A new subscriber learns the current state: who is here, whose camera is on, who speaks.
      const people = this.meeting.participants;
      if (event_type === EventType.PARTICIPANT_JOIN && people.length) {
        this.#sendEvent({
          event_type,
          participants: people.map((p) => ({ user_id: p.userId, user_name: p.name })),
        });
      }
      if (event_type === EventType.PARTICIPANT_VIDEO_ON) {
        const on = people.filter((p) => p.camera);
        if (on.length) this.#sendEvent({ event_type, participants: on.map((p) => ({ user_id: p.userId })) });
      }
      const speaker = this.meeting.activeSpeaker;
      if (event_type === EventType.ACTIVE_SPEAKER_CHANGE && speaker) {
        this.#sendEvent({ event_type, user_id: speaker.userId, user_name: speaker.name });
      }
    }
  }

  #onReadyAck(): void {
    this.counters.readyAcks++;
    let started = 0;
    for (const conn of this.#media) {
      if (conn.ready || !conn.socket.open) continue;
      conn.ready = true;
      conn.pump.start();
      started++;
      this.host.emit("media-ready", { streamId: this.id, mediaType: conn.mediaType });
    }
    if (!started) this.#log.debug("client ready ack with no media connection waiting");
  }

  #onVideoSubscription(socket: RtmsSocket, rawUserId: string, subscribe: boolean): void {
    const { statusCode, reason } = this.#video.request(rawUserId, subscribe);
    if (statusCode !== StatusCode.OK) {
      this.#log.debug({ statusCode, reason, socket: socket.label, userId: rawUserId }, "msg 28 refused");
    }
    socket.send(videoSubscriptionResp(rawUserId, statusCode, Date.now(), reason));
  }

  // ---------- meeting changes -> events ----------

  #onMeetingChange(change: MeetingChange): void {
    const p = change.participant;
    switch (change.type) {
      case "join":
        if (this.#subscribed.has(EventType.PARTICIPANT_JOIN)) {
          this.#sendEvent({
            event_type: EventType.PARTICIPANT_JOIN,
            participants: [{ user_id: p.userId, user_name: p.name }],
          });
        }
        return;
      case "leave":
        this.#video.left(p.userId);
        if (this.#subscribed.has(EventType.PARTICIPANT_LEAVE)) {
          this.#sendEvent({ event_type: EventType.PARTICIPANT_LEAVE, participants: [{ user_id: p.userId }] });
        }
        return;
      case "camera": {
        const type = change.on ? EventType.PARTICIPANT_VIDEO_ON : EventType.PARTICIPANT_VIDEO_OFF;
        if (this.#subscribed.has(type))
          this.#sendEvent({ event_type: type, participants: [{ user_id: p.userId }] });
        return;
      }
      case "speaker":
        if (this.#subscribed.has(EventType.ACTIVE_SPEAKER_CHANGE)) {
          this.#sendEvent({
            event_type: EventType.ACTIVE_SPEAKER_CHANGE,
            user_id: p.userId,
            user_name: p.name,
          });
        }
        return;
    }
  }

  // ---------- interruptions ----------

  #armWindow(cause: InterruptCause): void {
    this.#clearWindow();
    this.#interruptCause = cause;
    const reason =
      cause === "keepalive"
        ? StopReason.STOP_BC_KEEP_ALIVE_TIMEOUT
        : cause === "never-connected"
          ? StopReason.STOP_BC_CONNECTION_TIMEOUT
          : StopReason.STOP_BC_AWAIT_RECONNECTION_TIMEOUT;
    this.#window = setTimeout(() => this.stop(reason), this.host.reconnectWindowMs);
  }

  #clearWindow(): void {
    if (this.#window) clearTimeout(this.#window);
    this.#window = undefined;
  }

  #onSignalingClosed(socket: RtmsSocket): void {
    if (socket !== this.#signaling) return;
    this.#signaling = undefined;
    this.#staleUntil = Date.now() + this.host.staleSignalingMs;
    if (this.phase === "stopped") return;
    this.phase = "interrupted";
    // Losing signaling interrupts the media connections too (a keep-alive timeout has cut them already).
    this.#dropAllMedia();
    // A keep-alive timeout already armed its own window (ending with 24); a plain drop ends with 19.
    if (this.#interruptCause !== "keepalive") this.#armWindow("signaling-closed");
    this.#log.info({ cause: this.#interruptCause }, "signaling lost: waiting for reconnection");
    this.host.emit("stream-interrupted", { streamId: this.id, cause: this.#interruptCause });
  }

  /** Three keep-alives unanswered on signaling: both connections are interrupted. */
  #onSignalingDead(socket: RtmsSocket): void {
    this.#log.warn("signaling keep-alive timeout: stream interrupted");
    this.#armWindow("keepalive");
    this.#dropAllMedia();
    socket.terminate();
    this.host.publish(this.#interruptedEvent());
  }

  /** Cut every media socket as part of a signaling loss: no event 7 and no media window (signaling's rules). */
  #dropAllMedia(): void {
    const conns = [...this.#media];
    this.#media.clear(); // first, so their close handlers see nothing to report
    for (const conn of conns) {
      conn.pump.stop();
      conn.socket.terminate();
    }
  }

  #interruptedEvent(): ZoomEvent {
    return {
      event: "meeting.rtms_interrupted",
      event_ts: Date.now(),
      payload: { meeting_uuid: this.meeting.uuid, rtms_stream_id: this.id },
    };
  }

  #onMediaClosed(conn: MediaConn): void {
    conn.pump.stop();
    if (!this.#media.delete(conn) || this.phase === "stopped") return;
    this.#sendEvent({ event_type: EventType.MEDIA_CONNECTION_INTERRUPTED });
    this.host.emit("media-interrupted", { streamId: this.id, mediaType: conn.mediaType });
    if (this.#media.size === 0 && !this.#mediaWindow) {
      this.#mediaWindow = setTimeout(() => {
        this.#mediaWindow = undefined;
        if (this.#media.size === 0) this.stop(StopReason.STOP_BC_DATA_CONNECTION_INTERRUPTED);
      }, this.host.mediaReconnectWindowMs);
    }
  }

  // ---------- control (library, REST, faults) ----------

  pause(): void {
    if (this.phase === "stopped" || this.phase === "paused") return;
    this.phase = "paused";
    this.#signaling?.send(
      sessionStateUpdate(SessionState.PAUSED, undefined, {
        timestamp: Date.now(),
        rtmsSessionId: this.sessionId,
      }),
    );
    this.#signaling?.send(streamStateUpdate(StreamState.PAUSED, 0, Date.now()));
  }

  resume(): void {
    if (this.phase !== "paused") return;
    this.phase = this.#signaling?.open ? "active" : "interrupted";
    this.#signaling?.send(
      sessionStateUpdate(SessionState.RESUMED, undefined, {
        timestamp: Date.now(),
        rtmsSessionId: this.sessionId,
      }),
    );
    this.#signaling?.send(streamStateUpdate(StreamState.RESUMED, 0, Date.now()));
  }

  /** End the stream: msg 8 (terminated) and msg 9 (stopped) on signaling, sockets closed, rtms_stopped sent. */
  stop(reason: number = StopReason.STOP_BC_MEETING_ENDED): void {
    if (this.phase === "stopped") return;
    this.phase = "stopped";
    this.stopReason = reason;
    this.#video.dispose();
    this.#clearWindow();
    if (this.#mediaWindow) clearTimeout(this.#mediaWindow);
    this.#unlisten();
    const now = Date.now();
    this.#signaling?.send(streamStateUpdate(StreamState.TERMINATED, reason, now));
    this.#signaling?.send(
      sessionStateUpdate(SessionState.STOPPED, reason, { timestamp: now, rtmsSessionId: this.sessionId }),
    );
    for (const conn of this.#media) {
      conn.pump.stop();
      conn.socket.close(1000, "stream stopped");
    }
    this.#media.clear();
    this.#signaling?.close(1000, "stream stopped");
    this.host.publish({
      event: "meeting.rtms_stopped",
      event_ts: now,
      payload: { meeting_uuid: this.meeting.uuid, rtms_stream_id: this.id, stop_reason: reason },
    });
    this.#log.info({ reason }, "stream stopped");
    this.host.emit("stream-stopped", { streamId: this.id, reason });
  }

  /** Fault: terminate the media sockets. */
  dropMedia(): number {
    const conns = [...this.#media];
    for (const conn of conns) conn.socket.terminate();
    return conns.length;
  }

  /** Fault: terminate the signaling socket with no stop. */
  dropSignaling(): number {
    if (!this.#signaling) return 0;
    this.#signaling.terminate();
    return 1;
  }

  interruptedEvent(): ZoomEvent {
    return this.#interruptedEvent();
  }

  /** Fault: move to another server. Old sockets go; the caller publishes a new rtms_started. */
  failover(): void {
    if (this.phase === "stopped") return;
    this.serverId = this.host.newServerId();
    const sockets = [this.#signaling, ...[...this.#media].map((m) => m.socket)];
    for (const conn of this.#media) conn.pump.stop();
    this.#media.clear();
    this.#signaling = undefined;
    this.#staleUntil = 0; // the new server has no registration
    for (const s of sockets) s?.terminate();
    this.phase = "started";
    this.#armWindow("never-connected");
  }

  /** Timers and sockets off, without any message (simulator shutdown). */
  dispose(): void {
    this.#video.dispose();
    this.#clearWindow();
    if (this.#mediaWindow) clearTimeout(this.#mediaWindow);
    this.#unlisten();
    for (const conn of this.#media) {
      conn.pump.stop();
      conn.socket.terminate();
    }
    this.#signaling?.terminate();
  }
}
