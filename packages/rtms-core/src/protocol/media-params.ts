// The media-parameter rules a server enforces on msg 3 (PROTOCOL.md section 3). The client calls this
// BEFORE sending a handshake (a bad configuration fails locally with the exact code Zoom would answer), and
// the simulator calls the same function to answer handshakes: one rule book for both sides.
import { Codec, ContentType, DataOpt, Resolution, StatusCode, statusText } from "./constants.ts";
import type { AudioParams, DeskshareParams, MediaParams, VideoParams } from "./messages.ts";

export type MediaParamsResult =
  | { ok: true; params: MediaParams }
  | { ok: false; statusCode: StatusCode; reason: string };

/** What Zoom assumes for omitted fields (video: the seed's JPG, HD, 5 fps, active speaker). */
export const DEFAULT_VIDEO_PARAMS: Required<VideoParams> = {
  content_type: ContentType.RAW_VIDEO,
  codec: Codec.JPG,
  resolution: Resolution.HD,
  data_opt: DataOpt.VIDEO_SINGLE_ACTIVE_STREAM,
  fps: 5,
};
export const DEFAULT_AUDIO_PARAMS: Required<AudioParams> = {
  content_type: ContentType.RAW_AUDIO,
  sample_rate: 1,
  channel: 1,
  codec: Codec.L16,
  data_opt: DataOpt.AUDIO_MIXED_STREAM,
  send_rate: 20,
};
export const DEFAULT_DESKSHARE_PARAMS: Required<DeskshareParams> = {
  content_type: ContentType.RAW_VIDEO,
  codec: Codec.JPG,
  resolution: Resolution.HD,
  fps: 1,
};

const MAX_FPS = 30;
const IMAGE_CODEC_MAX_FPS = 5;
const DESKSHARE_IMAGE_MAX_FPS = 1;
const SEND_RATE_STEP_MS = 20;
const SEND_RATE_MAX_MS = 1000;

