// One interface per RTMS message (msg_type 1-29) and the zod schema that reads it off the wire. Schemas are
// lenient where Zoom's own material disagrees (user ids as integers or strings, `reason` vs `stop_reason`,
// `payload_encrypted` vs `payload_encryption`, absent `sequence`) and normalise to one shape, so code
// downstream sees a single spelling. Unknown extra fields are dropped; unknown enum VALUES are kept (they
// are plain numbers) so that a newer Zoom never breaks parsing: callers classify them.
import { z } from "zod";
import { MsgType } from "./constants.ts";

/** Zoom sends user ids as integers in some places and strings in others: we keep them as strings. */
export const userIdSchema = z.union([z.string(), z.number().int()]).transform((v) => String(v));
/** Ids in OUTBOUND messages: what we send may be a number again (see videoSubscriptionReq). */
export type WireUserId = string | number;

const int = z.number().int();
const num = z.number();

// ---------- handshakes ----------

export interface SignalingHandshakeReq {
  msg_type: 1;
  protocol_version: number;
  sequence?: number;
  meeting_uuid: string;
  rtms_stream_id: string;
  signature: string;
  /** Default true: up to 60 s of audio from before we connected is delivered. */
  buffer_data?: boolean;
}

export interface ServerUrls {
  audio?: string;
  video?: string;
  transcript?: string;
  deskshare?: string;
  chat?: string;
  all?: string;
}

export interface SignalingHandshakeResp {
  msg_type: 2;
  protocol_version?: number;
  sequence?: number;
  status_code: number;
  reason?: string;
  media_server?: { server_urls: ServerUrls };
}

export interface AudioParams {
  content_type?: number;
  sample_rate?: number;
  channel?: number;
  codec?: number;
  data_opt?: number;
  send_rate?: number;
}
export interface VideoParams {
  content_type?: number;
  codec?: number;
  resolution?: number;
  /** Absent means 3 (active speaker). */
  data_opt?: number;
  fps?: number;
}
export interface DeskshareParams {
  content_type?: number;
  codec?: number;
  resolution?: number;
  fps?: number;
}
export interface TranscriptParams {
  content_type?: number;
  src_language?: number | string;
  enable_lid?: boolean;
}
export interface ChatParams {
  content_type?: number;
}
export interface MediaParams {
  audio?: AudioParams;
  video?: VideoParams;
  deskshare?: DeskshareParams;
  transcript?: TranscriptParams;
  chat?: ChatParams;
}

export interface MediaHandshakeReq {
  msg_type: 3;
  protocol_version: number;
  sequence?: number;
  meeting_uuid: string;
  rtms_stream_id: string;
  signature: string;
  media_type: number;
  payload_encryption?: boolean;
  media_params?: MediaParams;
}

export interface MediaHandshakeResp {
  msg_type: 4;
  protocol_version?: number;
  sequence?: number;
  status_code: number;
  reason?: string;
  payload_encryption?: boolean;
  media_params?: MediaParams;
}

// ---------- signaling ----------

export interface EventSubscription {
  msg_type: 5;
  events: { event_type: number; subscribe: boolean }[];
}

export interface EventParticipant {
  user_id: string;
  user_name?: string;
}

/**
 * The `event` of msg 6. Which fields are present depends on event_type (see EventType). V2 servers may send
 * `event_code` beside or instead of `event_type` (PROTOCOL.md section 10): kept as data, never an error.
 */
export interface RtmsEvent {
  event_type?: number;
  event_code?: number | string;
  timestamp?: number;
  user_id?: string;
  user_name?: string;
  participants?: EventParticipant[];
}

export interface EventUpdate {
  msg_type: 6;
  event: RtmsEvent;
}

export interface ClientReadyAck {
  msg_type: 7;
  rtms_stream_id: string;
}

export interface StreamStateUpdate {
  msg_type: 8;
  state: number;
  reason?: number;
  timestamp?: number;
}

export interface SessionStateUpdate {
  msg_type: 9;
  state: number;
  /** The docs table calls it `reason`; both spellings are read into this field. */
  stop_reason?: number;
  timestamp?: number;
  rtms_session_id?: string;
}

export interface SessionStateReq {
  msg_type: 10;
  session_id?: string;
}

export interface SessionStateResp {
  msg_type: 11;
  session_id?: string;
  /** Read from `state` or `session_state`. */
  state?: number;
  status_code?: number;
  reason?: string;
}

export interface KeepAliveReq {
  msg_type: 12;
  timestamp: number;
}

export interface KeepAliveResp {
  msg_type: 13;
  timestamp: number;
}

// ---------- media data ----------

export interface MediaContent {
  user_id: string;
  user_name: string;
  /** base64 (audio/video/share) or text (transcript/chat). Never decoded by the codec. */
  data: string;
  /** Bytes before base64; may be absent. */
  length?: number;
  timestamp: number;
  // transcript only
  start_time?: number;
  end_time?: number;
  language?: number | string;
  attribute?: unknown;
}

