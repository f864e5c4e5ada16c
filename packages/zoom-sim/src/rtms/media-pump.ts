// What flows on one media socket after CLIENT_READY_ACK: video frames (msg 15) at the requested fps, and
// optionally silent audio (msg 14). Frames are cached JPEGs spliced into a JSON template, so the per-frame
// cost is one small header plus a buffer copy.

import type { MediaParams } from "@capture/rtms-core/protocol";
import { Codec, DataOpt, MediaType, MsgType, Resolution } from "@capture/rtms-core/protocol";
import type { FrameCache, FrameFormat, FrameSize } from "../frames/frame-cache.ts";
import type { SimParticipant } from "../meeting.ts";
import { type HostileSettings, mediaMessage } from "./hostile.ts";
import type { RtmsSocket } from "./rtms-socket.ts";

export interface PumpContext {
  frames: FrameCache;
  /** Who is on screen for this data_opt right now (camera state is checked by the pump). */
  videoSource(dataOpt: number): SimParticipant | undefined;
  /** First timestamp for a new pump: after every timestamp the stream already sent, so they never repeat. */
  videoTimestampBase(stepMs: number): number;
  noteVideoTimestamp(ts: number): void;
  sendAudio: boolean;
  paused(): boolean;
  /** Hostile faults in force for this stream (read per message, so they apply at once). */
  hostile(): HostileSettings;
  counters: { framesSent: number; framesSkipped: number; audioSent: number };
}

const SILENCE_CACHE = new Map<number, string>();
/** Mixed audio carries user_id 0 and no name. */
const MIXED_AUDIO = { userId: 0, name: "" };

export function sizeFor(resolution: number | undefined): FrameSize {
  return resolution === Resolution.SD ? "sd" : "hd";
}

/** Frames are what msg 4 accepted: PNG for codec 6, JPEG otherwise (H264 is refused at the handshake). */
export function formatFor(codec: number | undefined): FrameFormat {
  return codec === Codec.PNG ? "png" : "jpeg";
}

/** Base64 of one packet of silence (L16: two bytes per sample and channel), cached per shape. */
function audioSilence(
  sampleRateCode: number,
  channels: number,
  sendRateMs: number,
): { b64: string; length: number } {
  const rate = [8000, 16000, 32000, 48000][sampleRateCode] ?? 16000;
  const length = Math.round((rate * sendRateMs) / 1000) * 2 * channels;
  let b64 = SILENCE_CACHE.get(length);
  if (!b64) {
    b64 = Buffer.alloc(length).toString("base64");
    SILENCE_CACHE.set(length, b64);
  }
  return { b64, length };
}

export class MediaPump {
  #started = false;
  #stopped = false;
  /** [0] is the video timer (re-armed each frame), [1] the audio one. */
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly socket: RtmsSocket,
    private readonly mediaType: number,
    private readonly params: MediaParams,
    private readonly ctx: PumpContext,
  ) {}

  get wantsVideo(): boolean {
    return (this.mediaType & (MediaType.VIDEO | MediaType.ALL)) !== 0;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.wantsVideo) this.#startVideo();
    if (this.ctx.sendAudio && (this.mediaType & (MediaType.AUDIO | MediaType.ALL)) !== 0) this.#startAudio();
  }

  #startVideo(): void {
    const video = this.params.video ?? {};
    const fps = video.fps ?? 5;
    const dataOpt = video.data_opt ?? DataOpt.VIDEO_SINGLE_ACTIVE_STREAM;
    const size = sizeFor(video.resolution);
    const format = formatFor(video.codec);
    const step = 1000 / fps;
    const base = this.ctx.videoTimestampBase(step);
    const startedAt = performance.now();
    let lastTick = 0;
    // Ticks are computed from the clock, not counted: setInterval drifts late under load, and Zoom's
    // cadence does not. A tick missed because the process was busy is skipped (never sent in a burst),
    // so timestamps stay on the 1000/fps grid and unique.
    const run = () => {
      if (this.#stopped) return;
      const elapsed = performance.now() - startedAt;
      const tick = Math.max(lastTick + 1, Math.round(elapsed / step));
      lastTick = tick;
      this.#sendFrame(dataOpt, size, format, Math.round(base + tick * step));
      const timer = setTimeout(run, Math.max(0, (tick + 1) * step - (performance.now() - startedAt)));
      this.#timers[0] = timer;
    };
    this.#timers[0] = setTimeout(run, step);
  }

  #sendFrame(dataOpt: number, size: FrameSize, format: FrameFormat, timestamp: number): void {
    if (this.ctx.paused()) return;
    const who = this.ctx.videoSource(dataOpt);
    // No message at all while the camera is off (README, "Behaviour worth knowing").
    if (!who?.camera) return;
    const frame = this.ctx.frames.get(who, size, format);
    if (!frame) return;
    const bytes = mediaMessage(MsgType.MEDIA_DATA_VIDEO, who, frame, timestamp, this.ctx.hostile());
    if (this.socket.sendBytes(bytes)) {
      this.ctx.counters.framesSent++;
      this.ctx.noteVideoTimestamp(timestamp);
    } else {
      this.ctx.counters.framesSkipped++;
    }
  }

  #startAudio(): void {
    const audio = this.params.audio ?? {};
    const sendRate = audio.send_rate ?? 20;
    const { b64, length } = audioSilence(audio.sample_rate ?? 1, audio.channel ?? 1, sendRate);
    // Mixed audio carries user_id 0 (an integer, like the ids of video frames).
    const silence = { base64: Buffer.from(b64, "ascii"), length };
    const timer = setInterval(() => {
      if (this.ctx.paused()) return;
      const bytes = mediaMessage(
        MsgType.MEDIA_DATA_AUDIO,
        MIXED_AUDIO,
        silence,
        Date.now(),
        this.ctx.hostile(),
      );
      if (this.socket.sendBytes(bytes)) this.ctx.counters.audioSent++;
    }, sendRate);
    this.#timers.push(timer);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }
}
