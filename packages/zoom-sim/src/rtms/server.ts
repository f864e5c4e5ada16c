// The RTMS WebSocket endpoints: /rtms/<serverId>/signaling and /rtms/<serverId>/media/<kind>. A new socket
// must open with its handshake (msg 1 on signaling, msg 3 on media); the stream named in it decides.
import type { Logger } from "@capture/rtms-core/logger";
import {
  MsgType,
  mediaHandshakeResp,
  parseMessage,
  type RtmsMessage,
  StatusCode,
  signalingHandshakeResp,
  statusText,
} from "@capture/rtms-core/protocol";
import { type WebSocket, WebSocketServer } from "ws";
import type { Faults } from "../faults.ts";
import { RtmsSocket } from "./rtms-socket.ts";
import type { RtmsStream } from "./stream.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;

export const RTMS_PATH = /^\/rtms\/([\w-]+)\/(signaling|media(?:\/(?:all|audio|video|transcript))?)$/;

export class RtmsServer {
  readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly sockets = new Set<RtmsSocket>();

  constructor(
    private readonly findStream: (id: string) => RtmsStream | undefined,
    private readonly faults: Faults,
    private readonly log: Logger,
  ) {}

  accept(ws: WebSocket, serverId: string, endpoint: string, peer = ""): void {
    const kind = endpoint === "signaling" ? "signaling" : "media";
    const socket = new RtmsSocket(ws, kind, this.faults, this.log, { endpoint, peer });
    this.sockets.add(socket);
    ws.on("close", () => this.sockets.delete(socket));
    const timer = setTimeout(() => socket.close(1000, "no handshake"), HANDSHAKE_TIMEOUT_MS);
    // Refusals before any stream owns the socket (bad first message, unknown stream).
    const reject = (code: number, sequence?: number) => {
      this.log.debug(
        { statusCode: code, reason: statusText(code), socket: socket.label },
        "rtms handshake refused",
      );
      const resp = kind === "signaling" ? signalingHandshakeResp(code) : mediaHandshakeResp(code);
      socket.send({ ...resp, sequence: sequence ?? 0, reason: statusText(code) });
      socket.close(1000, statusText(code));
    };
    const onHandshake = (msg: RtmsMessage, params: unknown) => {
      clearTimeout(timer);
      // From here on the stream owns the socket's handlers.
      socket.onMessage = () => {};
      socket.onBadMessage = () => {};
      const expected = kind === "signaling" ? MsgType.SIGNALING_HAND_SHAKE_REQ : MsgType.DATA_HAND_SHAKE_REQ;
      if (msg.msg_type !== expected) return reject(StatusCode.INVALID_MESSAGE_TYPE);
      const stream = this.findStream(msg.rtms_stream_id);
      if (!stream) return reject(StatusCode.INVALID_STREAM_ID, msg.sequence);
      if (msg.msg_type === MsgType.SIGNALING_HAND_SHAKE_REQ)
        return stream.acceptSignaling(socket, msg, serverId);
      if (msg.msg_type === MsgType.DATA_HAND_SHAKE_REQ)
        return stream.acceptMedia(socket, msg, params, serverId);
    };
    socket.onMessage = (msg, raw) => onHandshake(msg, rawJson(raw)?.media_params);
    socket.onBadMessage = (reason, raw) => {
      // The codec's schema rejects a badly typed media_params value before the media rules can name it
      // (a string fps must get status 30, not 4): read the rest of the handshake without it.
      const json = rawJson(raw);
      if (json && "media_params" in json) {
        const { media_params, ...rest } = json;
        const retry = parseMessage(JSON.stringify(rest));
        if (retry.ok) return onHandshake(retry.message, media_params);
      }
      clearTimeout(timer);
      this.log.warn({ kind, reason }, "rtms handshake unreadable");
      reject(StatusCode.INVALID_PAYLOAD);
    };
  }

  close(): void {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}

function rawJson(raw: unknown): Record<string, unknown> | undefined {
  try {
    const text = Buffer.isBuffer(raw)
      ? raw.toString("utf8")
      : Array.isArray(raw)
        ? Buffer.concat(raw).toString("utf8")
        : String(raw);
    const json: unknown = JSON.parse(text);
    return typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