export type MediaDataType = 14 | 15 | 16 | 17 | 18;
export interface MediaData<T extends MediaDataType = MediaDataType> {
  msg_type: T;
  content: MediaContent;
}
export type AudioData = MediaData<14>;
export type VideoData = MediaData<15>;
export type ShareData = MediaData<16>;
export type TranscriptData = MediaData<17>;
export type ChatData = MediaData<18>;

export interface StreamStateReq {
  msg_type: 19;
  rtms_stream_id: string;
}

export interface StreamStateResp {
  msg_type: 20;
  state?: number;
  reason?: number;
  timestamp?: number;
  status_code?: number;
}

export interface StreamCloseReq {
  msg_type: 21;
  rtms_stream_id: string;
}

export interface StreamCloseResp {
  msg_type: 22;
  status_code: number;
  reason?: string;
}

/** 23-27 are reserved: kept as opaque objects so they never fail a stream. */
export type MetaDataType = 23 | 24 | 25 | 26 | 27;
export interface MetaData<T extends MetaDataType = MetaDataType> {
  msg_type: T;
  [key: string]: unknown;
}

export interface VideoSubscriptionReq {
  msg_type: 28;
  user_id: WireUserId;
  subscribe: boolean;
  timestamp?: number;
}

export interface VideoSubscriptionResp {
  msg_type: 29;
  user_id: string;
  status_code: number;
  reason?: string;
  timestamp?: number;
}

export type RtmsMessage =
  | SignalingHandshakeReq
  | SignalingHandshakeResp
  | MediaHandshakeReq
  | MediaHandshakeResp
  | EventSubscription
  | EventUpdate
  | ClientReadyAck
  | StreamStateUpdate
  | SessionStateUpdate
  | SessionStateReq
  | SessionStateResp
  | KeepAliveReq
  | KeepAliveResp
  | AudioData
  | VideoData
  | ShareData
  | TranscriptData
  | ChatData
  | StreamStateReq
  | StreamStateResp
  | StreamCloseReq
  | StreamCloseResp
  | MetaData<23>
  | MetaData<24>
  | MetaData<25>
  | MetaData<26>
  | MetaData<27>
  | VideoSubscriptionReq
  | VideoSubscriptionResp;

/** Narrow a message by its msg_type: `MessageOf<15>` is VideoData. */
export type MessageOf<T extends number> = Extract<RtmsMessage, { msg_type: T }>;

// ---------- schemas ----------

const serverUrlsSchema = z.object({
  audio: z.string().optional(),
  video: z.string().optional(),
  transcript: z.string().optional(),
  deskshare: z.string().optional(),
  chat: z.string().optional(),
  all: z.string().optional(),
});

const mediaParamsSchema = z.object({
  audio: z
    .object({
      content_type: int.optional(),
      sample_rate: int.optional(),
      channel: int.optional(),
      codec: int.optional(),
      data_opt: int.optional(),
      send_rate: int.optional(),
    })
    .optional(),
  video: z
    .object({
      content_type: int.optional(),
      codec: int.optional(),
      resolution: int.optional(),
      data_opt: int.optional(),
      fps: num.optional(),
    })
    .optional(),
  deskshare: z
    .object({
      content_type: int.optional(),
      codec: int.optional(),
      resolution: int.optional(),
      fps: num.optional(),
    })
    .optional(),
  transcript: z
    .object({
      content_type: int.optional(),
      src_language: z.union([int, z.string()]).optional(),
      enable_lid: z.boolean().optional(),
    })
    .optional(),
  chat: z.object({ content_type: int.optional() }).optional(),
});

const participantSchema = z.object({ user_id: userIdSchema, user_name: z.string().optional() });

const contentSchema = z.object({
  user_id: userIdSchema,
  user_name: z.string().default(""),
  data: z.string(),
  length: int.optional(),
  timestamp: num,
  start_time: num.optional(),
  end_time: num.optional(),
  language: z.union([int, z.string()]).optional(),
  attribute: z.unknown().optional(),
});

function media<T extends MediaDataType>(type: T) {
  return z.object({ msg_type: z.literal(type), content: contentSchema });
}

