// Raw clients for the server tests: fetch for HTTP, bare `ws` sockets with a message queue for WebSockets.
import { rtmsSignature } from "@capture/rtms-core/protocol";
import WebSocket from "ws";
import type { StreamInfo, ZoomSim } from "../src/index.ts";

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
}

export async function s2sToken(sim: ZoomSim): Promise<string> {
  const { accountId, clientId, clientSecret } = sim.options.s2s;
  const res = await fetch(
    `${sim.urls.oauthBase}/oauth/token?grant_type=account_credentials&account_id=${accountId}`,
    {
      method: "POST",
      headers: { authorization: basic(clientId, clientSecret) },
    },
  );
  if (res.status !== 200) throw new Error(`token: HTTP ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function appToken(sim: ZoomSim): Promise<string> {
  const { clientId, clientSecret } = sim.options.eventWs;
  const res = await fetch(`${sim.urls.oauthBase}/oauth/token?grant_type=client_credentials`, {
    method: "POST",
    headers: { authorization: basic(clientId, clientSecret) },
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A ws client that queues every message (parsed JSON) and remembers how the socket closed. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly messages: Record<string, unknown>[] = [];
  readonly binaryFlags: boolean[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: (() => void)[] = [];
  #opened: Promise<void>;

  constructor(url: string, opts?: WebSocket.ClientOptions) {
    this.ws = new WebSocket(url, opts);
    this.#opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.ws.on("message", (data, isBinary) => {
      // Garbage (the garbage-flood fault) is queued as { unparsed: text } instead of failing the test.
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>;
        if (typeof msg !== "object" || msg === null || Array.isArray(msg))
          msg = { unparsed: data.toString() };
      } catch {
        msg = { unparsed: data.toString() };
      }
      this.messages.push(msg);
      this.binaryFlags.push(isBinary);
      this.#wake();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  opened(): Promise<void> {
    return this.#opened;
  }

  send(obj: unknown): void {
    this.ws.send(JSON.stringify(obj));
  }

  /** Wait for (and remove) the first queued message matching `pred`. */
  async next(
    pred: (m: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0) {
        this.binaryFlags.splice(i, 1);
        return this.messages.splice(i, 1)[0]!;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before the message came`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  nextType(msgType: number, timeoutMs?: number) {
    return this.next((m) => m.msg_type === msgType, timeoutMs);
  }

  /** The next msg 6 whose event has `eventType` (and passes `where`, when given). */
  nextEvent(eventType: number, where: (event: Record<string, unknown>) => boolean = () => true) {
    return this.next((m) => {
      if (m.msg_type !== 6) return false;
      const event = m.event as Record<string, unknown>;
      return event.event_type === eventType && where(event);
    });
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.ws.terminate();
  }
}

export function signatureFor(sim: ZoomSim, info: StreamInfo): string {
  return rtmsSignature({
    clientId: sim.options.rtmsApp.clientId,
    clientSecret: sim.options.rtmsApp.clientSecret,
    meetingUuid: info.meetingUuid,
    rtmsStreamId: info.streamId,
  });
}

/** Open a signaling socket and send msg 1 with these fields (a test picks them to provoke a refusal). */
export async function sendSignalingHandshake(
  url: string,
  fields: { meeting_uuid: string; rtms_stream_id: string; signature: string; sequence?: number },
): Promise<TestSocket> {
  const sig = new TestSocket(url);
  await sig.opened();
  sig.send({ msg_type: 1, protocol_version: 1, ...fields });
  return sig;
}

/** Open signaling and complete msg 1 -> msg 2 (status 0). */
export async function connectSignaling(
  sim: ZoomSim,
  info: StreamInfo,
): Promise<{ sig: TestSocket; resp: Record<string, unknown> }> {
  const sig = await sendSignalingHandshake(info.serverUrls, {
    sequence: 1,
    meeting_uuid: info.meetingUuid,
    rtms_stream_id: info.streamId,
    signature: signatureFor(sim, info),
  });
  const resp = await sig.nextType(2);
  return { sig, resp };
}

export async function connectMedia(
  sim: ZoomSim,
  info: StreamInfo,
  url: string,
  mediaType: number,
  mediaParams?: unknown,
): Promise<{ media: TestSocket; resp: Record<string, unknown> }> {
  const media = new TestSocket(url);
  await media.opened();
  media.send({
    msg_type: 3,
    protocol_version: 1,
    meeting_uuid: info.meetingUuid,
    rtms_stream_id: info.streamId,
    signature: signatureFor(sim, info),
    media_type: mediaType,
    payload_encryption: false,
    ...(mediaParams === undefined ? {} : { media_params: mediaParams }),
  });
  const resp = await media.nextType(4);
  return { media, resp };
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Answer every msg 12 on this socket with msg 13 (what a live client does). */
export function answerKeepAlives(s: TestSocket): void {
  s.ws.on("message", (d) => {
    const text = d.toString();
    if (!text.includes('"msg_type":12')) return;
    const m = JSON.parse(text) as { msg_type: number; timestamp: number };
    if (m.msg_type === 12) s.send({ msg_type: 13, timestamp: m.timestamp });
  });
}

/** Two cameras on and one off: the media suites' meeting. */
export const TWO_CAMERAS_AND_ONE_OFF = [
  { name: "Alice", camera: true },
  { name: "Bob", camera: true },
  { name: "Carol", camera: false },
];
