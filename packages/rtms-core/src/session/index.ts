// @capture/rtms-core/session: the RTMS client. RtmsSession composes a SignalingClient and MediaClient(s),
// each over a SocketConnection (keep-alive answers and liveness watchdog), with reconnection per Zoom's rules.
export { isRtmsError, RtmsError } from "../errors.ts";
export { type Clock, ManualClock, systemClock, type TimerHandle } from "./clock.ts";
export {
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  type SocketCloseInfo,
  SocketConnection,
  type SocketConnectionEvents,
  type SocketConnectionOptions,
} from "./connection.ts";
export { TypedEmitter } from "./emitter.ts";
export { RtmsSessionError, type RtmsSessionErrorCode } from "./errors.ts";
export { MediaClient, type MediaClientEvents, type MediaClientOptions } from "./media.ts";
export {
  type AudioOptions,
  DEFAULT_MEDIA,
  DEFAULT_SUBSCRIBED_EVENTS,
  type DeskshareOptions,
  type MediaKind,
  type MediaMode,
  type MediaSlot,
  planMediaSlots,
  type RtmsSessionOptions,
  type SessionMediaOptions,
  type TranscriptOptions,
  toMediaParams,
  type VideoOptions,
} from "./options.ts";
export {
  DefaultReconnectPolicy,
  type DefaultReconnectPolicyOptions,
  type ReconnectCause,
  type ReconnectContext,
  type ReconnectPolicy,
} from "./reconnect-policy.ts";
export {
  type AudioEvent,
  type ChatEvent,
  ConnectionState,
  type FrameEvent,
  type HandshakeEvent,
  type ParticipantRef,
  type ParticipantsEvent,
  type ReconnectEvent,
  RtmsSession,
  type RtmsSessionEvents,
  type SocketRole,
  type StoppedEvent,
  type StopSource,
  type TranscriptEvent,
  type UserEvent,
} from "./session.ts";
export { SignalingClient, type SignalingClientOptions, type SignalingEvents } from "./signaling.ts";
export { VideoRotation, type VideoRotationOptions } from "./video-rotation.ts";
