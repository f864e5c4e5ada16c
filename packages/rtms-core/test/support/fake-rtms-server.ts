// A minimal scripted RTMS server for the session tests: real WebSockets on 127.0.0.1, port 0. It answers
// handshakes (status chosen by the test), records every client message, and lets the test push messages
// or drop sockets. It is deliberately dumb: behaviour under test lives in the client, and the faithful
// simulator (packages/zoom-sim) is exercised by its own conformance tests.
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import {
  mediaHandshakeResp,
  parseMessage,
  type RtmsMessage,
  type ServerUrls,
  signalingHandshakeResp,
  stringifyMessage,
} from "../../src/protocol/index.ts";

/** The app and stream every test against this server signs for. */
export const TEST_CREDENTIALS = {
  clientId: "client-id",
  clientSecret: "client-secret",
  meetingUuid: "abc/def==",
  rtmsStreamId: "stream-1",
};

/** The allow-list every test client passes: this server listens on 127.0.0.1 over plain ws://. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1"];

export type Role = "signaling" | "media";

export interface Received {
  role: Role;
  /** Which connection of that role, counting from 1. */
  conn: number;
  msg: RtmsMessage;
}

export interface FakeRtmsOptions {
  /** Status for the n-th signaling handshake (1-based). Default 0. */
  signalingStatus?: (n: number) => number | { status: number; reason: string };
  mediaStatus?: (n: number) => number | { status: number; reason: string };
  /** Send msg 2/4 as binary frames. */
  binary?: boolean;
  /** Don't answer handshakes at all. */
  silent?: boolean;
  /** Called when a client connects, before anything is read (to observe other servers at that instant). */
  onConnect?: (role: Role) => void;
  /**
   * Like Zoom (and Zoom's mock server): a socket with this many keep-alives sent by `keepAlive()` and not
   * answered by msg 13 is terminated instead of being sent another. Default: never.
   */
  dropAfterMissedKeepAlives?: number;
  /** What msg 2 offers as media URLs, in place of this server's own. */
  mediaUrls?: ServerUrls;
}

export class FakeRtmsServer {
  readonly received: Received[] = [];
  readonly live: Record<Role, Set<WebSocket>> = { signaling: new Set(), media: new Set() };
  readonly opened: Record<Role, number> = { signaling: 0, media: 0 };
  /** Highest number of simultaneously open sockets seen per role. */
  readonly maxLive: Record<Role, number> = { signaling: 0, media: 0 };
  #wss: WebSocketServer;
  #opts: FakeRtmsOptions;
  #handshakes: Record<Role, number> = { signaling: 0, media: 0 };
  #listeners: (() => void)[] = [];
  #missedKeepAlives = new Map<WebSocket, number>();

  private constructor(wss: WebSocketServer, opts: FakeRtmsOptions) {
    this.#wss = wss;
    this.#opts = opts;
    wss.on("connection", (ws, req) => this.#onConnection(ws, req.url ?? "/"));
  }

  static async start(opts: FakeRtmsOptions = {}): Promise<FakeRtmsServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    return new FakeRtmsServer(wss, opts);
  }

