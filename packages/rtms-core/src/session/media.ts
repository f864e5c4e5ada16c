// One media socket: handshake (3 -> 4) with parameters checked BEFORE anything is sent (the same rules the
// server applies), then frames (14-16) handed on as MediaFrames: metadata parsed, payload still base64 bytes.
// Decoding is the caller's choice, after its frame policy has decided whether the frame is worth it.

import { mediaHandshakeReq } from "../protocol/builders.ts";
import { MsgType } from "../protocol/constants.ts";
import type { ProtocolError } from "../protocol/errors.ts";
import type { MediaFrame } from "../protocol/media-frame.ts";
import { validateMediaParams } from "../protocol/media-params.ts";
import type { ChatData, MediaParams, RtmsMessage, TranscriptData } from "../protocol/messages.ts";
import { classifyStatus } from "../protocol/status.ts";
import { type ClientSocketOptions, clientConnection, handshake } from "./client-socket.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { SocketCloseInfo, SocketConnection } from "./connection.ts";
import { TypedEmitter } from "./emitter.ts";
import { RtmsSessionError } from "./errors.ts";
import { isMsg } from "./wait-for.ts";

export interface MediaClientOptions extends ClientSocketOptions {
  /** MediaType bits, or 32 for the single "all" socket. */
  mediaType: number;
  mediaParams: MediaParams;
}

export type MediaClientEvents = {
  /** Audio, video and share frames (msg 14/15/16), payload still base64 and built on demand. */
  frame: [MediaFrame];
  /** Transcript and chat (msg 17/18): text, small. */
  text: [TranscriptData | ChatData];
  keepAlive: [{ timestamp: number; latencyMs: number }];
  protocolError: [ProtocolError];
  close: [SocketCloseInfo];
};

const isTextData = (m: RtmsMessage): m is TranscriptData | ChatData =>
  m.msg_type === MsgType.MEDIA_DATA_TRANSCRIPT || m.msg_type === MsgType.MEDIA_DATA_CHAT;

export class MediaClient extends TypedEmitter<MediaClientEvents> {
  readonly #o: MediaClientOptions;
  readonly #clock: Clock;
  readonly #conn: SocketConnection;
  #sequence = 0;

  constructor(opts: MediaClientOptions) {
    super();
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#conn = clientConnection(opts, this.#clock);
    this.#conn.on("media", (frame) => this.emit("frame", frame));
    this.#conn.on("message", (msg) => {
      if (isTextData(msg)) this.emit("text", msg);
    });
    this.#conn.on("keepAlive", (k) => this.emit("keepAlive", k));
    this.#conn.on("protocolError", (e) => this.emit("protocolError", e));
    this.#conn.on("close", (c) => this.emit("close", c));
  }

  get url(): string {
    return this.#o.url;
  }

  get mediaType(): number {
    return this.#o.mediaType;
  }

  get isOpen(): boolean {
    return this.#conn.isOpen;
  }

  /** Validate, open, handshake. Resolves with the parameters the server accepted. */
  async connect(): Promise<MediaParams> {
    const checked = validateMediaParams(this.#o.mediaParams);
    if (!checked.ok) {
      throw new RtmsSessionError(
        "INVALID_MEDIA_PARAMS",
        `media params refused locally: ${checked.statusCode} ${checked.reason}`,
        classifyStatus(checked.statusCode, checked.reason),
      );
    }
    const resp = await handshake(this.#conn, {
      socket: "media",
      request: () =>
        mediaHandshakeReq(this.#o.credentials, this.#o.mediaType, this.#o.mediaParams, {
          sequence: this.#sequence++,
        }),
      isAnswer: isMsg(MsgType.DATA_HAND_SHAKE_RESP),
      timeoutMs: this.#o.handshakeTimeoutMs,
      clock: this.#clock,
    });
    return resp.media_params ?? this.#o.mediaParams;
  }

  close(): void {
    this.#conn.close();
  }

  terminate(): void {
    this.#conn.terminate();
  }

  whenClosed(): Promise<void> {
    return this.#conn.whenClosed();
  }
}
