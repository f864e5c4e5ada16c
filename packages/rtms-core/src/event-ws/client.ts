// Zoom's event WebSocket (wss://ws.zoom.us/ws?subscriptionId=...): how the seed learns that a stream
// started. One client per subscription; it keeps itself connected (backoff 5 s x 2^n), sends the
// heartbeat Zoom expects, moves to a fresh token before the old one expires, and turns every
// `{"module":"message","content":"<json text>"}` into a typed ZoomEvent. Events are not replayed by
// Zoom after a gap, so callers should reconcile on 'connected' after a 'disconnected'.
import { EventEmitter } from "node:events";
import WebSocket from "ws";
import { z } from "zod";
import { type Logger, silentLogger } from "../logger.ts";
import {
  checkAllowedUrl,
  DEFAULT_ALLOWED_HOSTS,
  MIN_TLS_VERSION,
  redactUrl,
} from "../protocol/allowed-hosts.ts";
import { type Clock, systemClock } from "../session/clock.ts";
import { parseZoomEvent, type ZoomEvent } from "../webhook/events.ts";
import type { AccessToken, TokenSource } from "../zoom-api/token-source.ts";
import { ZoomEventWsError } from "./errors.ts";

/** The session's Clock: one injected clock (or ManualClock) drives both. Kept as a name for callers. */
export type EventWsClock = Clock;

export interface ZoomEventWsClientOptions {
  /** Subscription URL, e.g. wss://ws.zoom.us/ws?subscriptionId=<id>; the token is added to its query. */
  url: string;
  /** Usually a ClientCredentialsTokenSource for the app that owns the subscription. */
  tokenSource: TokenSource;
  /** Default 30 000 ms, as Zoom expects. */
  heartbeatMs?: number;
  /** Nothing received for this long = dead connection, reconnect. Default 2.5 x heartbeatMs. */
  deadAfterMs?: number;
  /** build_connection must arrive within this. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect delays: initialDelayMs x 2^n, capped at maxDelayMs. Defaults 5 000 and 60 000. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Move to a new token this long before the current one expires (at most half its lifetime). Default 60 000. */
  tokenRefreshMarginMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** The WebSocket implementation; defaults to `ws`. */
  WebSocket?: typeof WebSocket;
  /** Hosts `url` may name (see isAllowedUrl). Default DEFAULT_ALLOWED_HOSTS, Zoom's domains. */
  allowedHosts?: readonly string[];
}

export type ConnectReason = "initial" | "reconnect" | "token_refresh";

export interface ZoomEventWsEvents {
  /** A Zoom event, already parsed a second time out of `content` and validated. */
  event: [ZoomEvent];
  /** build_connection succeeded. After a reconnect, events sent during the gap are lost: reconcile. */
  connected: [{ reason: ConnectReason }];
  /** An established connection was lost; `willReconnect` is false only after close(). */
  disconnected: [{ code: number; reason: string; willReconnect: boolean }];
  /** Something went wrong; the client keeps trying on its own. Only emitted when someone listens. */
  error: [ZoomEventWsError];
}

export interface ZoomEventWsStats {
  /** Successful build_connection handshakes. */
  connects: number;
  /** Reconnect attempts scheduled after a failure or drop. */
  reconnects: number;
  events: number;
  /** Frames that were not JSON or not a known envelope. */
  malformedFrames: number;
  /** `message` frames whose content was not a valid Zoom event. */
  invalidEvents: number;
  heartbeatsSent: number;
}

const Frame = z.looseObject({
  module: z.string(),
  success: z.boolean().optional(),
  content: z.unknown().optional(),
});

interface Connection {
  ws: WebSocket;
  token: AccessToken;
  reason: ConnectReason;
  established: boolean;
  /** Closed by us on purpose (replaced or client closed): its close is not a failure. */
  retired: boolean;
  lastInboundAt: number;
  connectTimer?: unknown;
  heartbeatTimer?: unknown;
  refreshTimer?: unknown;
  closed: Promise<void>;
}

export class ZoomEventWsClient extends EventEmitter<ZoomEventWsEvents> {
  readonly #url: string;
  readonly #tokens: TokenSource;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #WebSocket: typeof WebSocket;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #connectTimeoutMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #refreshMarginMs: number;
  readonly #allowedHosts: readonly string[];

