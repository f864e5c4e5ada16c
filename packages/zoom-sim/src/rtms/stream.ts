// One RTMS stream's lifecycle: it admits signaling and media sockets (rules in admission.ts), hands signaling
// messages to signaling-handlers.ts, starts media pumps on msg 7, and on a loss waits (reconnect-windows.ts)
// or ends: stop, pause/resume, failover, dispose. The meeting supplies participants; the simulator supplies
// URLs, event delivery and the shared frame cache through StreamHost.
import { randomBytes } from "node:crypto";
import type { Logger } from "@capture/rtms-core/logger";
import {
  DataOpt,
  EventType,
  type MediaHandshakeReq,
  type MediaParams,
  MsgType,
  mediaHandshakeResp,
  rtmsSignature,
  type ServerUrls,
  SessionState,
  type SignalingHandshakeReq,
  StatusCode,
  StopReason,
  StreamState,
  sessionStateUpdate,
  signalingHandshakeResp,
  statusText,
  streamStateUpdate,
} from "@capture/rtms-core/protocol";
import type { Faults } from "../faults.ts";
import type { FrameCache } from "../frames/frame-cache.ts";
import type { ZoomEvent } from "../http/event-ws.ts";
import type { SimMeeting, SimParticipant } from "../meeting.ts";
import type { AppCredentials } from "../options.ts";
import { type AdmissionState, admitMedia, admitSignaling } from "./admission.ts";
import { garbageMessage, hostileEvent } from "./hostile.ts";
import { formatFor, MediaPump, sizeFor } from "./media-pump.ts";
import { ReconnectWindows } from "./reconnect-windows.ts";
import type { RtmsSocket } from "./rtms-socket.ts";
import {
  EventFeed,
  handleSignalingMessage,
  type SignalingContext,
  type StreamPhase,
} from "./signaling-handlers.ts";
import { VideoSubscription } from "./video-subscription.ts";

export type { StreamPhase } from "./signaling-handlers.ts";

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
  /** Unparseable messages sent by the garbage-flood fault. */
  garbageSent: number;
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

