// Every enum of the RTMS protocol, as `as const` objects plus a type of their values. (TypeScript `const enum`
// does not survive `isolatedModules` across packages, and Zoom sends plain integers anyway: a value outside
// a table is data to classify, not a crash.) Numbers and meanings: PROTOCOL.md section 12.

type ValueOf<T> = T[keyof T];

export const MsgType = {
  SIGNALING_HAND_SHAKE_REQ: 1,
  SIGNALING_HAND_SHAKE_RESP: 2,
  DATA_HAND_SHAKE_REQ: 3,
  DATA_HAND_SHAKE_RESP: 4,
  EVENT_SUBSCRIPTION: 5,
  EVENT_UPDATE: 6,
  CLIENT_READY_ACK: 7,
  STREAM_STATE_UPDATE: 8,
  SESSION_STATE_UPDATE: 9,
  SESSION_STATE_REQ: 10,
  SESSION_STATE_RESP: 11,
  KEEP_ALIVE_REQ: 12,
  KEEP_ALIVE_RESP: 13,
  MEDIA_DATA_AUDIO: 14,
  MEDIA_DATA_VIDEO: 15,
  MEDIA_DATA_SHARE: 16,
  MEDIA_DATA_TRANSCRIPT: 17,
  MEDIA_DATA_CHAT: 18,
  STREAM_STATE_REQ: 19,
  STREAM_STATE_RESP: 20,
  STREAM_CLOSE_REQ: 21,
  STREAM_CLOSE_RESP: 22,
  META_DATA_AUDIO: 23,
  META_DATA_VIDEO: 24,
  META_DATA_SHARE: 25,
  META_DATA_TRANSCRIPT: 26,
  META_DATA_CHAT: 27,
  VIDEO_SUBSCRIPTION_REQ: 28,
  VIDEO_SUBSCRIPTION_RESP: 29,
} as const;
export type MsgType = ValueOf<typeof MsgType>;

/** Status codes of msg 2, 4, 22 and 29 in the CURRENT numbering (the older one is handled by classifyStatus). */
export const StatusCode = {
  OK: 0,
  INVALID_MESSAGE_TYPE: 1,
  INVALID_STREAM_ID: 2,
  INVALID_SIGNATURE: 3,
  INVALID_PAYLOAD: 4,
  INVALID_EVENTS: 5,
  INVALID_EVENT_TYPE: 6,
  INVALID_MEDIA_TYPE: 7,
  DUPLICATE_SIGNAL_REQUEST: 8,
  MEDIA_TYPE_AUDIO_NOT_SUPPORTED: 9,
  MEDIA_TYPE_VIDEO_NOT_SUPPORTED: 10,
  MEDIA_TYPE_DESKSHARE_NOT_SUPPORTED: 11,
  MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORTED: 12,
  MEDIA_TYPE_CHAT_NOT_SUPPORTED: 13,
  INVALID_MEDIA_TYPE_VALUE: 14,
  ALL_MEDIA_CONNECTION_EXISTS: 15,
  DUPLICATE_MEDIA_CONNECTION: 16,
  INVALID_MEDIA_PARAMS: 17,
  INVALID_AUDIO_PARAMS: 18,
  INVALID_AUDIO_CONTENT_TYPE: 19,
  INVALID_AUDIO_SAMPLE_RATE: 20,
  INVALID_AUDIO_CHANNEL: 21,
  INVALID_AUDIO_CODEC: 22,
  INVALID_AUDIO_DATA_OPT: 23,
  INVALID_AUDIO_SEND_RATE: 24,
  INVALID_VIDEO_PARAMS: 25,
  INVALID_VIDEO_CONTENT_TYPE: 26,
  INVALID_VIDEO_CODEC: 27,
  INVALID_VIDEO_RESOLUTION: 28,
  INVALID_VIDEO_DATA_OPT: 29,
  INVALID_VIDEO_FPS: 30,
  INVALID_DESKSHARE_PARAMS: 31,
  INVALID_DESKSHARE_CONTENT_TYPE: 32,
  INVALID_DESKSHARE_CODEC: 33,
  INVALID_DESKSHARE_RESOLUTION: 34,
  INVALID_DESKSHARE_FPS: 35,
  INVALID_TRANSCRIPT_PARAMS: 36,
  INVALID_TRANSCRIPT_CONTENT_TYPE: 37,
  INVALID_CHAT_PARAMS: 38,
  INVALID_CHAT_CONTENT_TYPE: 39,
  INVALID_SESSION_ID: 40,
  INVALID_CLIENT_READY_ACK: 41,
  INVALID_EVENT_SUBSCRIBE: 42,
  INVALID_TRANSCRIPT_SOURCE_LANGUAGE: 43,
  DUPLICATE_VIDEO_SUBSCRIPTION: 44,
  INTERNAL_EXCEPTION: 45,
} as const;
export type StatusCode = ValueOf<typeof StatusCode>;

