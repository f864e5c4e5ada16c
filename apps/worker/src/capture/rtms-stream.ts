// StreamSession on top of rtms-core's RtmsSession: the only file that knows RtmsSession's event names, and
// the boundary where Zoom-side text and numbers become the worker's (zoom-text.ts): a frame or event whose
// user id is not clean is dropped here, names and reasons are cleaned, unusable timestamps drop the frame.
// It also guards the session against a server that sends what we cannot read (protocol-guard.ts).
import { subscribeOutcome } from "@capture/rtms-core/coverage";
import { DataOpt } from "@capture/rtms-core/protocol";
import { RtmsSession } from "@capture/rtms-core/session";
import type { Metrics } from "../metrics.ts";
import { FloodGuard, type FloodLimit, LogSampler, sampledLibraryLogger } from "./protocol-guard.ts";
import type {
  OpenStreamSession,
  StreamHandlers,
  StreamParticipant,
  StreamSession,
  StreamSessionOptions,
} from "./stream.ts";
import { cleanName, cleanReason, idRefusal, usableTimestamp } from "./zoom-text.ts";

/** rtms-core's per-message log lines, sampled per session (its own wording, session.ts). */
const SAMPLED_LIBRARY_LINES = new Set([
  "bad message on signaling socket",
  "bad message on media socket",
  "session event listener threw",
]);

export interface RtmsStreamLimits {
  metrics: Metrics;
  /** Unreadable messages beyond which the server is disconnected and the session FAILED. */
  flood: FloodLimit;
}

const DEFAULT_LIMITS: Omit<RtmsStreamLimits, "metrics"> = { flood: { maxErrors: 500, windowMs: 10_000 } };

/** The production opener, with the worker's metrics and limits. */
export function rtmsStreamOpener(limits: RtmsStreamLimits): OpenStreamSession {
  return (options, on) => openRtmsStream(options, on, limits);
}

export function openRtmsStream(
  options: StreamSessionOptions,
  on: StreamHandlers,
  limits?: RtmsStreamLimits,
): StreamSession {
  const { log } = options;
  const metrics = limits?.metrics;
  const sampler = new LogSampler();
  const flood = new FloodGuard(limits?.flood ?? DEFAULT_LIMITS.flood);
  /** Set when WE disconnect the server for flooding: the stop it causes is reported as that. */
  let floodStop: string | undefined;

  const session = new RtmsSession({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    meetingUuid: options.meetingUuid,
    rtmsStreamId: options.rtmsStreamId,
    serverUrls: options.serverUrls,
    // The seed asks for JPG, HD, 5 fps, active-speaker video; EVERYONE mode asks for one chosen
    // participant's video instead. Audio is not captured, so not requested.
    media: {
      video: {
        dataOpt:
          options.captureMode === "EVERYONE"
            ? DataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM
            : DataOpt.VIDEO_SINGLE_ACTIVE_STREAM,
      },
      audio: false,
    },
    allowedHosts: options.allowedHosts,
    logger: sampledLibraryLogger(log, sampler, SAMPLED_LIBRARY_LINES),
  });

  /** Counts a refused input; logs a sample of them (the id itself is never logged raw: it may be hostile). */
  const refuse = (kind: "frame" | "event", reason: string, detail: Record<string, unknown> = {}) => {
    metrics?.zoomInputRefused.inc({ kind, reason });
    const n = sampler.take(`refused:${kind}:${reason}`);
    if (n > 0) log.warn({ kind, reason, occurrence: n, ...detail }, "Zoom input refused at the boundary");
  };
  const clean = (p: { userId?: string; userName?: string }, kind: "event"): StreamParticipant | undefined => {
    if (p.userId === undefined) return undefined;
    const why = idRefusal(p.userId);
    if (why) {
      refuse(kind, `user_id_${why}`, { idLength: p.userId.length });
      return undefined;
    }
    return { userId: p.userId, userName: cleanName(p.userName) };
  };
  const cleanAll = (ps: readonly { userId: string; userName?: string }[]) =>
    ps.map((p) => clean(p, "event")).filter((p): p is StreamParticipant => p !== undefined);
  const forward = (ps: StreamParticipant[], handler: (ps: StreamParticipant[]) => void) => {
    if (ps.length > 0) handler(ps);
  };

  session.on("frame", (f) => {
    if (f.mediaType !== "video") return;
    const why = idRefusal(f.userId);
    if (why) return refuse("frame", `user_id_${why}`, { idLength: f.userId.length });
    if (!usableTimestamp(f.timestamp)) return refuse("frame", "bad_timestamp");
    // The frame object keeps its lazily built base64 text: only the name is replaced.
    const userName = cleanName(f.userName) ?? "";
    on.frame(
      userName === f.userName
        ? f
        : {
            userId: f.userId,
            userName,
            timestamp: f.timestamp,
            length: f.length,
            base64Length: f.base64Length,
            get data() {
              return f.data;
            },
            decode: () => f.decode(),
          },
    );
  });
  session.on("participantJoin", (e) => forward(cleanAll(e.participants), on.participantJoin));
  session.on("participantLeave", (e) => forward(cleanAll(e.participants), on.participantLeave));
  session.on("videoOn", (e) => forward(cleanAll(e.participants), on.videoOn));
  session.on("videoOff", (e) => forward(cleanAll(e.participants), on.videoOff));
  session.on("activeSpeaker", (u) => {
    const p = clean(u, "event");
    if (p) on.activeSpeaker(p);
  });
  session.on("handshake", (h) => {
    if (h.socket === "media") on.mediaReady();
  });
  session.on("streamState", (m) => on.streamState(m.state, m.reason));
  session.on("sessionState", (m) => on.sessionState(m.state, m.stop_reason));
  session.on("reconnecting", (r) => on.reconnecting(r.cause));
  session.on("reconnected", (r) => on.reconnected(r.cause));
  session.on("keepAlive", (k) => on.keepAlive(k.latencyMs, k.timestamp));
  session.on("protocolError", ({ socket, error }) => {
    metrics?.protocolErrors.inc({ socket, code: error.code });
    // A msg 12 without a timestamp is answered anyway and never held against the server (rtms-core).
    if (error.code === "MALFORMED_KEEP_ALIVE" || floodStop !== undefined) return;
    if (!flood.record()) return;
    const { maxErrors, windowMs } = limits?.flood ?? DEFAULT_LIMITS.flood;
    floodStop = `PROTOCOL_FLOOD: more than ${maxErrors} unreadable messages within ${windowMs} ms on the ${socket} socket; disconnected`;
    log.error({ socket, maxErrors, windowMs }, "server keeps sending unreadable messages: disconnecting");
    metrics?.streamsDisconnected.inc({ reason: "protocol_flood" });
    // Nothing more is sent to that server (no msg 21): the sockets are just closed.
    void session.close({ closeStream: false }).catch(() => {});
  });
  session.on("stopped", (s) => {
    if (floodStop !== undefined) {
      on.stopped({ reasonText: floodStop, terminal: true, source: "protocol" });
      return;
    }
    on.stopped({
      reason: s.reason ?? undefined,
      reasonText: cleanReason(s.reasonText),
      terminal: s.terminal,
      source: s.source,
    });
  });
  return {
    start: () => session.start(),
    failover: (serverUrls) => void session.failover(serverUrls).catch(() => {}),
    interrupted: () => void session.interrupted().catch(() => {}),
    markStopped: (reason) => session.markStopped(reason ?? 0),
    subscribeVideo: (userId) => subscribeOutcome(session.subscribeVideo(userId)),
    close: (o) => session.close(o),
  };
}
