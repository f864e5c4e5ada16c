// Who may connect to a stream: the rules Zoom applies to msg 1 and msg 3, as pure functions of the request
// and of what the stream holds right now. The stream turns a refusal into msg 2/4 and a close; these
// functions never touch a socket or a clock, so the rules are tested by feeding them requests.

import { timingSafeEqual } from "node:crypto";
import {
  Codec,
  DEFAULT_AUDIO_PARAMS,
  DEFAULT_VIDEO_PARAMS,
  type MediaParams,
  MediaType,
  StatusCode,
  validateMediaParams,
} from "@capture/rtms-core/protocol";

/** What the rules read of the stream at the moment a handshake arrives. */
export interface AdmissionState {
  stopped: boolean;
  /** The server the stream lives on now (a failover moves it). */
  serverId: string;
  meetingUuid: string;
  /** The stream's handshake signature (lowercase hex), computed once from the app's credentials. */
  signature: string;
  /** A signaling socket is open, or a dropped one is still registered (status 8 for a new handshake). */
  signalingHeld: boolean;
  /** media_type of every open media socket of the stream. */
  openMediaTypes: readonly number[];
}

export interface HandshakeFields {
  meeting_uuid: string;
  signature: string;
}

export type Admission<T> = { ok: true; value: T } | { ok: false; statusCode: number };

const PER_TYPE_BITS =
  MediaType.AUDIO | MediaType.VIDEO | MediaType.DESKSHARE | MediaType.TRANSCRIPT | MediaType.CHAT;

const refuse = (statusCode: number) => ({ ok: false, statusCode }) as const;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The checks both handshakes open with: the right stream on the right server, then the signature. */
function identify(req: HandshakeFields, serverId: string, s: AdmissionState): number | undefined {
  if (s.stopped || serverId !== s.serverId || req.meeting_uuid !== s.meetingUuid)
    return StatusCode.INVALID_STREAM_ID;
  if (!sameText(s.signature, req.signature.toLowerCase())) return StatusCode.INVALID_SIGNATURE;
  return undefined;
}

/** msg 1 on `serverId`'s signaling endpoint. */
export function admitSignaling(req: HandshakeFields, serverId: string, s: AdmissionState): Admission<void> {
  const refused = identify(req, serverId, s);
  if (refused !== undefined) return refuse(refused);
  if (s.signalingHeld) return refuse(StatusCode.DUPLICATE_SIGNAL_REQUEST);
  return { ok: true, value: undefined };
}

/**
 * msg 3 on `serverId`'s media endpoint; `rawParams` is media_params exactly as sent, so every parameter rule
 * answers with its own status code. The value is the accepted media_params (defaults filled in), which msg 4
 * echoes and the media pump follows.
 */
export function admitMedia(
  req: HandshakeFields & { media_type: number },
  rawParams: unknown,
  serverId: string,
  s: AdmissionState,
): Admission<MediaParams> {
  const refused = identify(req, serverId, s);
  if (refused !== undefined) return refuse(refused);
  const type = req.media_type;
  if (!(type === MediaType.ALL || (type > 0 && (type & ~PER_TYPE_BITS) === 0)))
    return refuse(StatusCode.INVALID_MEDIA_TYPE_VALUE);
  // The app's scopes cover audio, video and transcript (what server_urls lists).
  if (type & MediaType.DESKSHARE) return refuse(StatusCode.MEDIA_TYPE_DESKSHARE_NOT_SUPPORTED);
  if (type & MediaType.CHAT) return refuse(StatusCode.MEDIA_TYPE_CHAT_NOT_SUPPORTED);
  for (const open of s.openMediaTypes) {
    if (open === MediaType.ALL || type === MediaType.ALL)
      return refuse(StatusCode.ALL_MEDIA_CONNECTION_EXISTS);
    if (open & type) return refuse(StatusCode.DUPLICATE_MEDIA_CONNECTION);
  }
  const checked = validateMediaParams(rawParams);
  if (!checked.ok) return refuse(checked.statusCode);
  const all = type === MediaType.ALL;
  const wantsVideo = all || (type & MediaType.VIDEO) !== 0;
  // zoom-sim draws JPEG frames only: H264 (which passed the rate rules) is refused, never faked (README).
  if (wantsVideo && checked.params.video?.codec === Codec.H264) return refuse(StatusCode.INVALID_VIDEO_CODEC);
  const accepted: MediaParams = {};
  if (all || type & MediaType.AUDIO) accepted.audio = { ...DEFAULT_AUDIO_PARAMS, ...checked.params.audio };
  if (wantsVideo) accepted.video = { ...DEFAULT_VIDEO_PARAMS, ...checked.params.video };
  if (all || type & MediaType.TRANSCRIPT)
    accepted.transcript = { content_type: 5, ...checked.params.transcript };
  return { ok: true, value: accepted };
}
