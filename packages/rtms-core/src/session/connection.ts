// One WebSocket to an RTMS server (signaling or media), with what every RTMS socket needs and nothing
// specific to either: text and binary frames decoded through parseMessage, keep-alive requests (msg 12)
// answered with msg 13 echoing the server's timestamp (answered even when it is missing), WebSocket pings
// answered (ws does it; we count them as life), and a liveness watchdog: Zoom sends keep-alives only while
// no data flows, so ANY inbound traffic proves the connection alive, and silence for `keepAliveTimeoutMs`
// (65 s by default) means it is dead.
import WebSocket from "ws";
import type { Logger } from "../logger.ts";
import {
  checkAllowedUrl,
  DEFAULT_ALLOWED_HOSTS,
  MIN_TLS_VERSION,
  redactUrl,
} from "../protocol/allowed-hosts.ts";
import { keepAliveResp } from "../protocol/builders.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, parseMessage, stringifyMessage } from "../protocol/codec.ts";
import { MsgType } from "../protocol/constants.ts";
import { ProtocolError } from "../protocol/errors.ts";
import {
  isMediaFrameMessage,
  type MediaFrame,
  mediaFrameFromMessage,
  parseMediaFrame,
} from "../protocol/media-frame.ts";
import type { RtmsMessage } from "../protocol/messages.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { TypedEmitter } from "./emitter.ts";
import { RtmsSessionError } from "./errors.ts";

export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface SocketConnectionOptions {
  logger: Logger;
  clock?: Clock;
  keepAliveTimeoutMs?: number;
  maxMessageBytes?: number;
  /** How long opening the socket may take. */
  connectTimeoutMs?: number;
  /** Host patterns the URL must match before it is dialled (default: Zoom's RTMS domains). */
  allowedHosts?: readonly string[];
}

export interface SocketCloseInfo {
  code: number;
  reason: string;
  /** We closed it (close() was called): not a drop. */
  byUs: boolean;
  /** The watchdog closed it after a silence. */
  watchdog: boolean;
}

export type SocketConnectionEvents = {
  /** Every message except keep-alive requests (answered here) and audio/video/share frames (`media`). */
  message: [RtmsMessage];
  /** msg 14/15/16, payload not yet materialised (see MediaFrame). */
  media: [MediaFrame];
  keepAlive: [{ timestamp: number; latencyMs: number }];
  protocolError: [ProtocolError];
  close: [SocketCloseInfo];
};

export class SocketConnection extends TypedEmitter<SocketConnectionEvents> {
  readonly url: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #watchdogMs: number;
  readonly #maxBytes: number;
  readonly #connectTimeoutMs: number;
  readonly #allowedHosts: readonly string[];
  #ws: WebSocket | undefined;
  #watchdog: TimerHandle | undefined;
  #closedByUs = false;
  #watchdogFired = false;
  #closed = false;

