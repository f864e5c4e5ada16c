// One media socket: handshake (3 -> 4) with parameters checked BEFORE anything is sent (the same rules the
// server applies), then frames (14-16) handed on as MediaFrames: metadata parsed, payload still base64 bytes.
// Decoding is the caller's choice, after its frame policy has decided whether the frame is worth it.

import { mediaHandshakeReq } from "../protocol/builders.ts";
import { MsgType } from "../protocol/constants.ts";
import type { MediaFrame } from "../protocol/media-frame.ts";
import { validateMediaParams } from "../protocol/media-params.ts";
import type { ChatData, MediaParams, RtmsMessage, TranscriptData } from "../protocol/messages.ts";
import { classifyStatus } from "../protocol/status.ts";
import {
  ClientSocket,
  type ClientSocketEvents,
  type ClientSocketOptions,
  handshake,
} from "./client-socket.ts";
import { RtmsSessionError } from "./errors.ts";
import { isMsg } from "./wait-for.ts";

export interface MediaClientOptions extends ClientSocketOptions {
  /** MediaType bits, or 32 for the single "all" socket. */
  mediaType: number;
  mediaParams: MediaParams;
}

export type MediaClientEvents = ClientSocketEvents & {
  /** Audio, video and share frames (msg 14/15/16), payload still base64 and built on demand. */
  frame: [MediaFrame];
  /** Transcript and chat (msg 17/18): text, small. */
  text: [TranscriptData | ChatData];
};

const isTextData = (m: RtmsMessage): m is TranscriptData | ChatData =>
  m.msg_type === MsgType.MEDIA_DATA_TRANSCRIPT || m.msg_type === MsgType.MEDIA_DATA_CHAT;

export class MediaClient extends ClientSocket<MediaClientOptions, MediaClientEvents> {
  #sequence = 0;

  constructor(opts: MediaClientOptions) {
    super(opts);
    this.conn.on("media", (frame) => this.emit("frame", frame));
    this.conn.on("message", (msg) => {
      if (isTextData(msg)) this.emit("text", msg);
    });
  }

  get mediaType(): number {
    return this.options.mediaType;
  }

  /** Validate, open, handshake. Resolves with the parameters the server accepted. */
  async connect(): Promise<MediaParams> {
    const o = this.options;
    const checked = validateMediaParams(o.mediaParams);
    if (!checked.ok) {
      throw new RtmsSessionError(
        "INVALID_MEDIA_PARAMS",
        `media params refused locally: ${checked.statusCode} ${checked.reason}`,
        classifyStatus(checked.statusCode, checked.reason),
      );
    }
    const resp = await handshake(this.conn, {
      socket: "media",
      request: () =>
        mediaHandshakeReq(o.credentials, o.mediaType, o.mediaParams, { sequence: this.#sequence++ }),
      isAnswer: isMsg(MsgType.DATA_HAND_SHAKE_RESP),
      timeoutMs: o.handshakeTimeoutMs,
      clock: this.clock,
    });
    return resp.media_params ?? o.mediaParams;
  }
}