/** Readable reason per status code: what our simulator puts in `reason`, and what logs show. */
export const STATUS_TEXT: Readonly<Record<StatusCode, string>> = {
  0: "ok",
  1: "invalid message type",
  2: "invalid stream id",
  3: "invalid signature",
  4: "invalid payload",
  5: "invalid events",
  6: "invalid event type",
  7: "invalid media type",
  8: "duplicate signal request",
  9: "media type audio not supported",
  10: "media type video not supported",
  11: "media type deskshare not supported",
  12: "media type transcript not supported",
  13: "media type chat not supported",
  14: "invalid media type value",
  15: "an all media connection already exists",
  16: "duplicate media connection",
  17: "invalid media params",
  18: "invalid audio params",
  19: "invalid audio content_type",
  20: "invalid audio sample_rate",
  21: "invalid audio channel",
  22: "invalid audio codec",
  23: "invalid audio data_opt",
  24: "invalid audio send_rate",
  25: "invalid video params",
  26: "invalid video content_type",
  27: "invalid video codec",
  28: "invalid video resolution",
  29: "invalid video data_opt",
  30: "invalid video fps",
  31: "invalid deskshare params",
  32: "invalid deskshare content_type",
  33: "invalid deskshare codec",
  34: "invalid deskshare resolution",
  35: "invalid deskshare fps",
  36: "invalid transcript params",
  37: "invalid transcript content_type",
  38: "invalid chat params",
  39: "invalid chat content_type",
  40: "invalid session id",
  41: "invalid client ready ack",
  42: "invalid event subscribe",
  43: "invalid transcript source language",
  44: "duplicate video subscription",
  45: "internal exception",
};

export function statusText(code: number): string {
  return STATUS_TEXT[code as StatusCode] ?? `unknown status ${code}`;
}

/** media_type bit flags of msg 3. `ALL` (32) asks for every type the app's scopes allow on one socket. */
export const MediaType = {
  AUDIO: 1,
  VIDEO: 2,
  DESKSHARE: 4,
  TRANSCRIPT: 8,
  CHAT: 16,
  ALL: 32,
} as const;
export type MediaType = ValueOf<typeof MediaType>;

export const ContentType = {
  RTP: 1,
  RAW_AUDIO: 2,
  RAW_VIDEO: 3,
  FILE_STREAM: 4,
  TEXT: 5,
} as const;
export type ContentType = ValueOf<typeof ContentType>;

export const Codec = {
  L16: 1,
  G711: 2,
  G722: 3,
  OPUS: 4,
  JPG: 5,
  PNG: 6,
  H264: 7,
} as const;
export type Codec = ValueOf<typeof Codec>;

/** SD is 854x480 or 640x360; the actual frame size may change mid-call. */
export const Resolution = {
  SD: 1,
  HD: 2,
  FHD: 3,
  QHD: 4,
} as const;
export type Resolution = ValueOf<typeof Resolution>;

export const SampleRate = {
  SR_8K: 0,
  SR_16K: 1,
  SR_32K: 2,
  SR_48K: 3,
} as const;
export type SampleRate = ValueOf<typeof SampleRate>;

export const Channel = {
  MONO: 1,
  STEREO: 2,
} as const;
export type Channel = ValueOf<typeof Channel>;

/** data_opt, current meaning (older tables call 4 "mixed speaker view" and 5 "gallery view": not followed). */
export const DataOpt = {
  AUDIO_MIXED_STREAM: 1,
  AUDIO_MULTI_STREAMS: 2,
  VIDEO_SINGLE_ACTIVE_STREAM: 3,
  VIDEO_SINGLE_INDIVIDUAL_STREAM: 4,
} as const;
export type DataOpt = ValueOf<typeof DataOpt>;

