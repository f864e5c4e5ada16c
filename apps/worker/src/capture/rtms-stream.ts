// StreamSession on top of rtms-core's RtmsSession: the only file that knows RtmsSession's event names.
import { subscribeOutcome } from "@capture/rtms-core/coverage";
import { DataOpt } from "@capture/rtms-core/protocol";
import { RtmsSession } from "@capture/rtms-core/session";
import type { StreamHandlers, StreamSession, StreamSessionOptions } from "./stream.ts";

export function openRtmsStream(options: StreamSessionOptions, on: StreamHandlers): StreamSession {
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
    logger: options.log,
  });
  session.on("frame", (f) => {
    if (f.mediaType === "video") on.frame(f);
  });
  session.on("participantJoin", (e) => on.participantJoin(e.participants));
  session.on("participantLeave", (e) => on.participantLeave(e.participants));
  session.on("videoOn", (e) => on.videoOn(e.participants));
  session.on("videoOff", (e) => on.videoOff(e.participants));
  session.on("activeSpeaker", (u) => {
    if (u.userId !== undefined) on.activeSpeaker({ userId: u.userId, userName: u.userName });
  });
  session.on("handshake", (h) => {
    if (h.socket === "media") on.mediaReady();
  });
  session.on("streamState", (m) => on.streamState(m.state, m.reason));
  session.on("sessionState", (m) => on.sessionState(m.state, m.stop_reason));
  session.on("reconnecting", (r) => on.reconnecting(r.cause));
  session.on("reconnected", (r) => on.reconnected(r.cause));
  session.on("keepAlive", (k) => on.keepAlive(k.latencyMs, k.timestamp));
  session.on("stopped", (s) =>
    on.stopped({
      reason: s.reason ?? undefined,
      reasonText: s.reasonText,
      terminal: s.terminal,
      source: s.source,
    }),
  );
  return {
    start: () => session.start(),
    failover: (serverUrls) => void session.failover(serverUrls).catch(() => {}),
    interrupted: () => void session.interrupted().catch(() => {}),
    markStopped: (reason) => session.markStopped(reason ?? 0),
    subscribeVideo: (userId) => subscribeOutcome(session.subscribeVideo(userId)),
    close: (o) => session.close(o),
  };
}
