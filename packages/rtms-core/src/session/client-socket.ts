// What the signaling client and the media client share: the options of their socket, how that socket is
// built, and the handshake both do on it (open, send the signed request, wait for its answer, refuse on a
// non-zero status). What each handshake carries and resolves with stays with its client.

import type { Logger } from "../logger.ts";
import type { HandshakeCredentials } from "../protocol/builders.ts";
import type { ProtocolError } from "../protocol/errors.ts";
import type { MediaHandshakeResp, RtmsMessage, SignalingHandshakeResp } from "../protocol/messages.ts";
import { classifyStatus } from "../protocol/status.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type SocketCloseInfo, SocketConnection } from "./connection.ts";
import { TypedEmitter } from "./emitter.ts";
import { RtmsSessionError } from "./errors.ts";
import { waitForMessage } from "./wait-for.ts";

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The options every RTMS client socket takes, signaling or media. */
export interface ClientSocketOptions {
  url: string;
  credentials: HandshakeCredentials;
  logger: Logger;
  clock?: Clock;
  keepAliveTimeoutMs?: number;
  maxMessageBytes?: number;
  handshakeTimeoutMs?: number;
  /** Host patterns the URL must match (default: Zoom's RTMS domains). */
  allowedHosts?: readonly string[];
}

/** The SocketConnection a client socket runs over (unset limits fall to SocketConnection's defaults). */
export function clientConnection(opts: ClientSocketOptions, clock: Clock): SocketConnection {
  return new SocketConnection(opts.url, {
    logger: opts.logger,
    clock,
    ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: opts.keepAliveTimeoutMs } : {}),
    ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
    ...(opts.allowedHosts !== undefined ? { allowedHosts: opts.allowedHosts } : {}),
  });
}

/** The events every client socket passes on from its connection, beside its own. */
export type ClientSocketEvents = {
  keepAlive: [{ timestamp: number; latencyMs: number }];
  protocolError: [ProtocolError];
  close: [SocketCloseInfo];
};

/**
 * The signaling and media clients' common part: the connection and clock built from the options, the events
 * passed on as they are, and the calls that go straight to the socket.
 */
export abstract class ClientSocket<
  O extends ClientSocketOptions,
  E extends ClientSocketEvents & { [K in keyof E]: unknown[] },
> extends TypedEmitter<E> {
  protected readonly options: O;
  protected readonly clock: Clock;
  protected readonly conn: SocketConnection;

  constructor(options: O) {
    super();
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.conn = clientConnection(options, this.clock);
    const forward = this.emit as (event: keyof ClientSocketEvents, arg: unknown) => boolean;
    this.conn.on("keepAlive", (k) => forward.call(this, "keepAlive", k));
    this.conn.on("protocolError", (e) => forward.call(this, "protocolError", e));
    this.conn.on("close", (c) => forward.call(this, "close", c));
  }

  get url(): string {
    return this.options.url;
  }

  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  close(): void {
    this.conn.close();
  }

  terminate(): void {
    this.conn.terminate();
  }

  whenClosed(): Promise<void> {
    return this.conn.whenClosed();
  }
}

export interface HandshakeSpec<T extends SignalingHandshakeResp | MediaHandshakeResp> {
  /** Names the socket in errors: "signaling" or "media". */
  socket: "signaling" | "media";
  /** Built only once the socket is open, so a failed open consumes no sequence number. */
  request: () => RtmsMessage;
  isAnswer: (msg: RtmsMessage) => msg is T;
  timeoutMs: number | undefined;
  clock: Clock;
}

/**
 * Open `conn`, send the handshake request and resolve with an accepted answer (status 0). No answer in time
 * rejects with "HANDSHAKE_TIMEOUT"; a refusal rejects with "HANDSHAKE_REJECTED" and its status classification
 * (both status numberings understood).
 */
export async function handshake<T extends SignalingHandshakeResp | MediaHandshakeResp>(
  conn: SocketConnection,
  spec: HandshakeSpec<T>,
): Promise<T> {
  await conn.open();
  // Listen before sending: the answer may arrive in the same tick as the send.
  const answer = waitForMessage(
    conn,
    spec.isAnswer,
    spec.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    spec.clock,
    `${spec.socket} handshake response`,
    "HANDSHAKE_TIMEOUT",
  );
  conn.send(spec.request());
  let resp: T;
  try {
    resp = await answer;
  } catch (err) {
    // A server that does not answer is not owed a close handshake.
    conn.terminate();
    throw err;
  }
  if (resp.status_code !== 0) {
    const status = classifyStatus(resp.status_code, resp.reason);
    // Zoom closes the socket itself after a refusal; closing from our side too avoids a half-open socket.
    conn.close();
    throw new RtmsSessionError(
      "HANDSHAKE_REJECTED",
      `${spec.socket} handshake rejected: ${status.code} ${status.text}`,
      status,
    );
  }
  return resp;
}