  get port(): number {
    return (this.#wss.address() as AddressInfo).port;
  }

  get signalingUrl(): string {
    return `ws://127.0.0.1:${this.port}/signaling`;
  }

  get mediaUrls(): ServerUrls {
    const base = `ws://127.0.0.1:${this.port}/media`;
    return {
      all: `${base}/all`,
      audio: `${base}/audio`,
      video: `${base}/video`,
      transcript: `${base}/transcript`,
    };
  }

  set options(o: FakeRtmsOptions) {
    this.#opts = o;
  }

  messages(role: Role, msgType?: number): RtmsMessage[] {
    return this.received
      .filter((r) => r.role === role && (msgType === undefined || r.msg.msg_type === msgType))
      .map((r) => r.msg);
  }

  /** Resolve once `check` holds (re-checked on every received message and connection change). */
  waitFor(check: () => boolean, what = "condition", timeoutMs = 5_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        resolve();
      };
      this.#listeners.push(listener);
    });
  }

  send(role: Role, msg: RtmsMessage | string, opts: { binary?: boolean } = {}): void {
    const text = typeof msg === "string" ? msg : stringifyMessage(msg);
    for (const ws of this.live[role])
      ws.send(opts.binary ? Buffer.from(text) : text, { binary: !!opts.binary });
  }

  /**
   * Send msg 12 on every socket of a role, with `timestamp` or, when it is undefined, without one (as
   * Zoom's mock server does); sockets past `dropAfterMissedKeepAlives` are terminated instead.
   */
  keepAlive(role: Role, timestamp?: number): void {
    const limit = this.#opts.dropAfterMissedKeepAlives ?? Number.POSITIVE_INFINITY;
    for (const ws of this.live[role]) {
      const missed = this.#missedKeepAlives.get(ws) ?? 0;
      if (missed >= limit) {
        ws.terminate();
        continue;
      }
      this.#missedKeepAlives.set(ws, missed + 1);
      ws.send(JSON.stringify(timestamp === undefined ? { msg_type: 12 } : { msg_type: 12, timestamp }));
    }
  }

  /** Kill every socket of a role from the server side, without a close handshake. */
  drop(role: Role): void {
    for (const ws of this.live[role]) ws.terminate();
  }

  async close(): Promise<void> {
    for (const role of ["signaling", "media"] as const) for (const ws of this.live[role]) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  #onConnection(ws: WebSocket, path: string): void {
    const role: Role = path.startsWith("/signaling") ? "signaling" : "media";
    this.#opts.onConnect?.(role);
    const conn = ++this.opened[role];
    this.live[role].add(ws);
    this.maxLive[role] = Math.max(this.maxLive[role], this.live[role].size);
    ws.on("close", () => {
      this.live[role].delete(ws);
      this.#notify();
    });
    ws.on("message", (data) => {
      const parsed = parseMessage(data as Buffer);
      if (!parsed.ok) return;
      const msg = parsed.message;
      if (msg.msg_type === 13) this.#missedKeepAlives.delete(ws);
      this.received.push({ role, conn, msg });
      this.#answer(ws, msg);
      this.#notify();
    });
    this.#notify();
  }

  #answer(ws: WebSocket, msg: RtmsMessage): void {
    if (this.#opts.silent) return;
    const reply = (m: RtmsMessage) => {
      const text = stringifyMessage(m);
      ws.send(this.#opts.binary ? Buffer.from(text) : text, { binary: !!this.#opts.binary });
    };
    const statusOf = (s: number | { status: number; reason: string } | undefined) =>
      s === undefined
        ? { status: 0, reason: undefined }
        : typeof s === "number"
          ? { status: s, reason: undefined }
          : s;
    if (msg.msg_type === 1) {
      const { status, reason } = statusOf(this.#opts.signalingStatus?.(++this.#handshakes.signaling));
      const offered = this.#opts.mediaUrls ?? this.mediaUrls;
      reply(signalingHandshakeResp(status, status === 0 ? offered : undefined, reason));
      if (status !== 0) ws.close();
    } else if (msg.msg_type === 3) {
      const { status, reason } = statusOf(this.#opts.mediaStatus?.(++this.#handshakes.media));
      reply(mediaHandshakeResp(status, status === 0 ? msg.media_params : undefined, reason));
      if (status !== 0) ws.close();
    } else if (msg.msg_type === 21) {
      reply({ msg_type: 22, status_code: 0, reason: "" });
    } else if (msg.msg_type === 28) {
      reply({
        msg_type: 29,
        user_id: String(msg.user_id),
        status_code: 0,
        reason: "",
        timestamp: Date.now(),
      });
    } else if (msg.msg_type === 19) {
      reply({ msg_type: 20, state: 1, timestamp: Date.now() });
    }
  }
}

/** Servers a suite starts as it goes and closes together (in its afterEach). */
export function fakeServerPool() {
  const live: FakeRtmsServer[] = [];
  return {
    start: async (opts: FakeRtmsOptions = {}): Promise<FakeRtmsServer> => {
      const s = await FakeRtmsServer.start(opts);
      live.push(s);
      return s;
    },
    closeAll: async (): Promise<void> => {
      for (const s of live.splice(0)) await s.close();
    },
  };
}
