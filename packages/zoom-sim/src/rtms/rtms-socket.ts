// One server-side RTMS WebSocket (signaling or media): sends JSON (as text, or binary under that fault),
// runs the keep-alive (msg 12 every interval, interrupted after the miss limit unanswered), and turns
// inbound frames into parsed messages through rtms-core's codec.

import type { Logger } from "@capture/rtms-core/logger";
import {
  keepAliveReq,
  MsgType,
  parseMessage,
  type RtmsMessage,
  stringifyMessage,
} from "@capture/rtms-core/protocol";
import type { RawData, WebSocket } from "ws";
import type { Faults } from "../faults.ts";

export type RtmsSocketKind = "signaling" | "media";

/** Above this much unsent data a media frame is skipped rather than queued (a slow client, like on Zoom). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface RtmsSocketOptions {
  keepAliveIntervalMs: number;
  keepAliveMissLimit: number;
}

export class RtmsSocket {
  #keepAlive: NodeJS.Timeout | undefined;
  #unanswered = 0;
  #closed = false;
  onMessage: (msg: RtmsMessage, raw: RawData) => void = () => {};
  onBadMessage: (reason: string, raw: RawData) => void = () => {};
  onClose: () => void = () => {};

  constructor(
    readonly ws: WebSocket,
    readonly kind: RtmsSocketKind,
    private readonly faults: Faults,
    private readonly log: Logger,
    /** Where it came from and which endpoint, for logs: `{ endpoint: "media/all", peer: "127.0.0.1:50123" }`. */
    readonly label: { endpoint: string; peer: string } = { endpoint: kind, peer: "" },
  ) {
    ws.on("message", (data) => {
      // A "deaf" server reads nothing, keep-alive answers included.
      if (this.faults.keepAlive === "deaf") return;
      const parsed = parseMessage(data as Buffer | Buffer[]);
      if (!parsed.ok) {
        this.onBadMessage(parsed.error.message, data);
        return;
      }
      if (parsed.message.msg_type === MsgType.KEEP_ALIVE_RESP) this.#unanswered = 0;
      this.onMessage(parsed.message, data);
    });
    ws.on("close", () => {
      this.#closed = true;
      this.stopKeepAlive();
      this.onClose();
    });
    ws.on("error", (err) => this.log.debug({ err, kind }, "rtms socket error"));
  }

  get open(): boolean {
    return !this.#closed && this.ws.readyState === this.ws.OPEN;
  }

  send(msg: RtmsMessage): void {
    if (!this.open) return;
    this.ws.send(stringifyMessage(msg), { binary: this.faults.binaryJson });
  }

  /** Send a message whose wire shape differs from rtms-core's typed (client-side) view, e.g. integer user ids. */
  sendJson(msg: { msg_type: number } & Record<string, unknown>): void {
    if (!this.open) return;
    this.ws.send(JSON.stringify(msg), { binary: this.faults.binaryJson });
  }

  /** Send pre-built JSON bytes (media frames). Returns false when skipped because the client lags. */
  sendBytes(bytes: Buffer): boolean {
    if (!this.open || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    this.ws.send(bytes, { binary: this.faults.binaryJson });
    return true;
  }

  /** Fault: send bytes that are no RTMS message (text for strings, binary for buffers). */
  sendRaw(data: string | Buffer): void {
    if (!this.open) return;
    this.ws.send(data, { binary: Buffer.isBuffer(data) });
  }

  /** Start msg 12 every interval; `onDead` runs once when the miss limit is reached. */
  startKeepAlive(opts: RtmsSocketOptions, onDead: () => void): void {
    this.stopKeepAlive();
    this.#unanswered = 0;
    this.#keepAlive = setInterval(() => {
      if (this.faults.keepAlive === "silent") return;
      if (this.#unanswered >= opts.keepAliveMissLimit) {
        this.stopKeepAlive();
        onDead();
        return;
      }
      this.#unanswered++;
      this.send(keepAliveReq(Date.now()));
    }, opts.keepAliveIntervalMs);
  }

  stopKeepAlive(): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  close(code = 1000, reason = ""): void {
    this.stopKeepAlive();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING)
      this.ws.close(code, reason);
  }

  /** Drop the TCP connection with no close handshake (a network failure). */
  terminate(): void {
    this.stopKeepAlive();
    this.ws.terminate();
  }
}
