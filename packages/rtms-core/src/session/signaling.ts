// The signaling socket of one stream: handshake (1 -> 2), event subscription (5), ready acks (7), events (6),
// stream/session state (8/9), state requests (10/11, 19/20), stream close (21/22), video subscription (28/29).
// It does not decide anything about reconnection: it reports, and RtmsSession decides.

import {
  clientReadyAck,
  eventSubscription,
  sessionStateReq,
  signalingHandshakeReq,
  streamCloseReq,
  streamStateReq,
  videoSubscriptionReq,
} from "../protocol/builders.ts";
import { MsgType } from "../protocol/constants.ts";
import type {
  RtmsEvent,
  RtmsMessage,
  ServerUrls,
  SessionStateResp,
  SessionStateUpdate,
  StreamCloseResp,
  StreamStateResp,
  StreamStateUpdate,
  VideoSubscriptionResp,
} from "../protocol/messages.ts";
import {
  ClientSocket,
  type ClientSocketEvents,
  type ClientSocketOptions,
  handshake,
} from "./client-socket.ts";
import { RtmsSessionError } from "./errors.ts";
import { isMsg, waitForMessage } from "./wait-for.ts";

export interface SignalingClientOptions extends ClientSocketOptions {
  requestTimeoutMs?: number;
  /** msg 1 buffer_data (Zoom's default true: up to 60 s of earlier audio is delivered). */
  bufferData?: boolean;
}

export type SignalingEvents = ClientSocketEvents & {
  event: [RtmsEvent];
  streamState: [StreamStateUpdate];
  sessionState: [SessionStateUpdate];
  videoSubscription: [VideoSubscriptionResp];
  /** Any other message (11, 20, 22, reserved 23-27...). */
  message: [RtmsMessage];
};

export class SignalingClient extends ClientSocket<SignalingClientOptions, SignalingEvents> {
  #sequence = 0;

  constructor(opts: SignalingClientOptions) {
    super(opts);
    this.conn.on("message", (msg) => this.#route(msg));
  }

  /**
   * Open the socket and do the handshake. Resolves with the media server URLs. A rejected handshake rejects
   * with "HANDSHAKE_REJECTED" and its status classification (both status numberings understood).
   */
  async connect(): Promise<ServerUrls> {
    const resp = await handshake(this.conn, {
      socket: "signaling",
      request: () =>
        signalingHandshakeReq(this.options.credentials, {
          sequence: this.#sequence++,
          ...(this.options.bufferData !== undefined ? { bufferData: this.options.bufferData } : {}),
        }),
      isAnswer: isMsg(MsgType.SIGNALING_HAND_SHAKE_RESP),
      timeoutMs: this.options.handshakeTimeoutMs,
      clock: this.clock,
    });
    return resp.media_server?.server_urls ?? {};
  }

  subscribeEvents(eventTypes: readonly number[], subscribe = true): boolean {
    return this.conn.send(eventSubscription(eventTypes, subscribe));
  }

  /** msg 7: media flows only after it, and it is due after EVERY successful media handshake. */
  sendReadyAck(): boolean {
    return this.conn.send(clientReadyAck(this.options.credentials.rtmsStreamId));
  }

  requestStreamState(): Promise<StreamStateResp> {
    return this.#request(
      streamStateReq(this.options.credentials.rtmsStreamId),
      isMsg(MsgType.STREAM_STATE_RESP),
      "msg 20",
    );
  }

  requestSessionState(sessionId?: string): Promise<SessionStateResp> {
    return this.#request(sessionStateReq(sessionId), isMsg(MsgType.SESSION_STATE_RESP), "msg 11");
  }

  /** msg 21: ask Zoom to end the stream (stop reason 20 follows). Resolves with msg 22. */
  closeStream(): Promise<StreamCloseResp> {
    return this.#request(
      streamCloseReq(this.options.credentials.rtmsStreamId),
      isMsg(MsgType.STREAM_CLOSE_RESP),
      "msg 22",
    );
  }

  /** msg 28 -> 29 for one participant (data_opt 4). */
  subscribeVideo(userId: string, subscribe = true): Promise<VideoSubscriptionResp> {
    const isAnswer = (m: RtmsMessage): m is VideoSubscriptionResp =>
      m.msg_type === MsgType.VIDEO_SUBSCRIPTION_RESP && m.user_id === String(userId);
    return this.#request(videoSubscriptionReq(userId, subscribe, this.clock.now()), isAnswer, "msg 29");
  }

  #request<T extends RtmsMessage>(
    req: RtmsMessage,
    match: (m: RtmsMessage) => m is T,
    what: string,
  ): Promise<T> {
    if (!this.conn.isOpen)
      return Promise.reject(new RtmsSessionError("NOT_CONNECTED", `cannot send ${what} request`));
    const answer = waitForMessage(this.conn, match, this.options.requestTimeoutMs ?? 5_000, this.clock, what);
    this.conn.send(req);
    return answer;
  }

  #route(msg: RtmsMessage): void {
    switch (msg.msg_type) {
      case MsgType.EVENT_UPDATE:
        this.emit("event", msg.event);
        break;
      case MsgType.STREAM_STATE_UPDATE:
        this.emit("streamState", msg);
        break;
      case MsgType.SESSION_STATE_UPDATE:
        this.emit("sessionState", msg);
        break;
      case MsgType.VIDEO_SUBSCRIPTION_RESP:
        this.emit("videoSubscription", msg);
        break;
      default:
        this.emit("message", msg);
    }
  }
}