const schemas = {
  1: z.object({
    msg_type: z.literal(1),
    protocol_version: int,
    sequence: int.optional(),
    meeting_uuid: z.string(),
    rtms_stream_id: z.string(),
    signature: z.string(),
    buffer_data: z.boolean().optional(),
  }),
  2: z.object({
    msg_type: z.literal(2),
    protocol_version: int.optional(),
    sequence: int.optional(),
    status_code: int,
    reason: z.string().optional(),
    media_server: z.object({ server_urls: serverUrlsSchema }).optional(),
  }),
  3: z.object({
    msg_type: z.literal(3),
    protocol_version: int,
    sequence: int.optional(),
    meeting_uuid: z.string(),
    rtms_stream_id: z.string(),
    signature: z.string(),
    media_type: int,
    payload_encryption: z.boolean().optional(),
    media_params: mediaParamsSchema.optional(),
  }),
  4: z
    .object({
      msg_type: z.literal(4),
      protocol_version: int.optional(),
      sequence: int.optional(),
      status_code: int,
      reason: z.string().optional(),
      payload_encryption: z.boolean().optional(),
      // One doc example spells it this way.
      payload_encrypted: z.boolean().optional(),
      media_params: mediaParamsSchema.optional(),
    })
    .transform(({ payload_encrypted, ...rest }): MediaHandshakeResp => {
      const payload_encryption = rest.payload_encryption ?? payload_encrypted;
      return payload_encryption === undefined ? rest : { ...rest, payload_encryption };
    }),
  5: z.object({
    msg_type: z.literal(5),
    events: z.array(z.object({ event_type: int, subscribe: z.boolean() })),
  }),
  6: z.object({
    msg_type: z.literal(6),
    event: z
      .object({
        event_type: int.optional(),
        event_code: z.union([int, z.string()]).optional(),
        timestamp: num.optional(),
        user_id: userIdSchema.optional(),
        user_name: z.string().optional(),
        participants: z.array(participantSchema).optional(),
      })
      .refine((e) => e.event_type !== undefined || e.event_code !== undefined, {
        message: "an event needs event_type or event_code",
      }),
  }),
  7: z.object({ msg_type: z.literal(7), rtms_stream_id: z.string() }),
  8: z.object({ msg_type: z.literal(8), state: int, reason: int.optional(), timestamp: num.optional() }),
  9: z
    .object({
      msg_type: z.literal(9),
      state: int,
      stop_reason: int.optional(),
      reason: int.optional(),
      timestamp: num.optional(),
      rtms_session_id: z.string().optional(),
    })
    .transform(({ reason, ...rest }): SessionStateUpdate => {
      const stop_reason = rest.stop_reason ?? reason;
      return stop_reason === undefined ? rest : { ...rest, stop_reason };
    }),
  10: z.object({ msg_type: z.literal(10), session_id: z.string().optional() }),
  11: z
    .object({
      msg_type: z.literal(11),
      session_id: z.string().optional(),
      state: int.optional(),
      session_state: int.optional(),
      status_code: int.optional(),
      reason: z.string().optional(),
    })
    .transform(({ session_state, ...rest }): SessionStateResp => {
      const state = rest.state ?? session_state;
      return state === undefined ? rest : { ...rest, state };
    }),
  12: z.object({ msg_type: z.literal(12), timestamp: num }),
  13: z.object({ msg_type: z.literal(13), timestamp: num }),
  14: media(14),
  15: media(15),
  16: media(16),
  17: media(17),
  18: media(18),
  19: z.object({ msg_type: z.literal(19), rtms_stream_id: z.string() }),
  20: z.object({
    msg_type: z.literal(20),
    state: int.optional(),
    reason: int.optional(),
    timestamp: num.optional(),
    status_code: int.optional(),
  }),
  21: z.object({ msg_type: z.literal(21), rtms_stream_id: z.string() }),
  22: z.object({ msg_type: z.literal(22), status_code: int, reason: z.string().optional() }),
  23: z.looseObject({ msg_type: z.literal(23) }),
  24: z.looseObject({ msg_type: z.literal(24) }),
  25: z.looseObject({ msg_type: z.literal(25) }),
  26: z.looseObject({ msg_type: z.literal(26) }),
  27: z.looseObject({ msg_type: z.literal(27) }),
  28: z.object({
    msg_type: z.literal(28),
    user_id: userIdSchema,
    subscribe: z.boolean(),
    timestamp: num.optional(),
  }),
  29: z.object({
    msg_type: z.literal(29),
    user_id: userIdSchema,
    status_code: int,
    reason: z.string().optional(),
    timestamp: num.optional(),
  }),
} satisfies Record<MsgType, z.ZodType>;

// Compile-time proof that every schema produces its interface (a drift between the two fails `tsc`).
type SchemaOutputs = { [K in keyof typeof schemas]: z.output<(typeof schemas)[K]> };
type Mismatches = {
  [K in keyof SchemaOutputs]: SchemaOutputs[K] extends MessageOf<K> ? never : K;
}[keyof SchemaOutputs];
type AssertNever<T extends never> = T;
export type _SchemasMatchInterfaces = AssertNever<Mismatches>;

/** The schema for one msg_type, or undefined when the number is not an RTMS message type. */
export function schemaFor(msgType: number): z.ZodType<RtmsMessage> | undefined {
  return (schemas as Record<number, z.ZodType<RtmsMessage> | undefined>)[msgType];
}

export const MSG_TYPES: readonly MsgType[] = Object.values(MsgType);