class Reject {
  constructor(readonly statusCode: StatusCode) {}
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Read an optional integer field: absent -> default; present but not in `allowed` -> reject with `code`. */
function field(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  code: StatusCode,
  allowed?: readonly number[],
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Reject(code);
  if (allowed && !allowed.includes(v)) throw new Reject(code);
  return v;
}

const IMAGE_CODECS: readonly number[] = [Codec.JPG, Codec.PNG];
const VIDEO_CODECS: readonly number[] = [Codec.JPG, Codec.PNG, Codec.H264];
const AUDIO_CODECS: readonly number[] = [Codec.L16, Codec.G711, Codec.G722, Codec.OPUS];
const RESOLUTIONS: readonly number[] = Object.values(Resolution);

function videoRules(v: unknown): Required<VideoParams> {
  if (!isObject(v)) throw new Reject(StatusCode.INVALID_VIDEO_PARAMS);
  const d = DEFAULT_VIDEO_PARAMS;
  const content_type = field(v, "content_type", d.content_type, StatusCode.INVALID_VIDEO_CONTENT_TYPE, [
    ContentType.RAW_VIDEO,
  ]);
  const codec = field(v, "codec", d.codec, StatusCode.INVALID_VIDEO_CODEC, VIDEO_CODECS);
  const resolution = field(v, "resolution", d.resolution, StatusCode.INVALID_VIDEO_RESOLUTION, RESOLUTIONS);
  const data_opt = field(v, "data_opt", d.data_opt, StatusCode.INVALID_VIDEO_DATA_OPT, [
    DataOpt.VIDEO_SINGLE_ACTIVE_STREAM,
    DataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM,
  ]);
  const fps = field(v, "fps", d.fps, StatusCode.INVALID_VIDEO_FPS);
  // Images only at low rates; H264 is what Zoom streams above 5 fps (and only there).
  const fpsOk = IMAGE_CODECS.includes(codec)
    ? fps >= 1 && fps <= IMAGE_CODEC_MAX_FPS
    : fps > IMAGE_CODEC_MAX_FPS && fps <= MAX_FPS;
  if (!fpsOk) throw new Reject(StatusCode.INVALID_VIDEO_FPS);
  return { content_type, codec, resolution, data_opt, fps };
}

function deskshareRules(v: unknown): Required<DeskshareParams> {
  if (!isObject(v)) throw new Reject(StatusCode.INVALID_DESKSHARE_PARAMS);
  const d = DEFAULT_DESKSHARE_PARAMS;
  const content_type = field(v, "content_type", d.content_type, StatusCode.INVALID_DESKSHARE_CONTENT_TYPE, [
    ContentType.RAW_VIDEO,
  ]);
  const codec = field(v, "codec", d.codec, StatusCode.INVALID_DESKSHARE_CODEC, VIDEO_CODECS);
  const resolution = field(
    v,
    "resolution",
    d.resolution,
    StatusCode.INVALID_DESKSHARE_RESOLUTION,
    RESOLUTIONS,
  );
  const fps = field(v, "fps", d.fps, StatusCode.INVALID_DESKSHARE_FPS);
  const max = IMAGE_CODECS.includes(codec) ? DESKSHARE_IMAGE_MAX_FPS : MAX_FPS;
  if (fps < 1 || fps > max) throw new Reject(StatusCode.INVALID_DESKSHARE_FPS);
  return { content_type, codec, resolution, fps };
}

function audioRules(a: unknown): Required<AudioParams> {
  if (!isObject(a)) throw new Reject(StatusCode.INVALID_AUDIO_PARAMS);
  const d = DEFAULT_AUDIO_PARAMS;
  const content_type = field(a, "content_type", d.content_type, StatusCode.INVALID_AUDIO_CONTENT_TYPE, [
    ContentType.RTP,
    ContentType.RAW_AUDIO,
  ]);
  const sample_rate = field(
    a,
    "sample_rate",
    d.sample_rate,
    StatusCode.INVALID_AUDIO_SAMPLE_RATE,
    [0, 1, 2, 3],
  );
  const channel = field(a, "channel", d.channel, StatusCode.INVALID_AUDIO_CHANNEL, [1, 2]);
  const codec = field(a, "codec", d.codec, StatusCode.INVALID_AUDIO_CODEC, AUDIO_CODECS);
  const data_opt = field(a, "data_opt", d.data_opt, StatusCode.INVALID_AUDIO_DATA_OPT, [
    DataOpt.AUDIO_MIXED_STREAM,
    DataOpt.AUDIO_MULTI_STREAMS,
  ]);
  const send_rate = field(a, "send_rate", d.send_rate, StatusCode.INVALID_AUDIO_SEND_RATE);
  if (send_rate <= 0 || send_rate > SEND_RATE_MAX_MS || send_rate % SEND_RATE_STEP_MS !== 0) {
    throw new Reject(StatusCode.INVALID_AUDIO_SEND_RATE);
  }
  return { content_type, sample_rate, channel, codec, data_opt, send_rate };
}

function textRules(t: unknown, paramsCode: StatusCode, contentCode: StatusCode): Record<string, unknown> {
  if (!isObject(t)) throw new Reject(paramsCode);
  field(t, "content_type", ContentType.TEXT, contentCode, [ContentType.TEXT]);
  return t;
}

/**
 * Check msg 3's media_params against Zoom's rules. Returns the parameters with defaults filled in, or the
 * status code (17-39, 43) a server answers. Absent media_params are valid: Zoom applies its defaults.
 */
export function validateMediaParams(params: unknown): MediaParamsResult {
  if (params === undefined) return { ok: true, params: {} };
  if (!isObject(params)) {
    return { ok: false, statusCode: StatusCode.INVALID_MEDIA_PARAMS, reason: statusText(17) };
  }
  try {
    const out: MediaParams = {};
    if (params.audio !== undefined) out.audio = audioRules(params.audio);
    if (params.video !== undefined) out.video = videoRules(params.video);
    if (params.deskshare !== undefined) out.deskshare = deskshareRules(params.deskshare);
    if (params.transcript !== undefined) {
      const t = textRules(
        params.transcript,
        StatusCode.INVALID_TRANSCRIPT_PARAMS,
        StatusCode.INVALID_TRANSCRIPT_CONTENT_TYPE,
      );
      const lang = t.src_language;
      if (
        lang !== undefined &&
        typeof lang !== "string" &&
        !(typeof lang === "number" && Number.isInteger(lang))
      ) {
        throw new Reject(StatusCode.INVALID_TRANSCRIPT_SOURCE_LANGUAGE);
      }
      if (t.enable_lid !== undefined && typeof t.enable_lid !== "boolean") {
        throw new Reject(StatusCode.INVALID_TRANSCRIPT_PARAMS);
      }
      out.transcript = {
        content_type: ContentType.TEXT,
        ...(lang !== undefined ? { src_language: lang as string | number } : {}),
        ...(t.enable_lid !== undefined ? { enable_lid: t.enable_lid as boolean } : {}),
      };
    }
    if (params.chat !== undefined) {
      textRules(params.chat, StatusCode.INVALID_CHAT_PARAMS, StatusCode.INVALID_CHAT_CONTENT_TYPE);
      out.chat = { content_type: ContentType.TEXT };
    }
    return { ok: true, params: out };
  } catch (err) {
    if (err instanceof Reject)
      return { ok: false, statusCode: err.statusCode, reason: statusText(err.statusCode) };
    throw err;
  }
}
