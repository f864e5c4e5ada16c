// RtmsSession's options, and their translation to wire media parameters.

import type { Logger } from "../logger.ts";
import { Codec, ContentType, DataOpt, EventType, MediaType, Resolution } from "../protocol/constants.ts";
import type { MediaParams } from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import type { ReconnectPolicy } from "./reconnect-policy.ts";

export interface VideoOptions {
  /** Codec.JPG (default), PNG, or H264 (only above 5 fps). */
  codec?: number;
  /** Resolution.HD by default. */
  resolution?: number;
  /** 5 by default; JPG/PNG allow at most 5. */
  fps?: number;
  /** DataOpt.VIDEO_SINGLE_ACTIVE_STREAM (3, default) or VIDEO_SINGLE_INDIVIDUAL_STREAM (4: needs subscribeVideo). */
  dataOpt?: number;
}

export interface AudioOptions {
  contentType?: number;
  sampleRate?: number;
  channel?: number;
  /** Codec.L16 by default. */
  codec?: number;
  dataOpt?: number;
  /** ms, a multiple of 20 up to 1000. */
  sendRate?: number;
}

export interface DeskshareOptions {
  codec?: number;
  resolution?: number;
  fps?: number;
}

export interface TranscriptOptions {
  srcLanguage?: number | string;
  enableLid?: boolean;
}

/** What to receive. Omit the whole object for the seed's choice: JPG video, HD, 5 fps, data_opt 3, L16 audio. */
export interface SessionMediaOptions {
  video?: VideoOptions | false;
  audio?: AudioOptions | false;
  deskshare?: DeskshareOptions | false;
  transcript?: TranscriptOptions | false;
  chat?: boolean;
}

export type MediaMode = "all" | "per-type";

export interface RtmsSessionOptions {
  clientId: string;
  clientSecret: string;
  /** Exactly as received in rtms_started (keep `==`). */
  meetingUuid: string;
  rtmsStreamId: string;
  /** The signaling URL from rtms_started (`server_urls`); several are tried in order. */
  serverUrls: string | readonly string[];
  media?: SessionMediaOptions;
  /** One socket at `all` with media_type 32 (default, like the seed), or one socket per media type. */
  mediaMode?: MediaMode;
  /** Event types to subscribe IN ADDITION to the defaults 2, 3, 4, 8, 9. */
  subscribeEvents?: readonly number[];
  /** msg 1 buffer_data. Zoom's default is true. */
  bufferData?: boolean;
  logger?: Logger;
  clock?: Clock;
  reconnectPolicy?: ReconnectPolicy;
  /** Largest frame accepted on any socket (default 16 MiB). */
  maxMessageBytes?: number;
  /** Silence after which a socket is declared dead (default 65 s). */
  keepAliveTimeoutMs?: number;
  /** Handshake answer deadline (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Deadline for answers to msg 10/19/21/28 (default 5 s). */
  requestTimeoutMs?: number;
  /**
   * Hosts the session may dial, signaling and media alike (`server_urls`, msg 2's URLs, failover URLs):
   * patterns such as `*.zoom.us` or `127.0.0.1` (see isAllowedUrl). Default DEFAULT_ALLOWED_HOSTS, Zoom's
   * RTMS domains. Plain ws:// only reaches a loopback host listed here exactly (tests, the demo).
   */
  allowedHosts?: readonly string[];
}

export const DEFAULT_SUBSCRIBED_EVENTS: readonly number[] = [
  EventType.ACTIVE_SPEAKER_CHANGE,
  EventType.PARTICIPANT_JOIN,
  EventType.PARTICIPANT_LEAVE,
  EventType.PARTICIPANT_VIDEO_ON,
  EventType.PARTICIPANT_VIDEO_OFF,
];

export const DEFAULT_MEDIA: SessionMediaOptions = { video: {}, audio: {} };

export type MediaKind = "audio" | "video" | "deskshare" | "transcript" | "chat";

/** The wire media_params for what the options ask, per kind (undefined = not requested). */
export function toMediaParams(media: SessionMediaOptions = DEFAULT_MEDIA): MediaParams {
  const out: MediaParams = {};
  if (media.video) {
    const v = media.video;
    out.video = {
      content_type: ContentType.RAW_VIDEO,
      codec: v.codec ?? Codec.JPG,
      resolution: v.resolution ?? Resolution.HD,
      data_opt: v.dataOpt ?? DataOpt.VIDEO_SINGLE_ACTIVE_STREAM,
      fps: v.fps ?? 5,
    };
  }
  if (media.audio) {
    const a = media.audio;
    out.audio = {
      content_type: a.contentType ?? ContentType.RAW_AUDIO,
      sample_rate: a.sampleRate ?? 1,
      channel: a.channel ?? 1,
      codec: a.codec ?? Codec.L16,
      data_opt: a.dataOpt ?? DataOpt.AUDIO_MIXED_STREAM,
      send_rate: a.sendRate ?? 20,
    };
  }
  if (media.deskshare) {
    const d = media.deskshare;
    out.deskshare = {
      content_type: ContentType.RAW_VIDEO,
      codec: d.codec ?? Codec.JPG,
      resolution: d.resolution ?? Resolution.HD,
      fps: d.fps ?? 1,
    };
  }
  if (media.transcript) {
    const t = media.transcript;
    out.transcript = {
      content_type: ContentType.TEXT,
      ...(t.srcLanguage !== undefined ? { src_language: t.srcLanguage } : {}),
      ...(t.enableLid !== undefined ? { enable_lid: t.enableLid } : {}),
    };
  }
  if (media.chat) out.chat = { content_type: ContentType.TEXT };
  return out;
}

export interface MediaSlot {
  /** "all", or the kind this socket carries. */
  key: "all" | MediaKind;
  url: string;
  mediaType: number;
  params: MediaParams;
}

const KIND_BITS: Record<MediaKind, number> = {
  audio: MediaType.AUDIO,
  video: MediaType.VIDEO,
  deskshare: MediaType.DESKSHARE,
  transcript: MediaType.TRANSCRIPT,
  chat: MediaType.CHAT,
};

/**
 * Which media sockets to open, given what msg 2 offered. "all" mode uses one socket when `all` is offered;
 * per-type mode (or an answer without `all`) opens one per requested kind that has its own URL.
 */
export function planMediaSlots(
  mode: MediaMode,
  params: MediaParams,
  urls: Partial<Record<"all" | MediaKind, string>>,
): { slots: MediaSlot[]; unavailable: MediaKind[] } {
  const kinds = (Object.keys(params) as MediaKind[]).filter((k) => params[k] !== undefined);
  if ((mode === "all" || kinds.some((k) => !urls[k])) && urls.all) {
    return { slots: [{ key: "all", url: urls.all, mediaType: MediaType.ALL, params }], unavailable: [] };
  }
  const slots: MediaSlot[] = [];
  const unavailable: MediaKind[] = [];
  for (const kind of kinds) {
    const url = urls[kind];
    if (!url) unavailable.push(kind);
    else slots.push({ key: kind, url, mediaType: KIND_BITS[kind], params: { [kind]: params[kind] } });
  }
  return { slots, unavailable };
}