/** event_type of msg 5/6. Types 1 and 7 arrive without subscribing. */
export const EventType = {
  FIRST_PACKET_TIMESTAMP: 1,
  ACTIVE_SPEAKER_CHANGE: 2,
  PARTICIPANT_JOIN: 3,
  PARTICIPANT_LEAVE: 4,
  SHARING_START: 5,
  SHARING_STOP: 6,
  MEDIA_CONNECTION_INTERRUPTED: 7,
  PARTICIPANT_VIDEO_ON: 8,
  PARTICIPANT_VIDEO_OFF: 9,
} as const;
export type EventType = ValueOf<typeof EventType>;

export const SessionState = {
  INACTIVE: 0,
  INITIALIZE: 1,
  STARTED: 2,
  PAUSED: 3,
  RESUMED: 4,
  STOPPED: 5,
} as const;
export type SessionState = ValueOf<typeof SessionState>;

export const StreamState = {
  INACTIVE: 0,
  ACTIVE: 1,
  INTERRUPTED: 2,
  TERMINATING: 3,
  TERMINATED: 4,
  PAUSED: 5,
  RESUMED: 6,
} as const;
export type StreamState = ValueOf<typeof StreamState>;

export const StopReason = {
  UNDEFINED: 0,
  STOP_BC_HOST_TRIGGERED: 1,
  STOP_BC_USER_TRIGGERED: 2,
  STOP_BC_USER_LEFT: 3,
  STOP_BC_USER_EJECTED: 4,
  STOP_BC_APP_DISABLED_BY_HOST: 5,
  STOP_BC_MEETING_ENDED: 6,
  STOP_BC_STREAM_CANCELED: 7,
  STOP_BC_STREAM_REVOKED: 8,
  STOP_BC_ALL_APPS_DISABLED: 9,
  STOP_BC_INTERNAL_EXCEPTION: 10,
  STOP_BC_CONNECTION_TIMEOUT: 11,
  STOP_BC_MEETING_CONNECTION_INTERRUPTED: 12,
  STOP_BC_SIGNAL_CONNECTION_INTERRUPTED: 13,
  STOP_BC_DATA_CONNECTION_INTERRUPTED: 14,
  STOP_BC_SIGNAL_CONNECTION_CLOSED_ABNORMALLY: 15,
  STOP_BC_DATA_CONNECTION_CLOSED_ABNORMALLY: 16,
  STOP_BC_EXIT_SIGNAL: 17,
  STOP_BC_AUTHENTICATION_FAILURE: 18,
  STOP_BC_AWAIT_RECONNECTION_TIMEOUT: 19,
  STOP_BC_APP_REQUESTED_CLOSE: 20,
  STOP_BC_CC_TRANSFER: 21,
  STOP_BC_CC_END: 22,
  STOP_BC_APP_DISABLED_BY_ADMIN: 23,
  STOP_BC_KEEP_ALIVE_TIMEOUT: 24,
} as const;
export type StopReason = ValueOf<typeof StopReason>;

export const STOP_REASON_TEXT: Readonly<Record<StopReason, string>> = {
  0: "undefined",
  1: "host triggered",
  2: "user triggered",
  3: "user left",
  4: "user ejected",
  5: "host disabled app",
  6: "meeting ended",
  7: "stream canceled",
  8: "stream revoked",
  9: "all apps disabled",
  10: "internal exception",
  11: "connection timeout",
  12: "instance connection interrupted",
  13: "signaling connection interrupted",
  14: "data connection interrupted",
  15: "signaling connection closed abnormally",
  16: "data connection closed abnormally",
  17: "exit signal",
  18: "authentication failure",
  19: "waiting for reconnection timed out",
  20: "app requested close",
  21: "contact center transfer",
  22: "contact center end",
  23: "admin disabled app",
  24: "keep-alive timeout",
};

export function stopReasonText(reason: number): string {
  return STOP_REASON_TEXT[reason as StopReason] ?? `unknown stop reason ${reason}`;
}

/**
 * Stop reasons that mean the stream died abnormally (PROTOCOL.md section 12: 10-19 and 24). Reconnecting
 * is pointless after ANY stop; after these a full restart through the REST API is the only way back, so a
 * caller may want to start the stream again, which it would not after "meeting ended".
 */
export function isAbnormalStopReason(reason: number): boolean {
  return (reason >= 10 && reason <= 19) || reason === 24;
}

export const PROTOCOL_VERSION = 1;