  #state: "idle" | "running" | "closed" = "idle";
  #active?: Connection;
  /** The connection being opened with a fresh token while #active still serves. */
  #successor?: Connection;
  #attempt = 0;
  #reconnectTimer?: unknown;
  #stats: ZoomEventWsStats = {
    connects: 0,
    reconnects: 0,
    events: 0,
    malformedFrames: 0,
    invalidEvents: 0,
    heartbeatsSent: 0,
  };

  constructor(options: ZoomEventWsClientOptions) {
    super();
    this.#url = options.url;
    this.#tokens = options.tokenSource;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: "zoom-event-ws" });
    this.#WebSocket = options.WebSocket ?? WebSocket;
    this.#heartbeatMs = options.heartbeatMs ?? 30_000;
    this.#deadAfterMs = options.deadAfterMs ?? Math.round(this.#heartbeatMs * 2.5);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#initialDelayMs = options.reconnect?.initialDelayMs ?? 5_000;
    this.#maxDelayMs = options.reconnect?.maxDelayMs ?? 60_000;
    this.#refreshMarginMs = options.tokenRefreshMarginMs ?? 60_000;
    this.#allowedHosts = options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS;
    // Validate early: a bad URL is a configuration error, not something to retry forever.
    const parsed = new URL(options.url);
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
      throw new TypeError(`event WebSocket URL must be ws:// or wss://, got ${parsed.protocol}`);
    }
  }

  get stats(): Readonly<ZoomEventWsStats> {
    return { ...this.#stats };
  }

  /** True while an established connection is open. */
  get connected(): boolean {
    return this.#active?.established === true && this.#active.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Starts connecting (once); progress is reported through events. A URL that fails the allow-list is
   * never dialled: the client reports URL_NOT_ALLOWED once and stays closed (no retry).
   */
  start(): void {
    if (this.#state !== "idle") return;
    const allowed = checkAllowedUrl(this.#url, this.#allowedHosts);
    if (!allowed.ok) {
      this.#state = "closed";
      const err = new ZoomEventWsError(
        "URL_NOT_ALLOWED",
        `refused to connect to ${redactUrl(this.#url)}: ${allowed.message}`,
      );
      this.#log.warn({ err }, "event WebSocket URL not on the allow-list; not connecting");
      this.#reportError(err);
      return;
    }
    this.#state = "running";
    void this.#connect("initial");
  }

  /** Stops for good: no reconnects, sockets closed. Idempotent; resolves when the sockets are closed. */
  async close(): Promise<void> {
    if (this.#state === "closed") {
      await Promise.all([this.#active?.closed, this.#successor?.closed]);
      return;
    }
    const wasActive = this.#active;
    this.#state = "closed";
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const conns = [this.#active, this.#successor].filter((c): c is Connection => c !== undefined);
    for (const conn of conns) this.#retire(conn, 1000, "client closed");
    await Promise.all(conns.map((c) => c.closed));
    if (wasActive?.established)
      this.#emitSafe("disconnected", { code: 1000, reason: "client closed", willReconnect: false });
  }

  async #connect(reason: ConnectReason, previousToken?: string): Promise<void> {
    let token: AccessToken;
    try {
      token = await this.#tokens.getToken();
      if (previousToken !== undefined && token.accessToken === previousToken) {
        // The token source still considers the old token fresh: ask for a new one explicitly.
        this.#tokens.invalidate(previousToken);
        token = await this.#tokens.getToken();
      }
    } catch (cause) {
      if (this.#state === "closed") return;
      this.#reportError(
        new ZoomEventWsError("TOKEN_FAILED", "could not obtain an event WebSocket token", { cause }),
      );
      if (reason === "token_refresh" && this.#active) this.#scheduleRefresh(this.#active, this.#retryDelay());
      else this.#scheduleReconnect();
      return;
    }
    if (this.#state === "closed") return;
    if (reason === "token_refresh" && !this.#active) reason = "reconnect";

    const url = new URL(this.#url);
    url.searchParams.set("access_token", token.accessToken); // Zoom ignores a token in a header.
    const ws = new this.#WebSocket(url.toString(), { minVersion: MIN_TLS_VERSION });
    let markClosed!: () => void;
    const conn: Connection = {
      ws,
      token,
      reason,
      established: false,
      retired: false,
      lastInboundAt: this.#clock.now(),
      closed: new Promise((resolve) => {
        markClosed = resolve;
      }),
    };
    if (reason === "token_refresh") this.#successor = conn;
    else this.#active = conn;
    this.#log.debug({ reason }, "event websocket connecting");

    conn.connectTimer = this.#clock.setTimeout(() => {
      this.#fail(
        conn,
        new ZoomEventWsError("CONNECT_TIMEOUT", `no build_connection within ${this.#connectTimeoutMs} ms`),
      );
    }, this.#connectTimeoutMs);
    ws.on("message", (data) => this.#onMessage(conn, data));
    ws.on("error", (error) => {
      if (conn.retired) return;
      this.#log.warn({ err: error }, "event websocket error");
      this.#reportError(
        new ZoomEventWsError("SOCKET_ERROR", `event websocket error: ${error.message}`, { cause: error }),
      );
    });
    ws.on("close", (code, reasonBuf) => {
      markClosed();
      this.#onClose(conn, code, reasonBuf.toString("utf8"));
    });
  }

  /** Text and binary frames alike: JSON may come in either. */
  #onMessage(conn: Connection, data: WebSocket.RawData): void {
    if (conn.retired) return;
    conn.lastInboundAt = this.#clock.now();
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    const text = bytes.toString("utf8");
    let frame: z.infer<typeof Frame>;
    try {
      frame = Frame.parse(JSON.parse(text));
    } catch {
      this.#stats.malformedFrames++;
      this.#log.warn({ bytes: text.length }, "event websocket frame is not a JSON envelope; ignored");
      return;
    }
    switch (frame.module) {
      case "build_connection":
        if (frame.success === true) {
          this.#onEstablished(conn);
        } else {
          const detail =
            typeof frame.content === "string" ? frame.content : JSON.stringify(frame.content ?? null);
          // Most failures are token trouble ("token is empty", expired, revoked): start the next try fresh.
          this.#tokens.invalidate(conn.token.accessToken);
          this.#fail(
            conn,
            new ZoomEventWsError("BUILD_CONNECTION_FAILED", `build_connection refused: ${detail}`),
          );
        }
        return;
      case "heartbeat":
        return;
      case "message":
        this.#onEventContent(frame.content);
        return;
      default:
        this.#log.debug({ module: frame.module }, "event websocket frame of an unknown module ignored");
    }
  }

  #onEventContent(content: unknown): void {
    // `content` is JSON text (parsed a second time); parseZoomEvent also tolerates an object.
    const result = parseZoomEvent(content);
    if (!result.ok) {
      this.#stats.invalidEvents++;
      this.#log.warn(
        { code: result.error.code, event: result.error.event },
        "event websocket message is not a valid Zoom event",
      );
      return;
    }
    this.#stats.events++;
    this.#emitSafe("event", result.event);
  }

  #onEstablished(conn: Connection): void {
    if (conn.established) return;
    conn.established = true;
    this.#clearTimer(conn, "connectTimer");
    this.#attempt = 0;
    this.#stats.connects++;
    if (conn === this.#successor) {
      const previous = this.#active;
      this.#active = conn;
      this.#successor = undefined;
      if (previous) this.#retire(previous, 1000, "replaced by a connection with a fresh token");
    }
    this.#scheduleHeartbeat(conn);
    const untilExpiry = conn.token.expiresAtMs - this.#clock.now();
    const refreshIn = untilExpiry - Math.min(this.#refreshMarginMs, untilExpiry / 2);
    // Floor: a token source handing out already-expired tokens must not cause a reconnect storm.
    this.#scheduleRefresh(conn, Math.max(this.#initialDelayMs, refreshIn));
    this.#log.info({ reason: conn.reason }, "event websocket connected");
    this.#emitSafe("connected", { reason: conn.reason });
  }

  #scheduleHeartbeat(conn: Connection): void {
    conn.heartbeatTimer = this.#clock.setTimeout(() => {
      if (conn.retired || this.#state === "closed") return;
      if (this.#clock.now() - conn.lastInboundAt > this.#deadAfterMs) {
        this.#fail(
          conn,
          new ZoomEventWsError("HEARTBEAT_TIMEOUT", `nothing received for ${this.#deadAfterMs} ms`),
        );
        return;
      }
      if (conn.ws.readyState === WebSocket.OPEN) {
        conn.ws.send(JSON.stringify({ module: "heartbeat" }));
        this.#stats.heartbeatsSent++;
      }
      this.#scheduleHeartbeat(conn);
    }, this.#heartbeatMs);
  }

  #scheduleRefresh(conn: Connection, delayMs: number): void {
    this.#clearTimer(conn, "refreshTimer");
    conn.refreshTimer = this.#clock.setTimeout(() => {
      if (conn.retired || this.#state === "closed" || conn !== this.#active || this.#successor) return;
      this.#log.info({}, "event websocket token expires soon; reconnecting with a fresh token");
      void this.#connect("token_refresh", conn.token.accessToken);
    }, delayMs);
  }

  #onClose(conn: Connection, code: number, reason: string): void {
    this.#clearTimers(conn);
    if (conn.retired || this.#state === "closed") return;
    conn.retired = true;
    if (conn === this.#successor) {
      // The fresh-token connection failed; the current one keeps serving until it expires. Try again.
      this.#successor = undefined;
      this.#log.warn({ code, reason }, "event websocket token-refresh connection failed");
      if (this.#active) this.#scheduleRefresh(this.#active, this.#retryDelay());
      return;
    }
    if (conn !== this.#active) return;
    this.#active = undefined;
    if (conn.established) {
      this.#log.warn({ code, reason }, "event websocket disconnected");
      this.#emitSafe("disconnected", { code, reason, willReconnect: true });
    }
    if (this.#successor) {
      // A fresh-token connection is already on its way: it takes over instead of a new attempt.
      this.#active = this.#successor;
      this.#successor = undefined;
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === "closed" || this.#reconnectTimer !== undefined) return;
    const delay = this.#retryDelay();
    this.#attempt++;
    this.#stats.reconnects++;
    this.#log.info({ delayMs: delay, attempt: this.#attempt }, "event websocket reconnecting");
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#connect("reconnect");
    }, delay);
  }

  #retryDelay(): number {
    return Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** this.#attempt);
  }

  /** Reports the error and drops the connection; its close event schedules what comes next. */
  #fail(conn: Connection, error: ZoomEventWsError): void {
    if (conn.retired) return;
    this.#log.warn({ code: error.code }, error.message);
    this.#reportError(error);
    this.#clearTimers(conn);
    conn.ws.terminate();
  }

  #retire(conn: Connection, code: number, reason: string): void {
    conn.retired = true;
    this.#clearTimers(conn);
    if (conn.ws.readyState === WebSocket.CONNECTING) conn.ws.terminate();
    else if (conn.ws.readyState === WebSocket.OPEN) {
      conn.ws.close(code, reason);
      // A peer that never completes the closing handshake must not keep the socket (or close()) hanging.
      const timer = this.#clock.setTimeout(() => conn.ws.terminate(), 2_000);
      void conn.closed.then(() => this.#clock.clearTimeout(timer));
    }
  }

  #clearTimer(conn: Connection, key: "connectTimer" | "heartbeatTimer" | "refreshTimer"): void {
    if (conn[key] !== undefined) this.#clock.clearTimeout(conn[key]);
    conn[key] = undefined;
  }

  #clearTimers(conn: Connection): void {
    this.#clearTimer(conn, "connectTimer");
    this.#clearTimer(conn, "heartbeatTimer");
    this.#clearTimer(conn, "refreshTimer");
  }

  #reportError(error: ZoomEventWsError): void {
    if (this.listenerCount("error") > 0) this.#emitSafe("error", error);
  }

  /** A throwing listener must not break the socket's handlers (and so the connection). */
  #emitSafe<K extends keyof ZoomEventWsEvents>(name: K, ...args: ZoomEventWsEvents[K]): void {
    try {
      (this.emit as (event: K, ...a: ZoomEventWsEvents[K]) => boolean)(name, ...args);
    } catch (error) {
      this.#log.error({ err: error, event: name }, "event listener threw");
    }
  }
}
