// ws.zoom.us/ws: Zoom's event WebSocket. The token is read from the QUERY string only (a header token is
// ignored, and Zoom answers "token is empty"); the first frame is build_connection; heartbeats are answered
// in kind; events go out as {"module":"message","content":"<JSON text>"}, and nothing is kept for clients
// that were not connected when an event happened.
import type { IncomingMessage } from "node:http";
import type { Logger } from "@capture/rtms-core/logger";
import { type WebSocket, WebSocketServer } from "ws";
import type { EventWsCredentials } from "../options.ts";
import type { TokenIssuer } from "./oauth.ts";

export interface ZoomEvent {
  event: string;
  event_ts: number;
  payload: Record<string, unknown>;
}

export class EventWsServer {
  readonly wss = new WebSocketServer({ noServer: true });
  readonly #clients = new Set<WebSocket>();
  #connections = 0;

  constructor(
    private readonly tokens: TokenIssuer,
    private readonly creds: EventWsCredentials,
    private readonly log: Logger,
    private readonly onReady: () => void,
  ) {}

  /** Clients that completed build_connection and are still open. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Successful connections ever made (reconnects included). */
  get connectionCount(): number {
    return this.#connections;
  }

  accept(ws: WebSocket, url: URL, _req: IncomingMessage): void {
    const fail = (content: string) => {
      ws.send(JSON.stringify({ module: "build_connection", success: false, content }));
      ws.close(1008, content.slice(0, 100));
    };
    const token = url.searchParams.get("access_token");
    if (!token) {
      fail("token is empty");
      return;
    }
    const issued = this.tokens.verify(token);
    if (issued?.grant !== "client_credentials" || issued.clientId !== this.creds.clientId) {
      fail("Invalid access token");
      return;
    }
    if (url.searchParams.get("subscriptionId") !== this.creds.subscriptionId) {
      fail("Invalid subscriptionId");
      return;
    }
    this.#clients.add(ws);
    this.#connections++;
    ws.send(JSON.stringify({ module: "build_connection", success: true, content: "" }));
    ws.on("message", (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        this.log.warn("event ws: malformed frame ignored");
        return;
      }
      if ((msg as { module?: unknown })?.module === "heartbeat") {
        ws.send(JSON.stringify({ module: "heartbeat", success: true, content: "" }));
      }
    });
    ws.on("close", () => this.#clients.delete(ws));
    ws.on("error", (err) => this.log.debug({ err }, "event ws client error"));
    this.log.info({ clients: this.#clients.size }, "event ws client connected");
    this.onReady();
  }

  /** Send to every connected client; returns how many got it (0 = the event is lost, like on Zoom). */
  broadcast(event: ZoomEvent): number {
    const frame = JSON.stringify({ module: "message", content: JSON.stringify(event) });
    for (const ws of this.#clients) ws.send(frame);
    return this.#clients.size;
  }

  /** Drop every client abruptly (the token is not revoked: they may reconnect). */
  dropClients(): number {
    const n = this.#clients.size;
    for (const ws of this.#clients) ws.terminate();
    this.#clients.clear();
    return n;
  }

  close(): void {
    for (const ws of this.#clients) ws.terminate();
    this.#clients.clear();
    this.wss.close();
  }
}