// Older status table (Zoom's mock server): invalid signature 15, duplicate 17.
const OLD_NUMBERING: Partial<Record<number, number>> = { 3: 15, 8: 17 };

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
    garbageSent: 0,
  };
  #signaling: RtmsSocket | undefined;
  /** A closed signaling socket stays registered until then (status 8 for a new handshake before it). */
  #staleUntil = 0;
  readonly #media = new Set<MediaConn>();
  readonly #signature: string;
  readonly #events: EventFeed;
  readonly #video: VideoSubscription;
  readonly #windows: ReconnectWindows;
  readonly #signalingContext: SignalingContext;
  #firstPacketSent = false;
  #lastVideoTs = 0;
  #disposed = false;
  readonly #floods = new Map<"signaling" | "media", NodeJS.Timeout>();
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
    this.#signature = rtmsSignature({
      clientId: host.app.clientId,
      clientSecret: host.app.clientSecret,
      meetingUuid: meeting.uuid,
      rtmsStreamId: this.id,
    });
    this.#events = new EventFeed(meeting, (event) => this.#sendEvent(event), this.#log);
    this.#video = new VideoSubscription(this.id, {
      find: (userId) => meeting.find(userId),
      refusalFor: (userId) => host.faults.videoSubscriptionRefusal(userId),
      delayMs: host.videoSubscriptionDelayMs,
      emit: (name, payload) => host.emit(name, payload),
    });
    this.#windows = new ReconnectWindows(host, (reason) => this.stop(reason));
    this.#signalingContext = {
      streamId: this.id,
      sessionId: this.sessionId,
      log: this.#log,
      events: this.#events,
      video: this.#video,
      phase: () => this.phase,
      readyAck: () => this.#onReadyAck(),
      stop: (reason) => this.stop(reason),
    };
    this.#unlisten = meeting.onChange((change) => {
      if (change.type === "leave") this.#video.left(change.participant.userId);
      this.#events.onMeetingChange(change);
    });
    // A stream nobody connects to ends like Zoom's: connection timeout.
    this.#windows.armSignaling("never-connected");
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

  /**
   * The documented, flat rtms_started (plus meeting_id and account_id, which newer payloads carry).
   * `serverUrls` other than the stream's own is the foreign-server-urls fault.
   */
  startedEvent(accountId: string, serverUrls: string = this.info.serverUrls): ZoomEvent {
    return {
      event: "meeting.rtms_started",
      event_ts: Date.now(),
      payload: {
        meeting_uuid: this.meeting.uuid,
        operator_id: this.meeting.hostId,
        rtms_stream_id: this.id,
        server_urls: serverUrls,
        meeting_id: Number(this.meeting.number),
        account_id: accountId,
      },
    };
  }

  interruptedEvent(): ZoomEvent {
    return {
      event: "meeting.rtms_interrupted",
      event_ts: Date.now(),
      payload: { meeting_uuid: this.meeting.uuid, rtms_stream_id: this.id },
    };
  }

  // ---------- handshakes ----------

  #admissionState(): AdmissionState {
    return {
      stopped: this.phase === "stopped",
      serverId: this.serverId,
      meetingUuid: this.meeting.uuid,
      signature: this.#signature,
      signalingHeld: Boolean(this.#signaling?.open) || Date.now() < this.#staleUntil,
      openMediaTypes: [...this.#media].filter((m) => m.socket.open).map((m) => m.mediaType),
    };
  }

  /**
   * How Zoom refuses either handshake: the answer (msg 2 or 4) echoes the request's sequence, then a normal
   * close (1000) with the same reason text. Counted and emitted per socket kind, logged at debug.
   */
  #refuse(socket: RtmsSocket, code: number, sequence: number | undefined): void {
    const signaling = socket.kind === "signaling";
    const wire = this.host.faults.oldStatusNumbering ? (OLD_NUMBERING[code] ?? code) : code;
    const reason = statusText(code);
    const answer = signaling
      ? signalingHandshakeResp(wire, undefined, reason)
      : mediaHandshakeResp(wire, undefined, reason);
    if (signaling) this.counters.signalingRejected++;
    else this.counters.mediaRejected++;
    this.#log.debug({ statusCode: wire, reason, socket: socket.label }, "rtms handshake refused");
    socket.send({ ...answer, sequence: sequence ?? 0 });
    socket.close(1000, reason);
    this.host.emit(signaling ? "signaling-rejected" : "media-rejected", {
      streamId: this.id,
      statusCode: code,
    });
  }

  acceptSignaling(socket: RtmsSocket, req: SignalingHandshakeReq, serverId: string): void {
    const admitted = admitSignaling(req, serverId, this.#admissionState());
    if (!admitted.ok) {
      this.#refuse(socket, admitted.statusCode, req.sequence);
      return;
    }
    this.#signaling = socket;
    this.counters.signalingConnections++;
    this.#windows.signalingBack();
    if (this.phase !== "paused") this.phase = "active";
    socket.onMessage = (msg) => {
      if (socket === this.#signaling) handleSignalingMessage(this.#signalingContext, socket, msg);
    };
    socket.onBadMessage = (reason) => this.#log.warn({ reason }, "signaling: unreadable message ignored");
    socket.onClose = () => this.#onSignalingClosed(socket);
    socket.send({
      ...signalingHandshakeResp(StatusCode.OK, this.#mediaUrls()),
      sequence: req.sequence ?? 0,
    });
    socket.startKeepAlive(this.host, () => this.#onSignalingDead(socket));
    // Event 1 follows the signaling handshake, before any media (once per stream).
    if (!this.#firstPacketSent) {
      this.#firstPacketSent = true;
      this.#events.always({ event_type: EventType.FIRST_PACKET_TIMESTAMP });
    }
    this.#log.info({ connections: this.counters.signalingConnections }, "signaling connected");
    this.host.emit("signaling-connected", { streamId: this.id });
  }

  /** `rawParams` is media_params exactly as sent, so every rule answers with its own status code. */
  acceptMedia(socket: RtmsSocket, req: MediaHandshakeReq, rawParams: unknown, serverId: string): void {
    const admitted = admitMedia(req, rawParams, serverId, this.#admissionState());
    if (!admitted.ok) {
      this.#refuse(socket, admitted.statusCode, req.sequence);
      return;
    }
    const accepted = admitted.value;
    const type = req.media_type;
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
        hostile: () => this.#hostile(),
        counters: this.counters,
      }),
    };
    this.#media.add(conn);
    this.counters.mediaConnections++;
    this.#windows.mediaBack();
    socket.onMessage = () => {}; // media sockets only carry keep-alive answers from the client
    socket.onBadMessage = (reason) => this.#log.debug({ reason }, "media: unreadable message ignored");
    socket.onClose = () => this.#onMediaClosed(conn);
    socket.send({ ...mediaHandshakeResp(StatusCode.OK, accepted), sequence: req.sequence ?? 0 });
    socket.startKeepAlive(this.host, () => {
      this.#log.warn({ mediaType: type }, "media keep-alive timeout: socket interrupted");
      socket.terminate();
    });
    // Warm the frame cache for whoever is on screen, so the first frame after msg 7 is ready.
    const size = sizeFor(accepted.video?.resolution);
    const format = formatFor(accepted.video?.codec);
    for (const p of this.meeting.participants) void this.host.frames.prepare(p, size, format).catch(() => {});
    this.#log.info({ mediaType: type, connections: this.counters.mediaConnections }, "media connected");
    this.host.emit("media-connected", { streamId: this.id, mediaType: type });
  }

  /** msg 2's media URLs: the stream's own, or one foreign URL for every type under that fault. */
  #mediaUrls(): ServerUrls {
    const foreign = this.#hostile().foreignMediaUrl;
    if (!foreign) return this.info.mediaUrls;
    return { audio: foreign, video: foreign, transcript: foreign, all: foreign };
  }

  #hostile() {
    return this.host.faults.hostileFor(this.id);
  }

  #videoSource(dataOpt: number): SimParticipant | undefined {
    if (dataOpt === DataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM) return this.#video.source();
    return this.meeting.activeSpeaker;
  }

  #sendEvent(event: Record<string, unknown> & { event_type: number }): void {
    if (!this.#signaling?.open) return;
    // Built as plain JSON: user ids go out as integers, as in Zoom's media messages.
    const sent = hostileEvent({ timestamp: Date.now(), ...event }, this.#hostile());
    this.#signaling.sendJson({ msg_type: MsgType.EVENT_UPDATE, event: sent });
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

  // ---------- interruptions ----------

  #onSignalingClosed(socket: RtmsSocket): void {
    if (socket !== this.#signaling) return;
    this.#signaling = undefined;
    this.#staleUntil = Date.now() + this.host.staleSignalingMs;
    if (this.phase === "stopped" || this.#disposed) return;
    this.phase = "interrupted";
    // Losing signaling interrupts the media connections too (a keep-alive timeout has cut them already).
    this.#dropAllMedia();
    this.#windows.signalingLost();
    this.#log.info({ cause: this.#windows.cause }, "signaling lost: waiting for reconnection");
    this.host.emit("stream-interrupted", { streamId: this.id, cause: this.#windows.cause });
  }

  /** Three keep-alives unanswered on signaling: both connections are interrupted. */
  #onSignalingDead(socket: RtmsSocket): void {
    this.#log.warn("signaling keep-alive timeout: stream interrupted");
    this.#windows.armSignaling("keepalive");
    this.#dropAllMedia();
    socket.terminate();
    this.host.publish(this.interruptedEvent());
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

  #onMediaClosed(conn: MediaConn): void {
    conn.pump.stop();
    if (!this.#media.delete(conn) || this.phase === "stopped") return;
    this.#events.always({ event_type: EventType.MEDIA_CONNECTION_INTERRUPTED });
    this.host.emit("media-interrupted", { streamId: this.id, mediaType: conn.mediaType });
    if (this.#media.size === 0) this.#windows.armMedia(() => this.#media.size === 0);
  }

  // ---------- control (library, REST, faults) ----------

  #sendStates(session: number, stream: number, reason?: number): void {
    const now = Date.now();
    this.#signaling?.send(
      sessionStateUpdate(session, reason, { timestamp: now, rtmsSessionId: this.sessionId }),
    );
    this.#signaling?.send(streamStateUpdate(stream, reason ?? 0, now));
  }

  pause(): void {
    if (this.phase === "stopped" || this.phase === "paused") return;
    this.phase = "paused";
    this.#sendStates(SessionState.PAUSED, StreamState.PAUSED);
  }

  resume(): void {
    if (this.phase !== "paused") return;
    this.phase = this.#signaling?.open ? "active" : "interrupted";
    this.#sendStates(SessionState.RESUMED, StreamState.RESUMED);
  }

  /** End the stream: msg 8 (terminated) and msg 9 (stopped) on signaling, sockets closed, rtms_stopped sent. */
  stop(reason: number = StopReason.STOP_BC_MEETING_ENDED): void {
    if (this.phase === "stopped") return;
    if (this.#hostile().endless) {
      this.#log.debug({ reason }, "stop ignored: the endless fault is on");
      return;
    }
    this.phase = "stopped";
    this.#stopFloods();
    this.stopReason = reason;
    this.#video.dispose();
    this.#windows.clear();
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

  /** Fault: `perSecond` unparseable messages on the signaling or every media socket, now and after reconnects; 0 stops. */
  flood(kind: "signaling" | "media", perSecond: number): number {
    const old = this.#floods.get(kind);
    if (old) clearInterval(old);
    this.#floods.delete(kind);
    if (perSecond <= 0 || this.phase === "stopped") return 0;
    const targets = () =>
      (kind === "signaling" ? [this.#signaling] : [...this.#media].map((m) => m.socket)).filter(
        (s): s is RtmsSocket => Boolean(s?.open),
      );
    const perTick = Math.max(1, Math.round(perSecond / 100));
    let n = 0;
    const timer = setInterval(() => {
      for (const socket of targets()) {
        for (let i = 0; i < perTick; i++) socket.sendRaw(garbageMessage(n++));
        this.counters.garbageSent += perTick;
      }
    }, 10);
    this.#floods.set(kind, timer);
    this.#log.debug({ kind, perSecond }, "garbage flood on");
    return targets().length;
  }

  #stopFloods(): void {
    for (const timer of this.#floods.values()) clearInterval(timer);
    this.#floods.clear();
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
    this.#windows.armSignaling("never-connected");
  }

  /** Timers and sockets off, without any message (simulator shutdown). */
  dispose(): void {
    this.#disposed = true;
    this.#stopFloods();
    this.#video.dispose();
    this.#windows.clear();
    this.#unlisten();
    this.#dropAllMedia();
    this.#signaling?.terminate();
  }
}