  constructor(url: string, opts: SocketConnectionOptions) {
    super();
    this.url = url;
    this.#log = opts.logger;
    this.#clock = opts.clock ?? systemClock;
    this.#watchdogMs = opts.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
    this.#maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.#allowedHosts = opts.allowedHosts ?? DEFAULT_ALLOWED_HOSTS;
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Opens the socket. Resolves once open; rejects with RtmsSessionError "URL_NOT_ALLOWED" (nothing dialled)
   * when the URL fails the allow-list, "CONNECT_FAILED" when the socket cannot be opened.
   */
  open(): Promise<void> {
    if (this.#ws) return Promise.reject(new RtmsSessionError("INVALID_STATE", "socket already opened"));
    const allowed = checkAllowedUrl(this.url, this.#allowedHosts);
    if (!allowed.ok) {
      this.#closed = true;
      return Promise.reject(
        new RtmsSessionError(
          "URL_NOT_ALLOWED",
          `refused to connect to ${redactUrl(this.url)}: ${allowed.message}`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      // ws enforces the size limit while receiving, so an oversize frame never gets buffered whole.
      const ws = new WebSocket(this.url, {
        maxPayload: this.#maxBytes,
        handshakeTimeout: this.#connectTimeoutMs,
        minVersion: MIN_TLS_VERSION,
      });
      this.#ws = ws;
      let opened = false;
      ws.on("open", () => {
        opened = true;
        this.#armWatchdog();
        resolve();
      });
      ws.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
      ws.on("ping", () => this.#armWatchdog());
      ws.on("pong", () => this.#armWatchdog());
      ws.on("error", (err) => {
        this.#log.debug({ url: redactUrl(this.url), err }, "socket error");
        if (!opened)
          reject(
            new RtmsSessionError(
              "CONNECT_FAILED",
              `cannot connect to ${this.url}: ${err.message}`,
              undefined,
              {
                cause: err,
              },
            ),
          );
      });
      ws.on("close", (code, reasonBuf) => {
        this.#disarmWatchdog();
        this.#closed = true;
        if (!opened)
          reject(new RtmsSessionError("CONNECT_FAILED", `socket to ${this.url} closed before opening`));
        this.emit("close", {
          code,
          reason: reasonBuf.toString("utf8"),
          byUs: this.#closedByUs,
          watchdog: this.#watchdogFired,
        });
      });
    });
  }

  send(msg: RtmsMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(stringifyMessage(msg));
    return true;
  }

  /** Close on our own initiative (never reported as a drop). Idempotent. */
  close(code = 1000, reason = ""): void {
    this.#closedByUs = true;
    this.#disarmWatchdog();
    const ws = this.#ws;
    if (!ws) {
      this.#closed = true;
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    // A peer that never answers the close frame must not keep the socket (and its server-side registration)
    // alive: terminate after a short grace.
    const t = setTimeout(() => ws.terminate(), 1_000);
    t.unref();
    ws.once("close", () => clearTimeout(t));
  }

  /** Resolves once the socket is fully closed (immediately if it never opened or is already closed). */
  whenClosed(): Promise<void> {
    const ws = this.#ws;
    if (!ws || this.#closed || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => ws.once("close", () => resolve()));
  }

  /** Drop the socket immediately, without a close handshake. */
  terminate(): void {
    this.#closedByUs = true;
    this.#disarmWatchdog();
    this.#ws?.terminate();
    if (!this.#ws) this.#closed = true;
  }

  #onMessage(data: WebSocket.RawData, _isBinary: boolean): void {
    const receivedAt = this.#clock.now();
    this.#armWatchdog();
    // Frames first, through the path that leaves their payload as bytes (most are dropped undecoded).
    const frame = parseMediaFrame(data, { maxBytes: this.#maxBytes });
    if (frame) {
      this.emit("media", frame);
      return;
    }
    // Zoom may send JSON in binary frames: both kinds go through the same parser.
    const parsed = parseMessage(data, { maxBytes: this.#maxBytes });
    if (!parsed.ok) {
      if (parsed.error.msgType === MsgType.KEEP_ALIVE_REQ) this.#answerMalformedKeepAlive(parsed.error);
      else this.emit("protocolError", parsed.error);
      return;
    }
    const msg = parsed.message;
    if (msg.msg_type === MsgType.KEEP_ALIVE_REQ) {
      this.send(keepAliveResp(msg.timestamp));
      this.emit("keepAlive", { timestamp: msg.timestamp, latencyMs: this.#clock.now() - receivedAt });
      return;
    }
    if (isMediaFrameMessage(msg)) this.emit("media", mediaFrameFromMessage(msg));
    else this.emit("message", msg);
  }

  /**
   * A msg 12 we cannot read (Zoom's mock server sends them without `timestamp`) is still a keep-alive: the
   * server counts unanswered ones and drops the socket at the third, so it is answered with our clock's time
   * in place of the missing echo (PROTOCOL.md section 4) and counted as malformed, never held against the
   * connection.
   */
  #answerMalformedKeepAlive(parseError: ProtocolError): void {
    this.send(keepAliveResp(this.#clock.now()));
    this.emit(
      "protocolError",
      new ProtocolError("MALFORMED_KEEP_ALIVE", `keep-alive answered anyway: ${parseError.message}`, 12),
    );
  }

  #armWatchdog(): void {
    if (this.#closedByUs) return;
    this.#disarmWatchdog();
    this.#watchdog = this.#clock.setTimeout(() => {
      this.#watchdog = undefined;
      this.#log.warn(
        { url: this.url, silentMs: this.#watchdogMs },
        "no traffic within the keep-alive window",
      );
      this.#watchdogFired = true;
      this.#ws?.terminate();
    }, this.#watchdogMs);
  }

  #disarmWatchdog(): void {
    if (this.#watchdog !== undefined) this.#clock.clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }
}
