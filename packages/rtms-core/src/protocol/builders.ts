// Builders for every message a client sends, plus the server messages the simulator (and tests) send, so
// both sides of the wire are built from the same definitions. Builders return objects: pass them to
// stringifyMessage (or socket helpers) to send.
import { type MediaType, MsgType, PROTOCOL_VERSION, StatusCode, statusText } from "./constants.ts";
import type {
  ClientReadyAck,
  EventSubscription,
  EventUpdate,
  KeepAliveReq,
  KeepAliveResp,
  MediaContent,
  MediaData,
  MediaDataType,
  MediaHandshakeReq,
  MediaHandshakeResp,
  MediaParams,
  RtmsEvent,
  ServerUrls,
  SessionStateReq,
  SessionStateUpdate,
  SignalingHandshakeReq,
  SignalingHandshakeResp,
  StreamCloseReq,
  StreamCloseResp,
  StreamStateReq,
  StreamStateUpdate,
  VideoSubscriptionReq,
  VideoSubscriptionResp,
  WireUserId,
} from "./messages.ts";
import { rtmsSignature, type SignatureInput } from "./signature.ts";

export type HandshakeCredentials = SignatureInput;

// ---------- client -> server ----------

/** What both handshake requests (msg 1 and msg 3) open with: the version, and the stream signed for. */
function signedHandshake(creds: HandshakeCredentials, sequence: number | undefined) {
  return {
    protocol_version: PROTOCOL_VERSION,
    sequence: sequence ?? 0,
    meeting_uuid: creds.meetingUuid,
    rtms_stream_id: creds.rtmsStreamId,
    signature: rtmsSignature(creds),
  };
}

export function signalingHandshakeReq(
  creds: HandshakeCredentials,
  opts: { sequence?: number; bufferData?: boolean } = {},
): SignalingHandshakeReq {
  return {
    msg_type: MsgType.SIGNALING_HAND_SHAKE_REQ,
    ...signedHandshake(creds, opts.sequence),
    ...(opts.bufferData !== undefined ? { buffer_data: opts.bufferData } : {}),
  };
}

export function mediaHandshakeReq(
  creds: HandshakeCredentials,
  mediaType: MediaType | number,
  mediaParams: MediaParams,
  opts: { sequence?: number } = {},
): MediaHandshakeReq {
  return {
    msg_type: MsgType.DATA_HAND_SHAKE_REQ,
    ...signedHandshake(creds, opts.sequence),
    media_type: mediaType,
    payload_encryption: false,
    media_params: mediaParams,
  };
}

export function eventSubscription(eventTypes: readonly number[], subscribe = true): EventSubscription {
  return {
    msg_type: MsgType.EVENT_SUBSCRIPTION,
    events: eventTypes.map((event_type) => ({ event_type, subscribe })),
  };
}

export function clientReadyAck(rtmsStreamId: string): ClientReadyAck {
  return { msg_type: MsgType.CLIENT_READY_ACK, rtms_stream_id: rtmsStreamId };
}

/** The answer to msg 12 echoes ITS timestamp, not ours. */
export function keepAliveResp(timestamp: number): KeepAliveResp {
  return { msg_type: MsgType.KEEP_ALIVE_RESP, timestamp };
}

export function streamCloseReq(rtmsStreamId: string): StreamCloseReq {
  return { msg_type: MsgType.STREAM_CLOSE_REQ, rtms_stream_id: rtmsStreamId };
}

/**
 * msg 28. Ids are kept as strings inside the library; Zoom's own ids are integers, so an all-digit id that
 * fits a safe integer goes back on the wire as a number.
 */
export function videoSubscriptionReq(
  userId: WireUserId,
  subscribe: boolean,
  timestamp: number,
): VideoSubscriptionReq {
  return { msg_type: MsgType.VIDEO_SUBSCRIPTION_REQ, user_id: toWireUserId(userId), subscribe, timestamp };
}

export function sessionStateReq(sessionId?: string): SessionStateReq {
  return { msg_type: MsgType.SESSION_STATE_REQ, ...(sessionId ? { session_id: sessionId } : {}) };
}

export function streamStateReq(rtmsStreamId: string): StreamStateReq {
  return { msg_type: MsgType.STREAM_STATE_REQ, rtms_stream_id: rtmsStreamId };
}

export function toWireUserId(userId: WireUserId): WireUserId {
  if (typeof userId === "number") return userId;
  if (/^\d{1,16}$/.test(userId)) {
    const n = Number(userId);
    if (Number.isSafeInteger(n)) return n;
  }
  return userId;
}

// ---------- server -> client (simulator, tests) ----------

/** What both handshake answers (msg 2 and msg 4) open with; a refusal without a reason gets the status text. */
function handshakeAnswer(statusCode: number, reason: string | undefined) {
  return {
    protocol_version: PROTOCOL_VERSION,
    sequence: 0,
    status_code: statusCode,
    reason: reason ?? (statusCode === StatusCode.OK ? "" : statusText(statusCode)),
  };
}

export function signalingHandshakeResp(
  statusCode: number,
  serverUrls?: ServerUrls,
  reason?: string,
): SignalingHandshakeResp {
  return {
    msg_type: MsgType.SIGNALING_HAND_SHAKE_RESP,
    ...handshakeAnswer(statusCode, reason),
    ...(serverUrls ? { media_server: { server_urls: serverUrls } } : {}),
  };
}

export function mediaHandshakeResp(
  statusCode: number,
  mediaParams?: MediaParams,
  reason?: string,
): MediaHandshakeResp {
  return {
    msg_type: MsgType.DATA_HAND_SHAKE_RESP,
    ...handshakeAnswer(statusCode, reason),
    payload_encryption: false,
    ...(mediaParams ? { media_params: mediaParams } : {}),
  };
}

export function keepAliveReq(timestamp: number): KeepAliveReq {
  return { msg_type: MsgType.KEEP_ALIVE_REQ, timestamp };
}

export function eventUpdate(event: RtmsEvent): EventUpdate {
  return { msg_type: MsgType.EVENT_UPDATE, event };
}

export function streamStateUpdate(state: number, reason?: number, timestamp?: number): StreamStateUpdate {
  return {
    msg_type: MsgType.STREAM_STATE_UPDATE,
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
  };
}

export function sessionStateUpdate(
  state: number,
  stopReason?: number,
  extra: { timestamp?: number; rtmsSessionId?: string } = {},
): SessionStateUpdate {
  return {
    msg_type: MsgType.SESSION_STATE_UPDATE,
    state,
    ...(stopReason !== undefined ? { stop_reason: stopReason } : {}),
    ...(extra.timestamp !== undefined ? { timestamp: extra.timestamp } : {}),
    ...(extra.rtmsSessionId !== undefined ? { rtms_session_id: extra.rtmsSessionId } : {}),
  };
}

export function mediaData<T extends MediaDataType>(msgType: T, content: MediaContent): MediaData<T> {
  return { msg_type: msgType, content };
}

export function streamCloseResp(statusCode: number, reason?: string): StreamCloseResp {
  return {
    msg_type: MsgType.STREAM_CLOSE_RESP,
    status_code: statusCode,
    reason: reason ?? statusText(statusCode),
  };
}

export function videoSubscriptionResp(
  userId: string,
  statusCode: number,
  timestamp: number,
  reason?: string,
): VideoSubscriptionResp {
  return {
    msg_type: MsgType.VIDEO_SUBSCRIPTION_RESP,
    user_id: userId,
    status_code: statusCode,
    reason: reason ?? statusText(statusCode),
    timestamp,
  };
}
