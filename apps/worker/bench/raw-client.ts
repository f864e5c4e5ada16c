// The bench's raw loop: a bare RTMS client in its own process, with none of the worker (no policy, no
// database, no validation beyond what the mode needs). It receives the same zoom-sim streams the worker
// would and does only:
//   scan: ws receive + rtms-core's header scan (parseMediaFrame), the least a worker can do per frame;
//   full: ws receive + JSON.parse + base64 decode + writeFile, what storing every frame costs at least.
// Driven by bench/raw-loop.ts: config in RAW_CONFIG (JSON), "ready" on stdout once every stream's media
// handshake is done, and one JSON line of counters for every line read on stdin.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import {
  clientReadyAck,
  DEFAULT_VIDEO_PARAMS,
  keepAliveResp,
  MediaType,
  MsgType,
  mediaHandshakeReq,
  parseMediaFrame,
  signalingHandshakeReq,
  stringifyMessage,
} from "@capture/rtms-core/protocol";
import WebSocket from "ws";

export interface RawConfig {
  mode: "scan" | "full";
  dir: string;
  clientId: string;
  clientSecret: string;
  streams: { serverUrls: string; meetingUuid: string; rtmsStreamId: string }[];
}

/** Writes in flight per stream before frames are dropped, as the worker bounds them (5 s at 5 fps). */
const MAX_WRITES_IN_FLIGHT = 25;
const config = JSON.parse(process.env.RAW_CONFIG ?? "{}") as RawConfig;
const counters = { frames: 0, written: 0, dropped: 0, bytes: 0, keepAlives: 0, errors: 0 };
/** writeFile durations (ms) since the last counters line, for the disk's own p99 in the same run. */
let writeMs: number[] = [];

function onKeepAlive(ws: WebSocket, text: string): boolean {
  // Keep-alives are tiny; anything that is not a frame goes through JSON.parse in both modes.
  const msg = JSON.parse(text) as { msg_type: number; timestamp?: number };
  if (msg.msg_type !== MsgType.KEEP_ALIVE_REQ) return false;
  ws.send(stringifyMessage(keepAliveResp(msg.timestamp ?? 0)));
  counters.keepAlives++;
  return true;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 16 * 1024 * 1024 });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket, type: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as Record<string, unknown>;
      if (msg.msg_type !== type) return;
      ws.off("message", on);
      resolve(msg);
    };
    ws.on("message", on);
  });
}

async function connect(s: RawConfig["streams"][number], index: number) {
  const creds = { clientId: config.clientId, clientSecret: config.clientSecret, ...s };
  const signaling = await open(s.serverUrls);
  signaling.on("message", (data: Buffer) => onKeepAlive(signaling, data.toString()));
  const answer = nextMessage(signaling, MsgType.SIGNALING_HAND_SHAKE_RESP);
  signaling.send(stringifyMessage(signalingHandshakeReq(creds)));
  const urls = ((await answer) as { media_server?: { server_urls: Record<string, string> } }).media_server
    ?.server_urls;
  const mediaUrl = urls?.video ?? urls?.all;
  if (!mediaUrl) throw new Error("no media server URL in the signaling handshake");
  const media = await open(mediaUrl);
  const accepted = nextMessage(media, MsgType.DATA_HAND_SHAKE_RESP);
  media.send(
    stringifyMessage(mediaHandshakeReq(creds, MediaType.VIDEO, { video: { ...DEFAULT_VIDEO_PARAMS } })),
  );
  await accepted;
  const dir = path.join(config.dir, String(index));
  if (config.mode === "full") await mkdir(dir, { recursive: true });
  let inFlight = 0;
  media.on("message", (data: Buffer) => {
    if (config.mode === "scan") {
      const frame = parseMediaFrame(data);
      if (frame) {
        counters.frames++;
        counters.bytes += frame.base64Length;
      } else onKeepAlive(media, data.toString());
      return;
    }
    const msg = JSON.parse(data.toString()) as {
      msg_type: number;
      content?: { data: string; timestamp: number };
    };
    if (msg.msg_type !== MsgType.MEDIA_DATA_VIDEO || !msg.content) {
      if (msg.msg_type === MsgType.KEEP_ALIVE_REQ) onKeepAlive(media, data.toString());
      return;
    }
    counters.frames++;
    if (inFlight >= MAX_WRITES_IN_FLIGHT) {
      counters.dropped++;
      return;
    }
    const bytes = Buffer.from(msg.content.data, "base64");
    counters.bytes += bytes.length;
    inFlight++;
    const t0 = performance.now();
    writeFile(path.join(dir, `${msg.content.timestamp}.jpg`), bytes)
      .then(
        () => {
          counters.written++;
          writeMs.push(performance.now() - t0);
        },
        () => counters.errors++,
      )
      .finally(() => inFlight--);
  });
  signaling.send(stringifyMessage(clientReadyAck(s.rtmsStreamId)));
}

// Connect in batches so the handshakes do not all time out together on a loaded machine.
for (let i = 0; i < config.streams.length; i += 50) {
  await Promise.all(config.streams.slice(i, i + 50).map((s, j) => connect(s, i + j)));
}
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).on("line", () => {
  const cpu = process.cpuUsage();
  const sorted = writeMs.sort((a, b) => a - b);
  writeMs = [];
  const writeP99Ms =
    sorted.length > 0 ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : 0;
  process.stdout.write(
    `${JSON.stringify({ ...counters, writeP99Ms, at: performance.now(), cpuUs: cpu.user + cpu.system })}\n`,
  );
});
process.stdin.on("end", () => process.exit(0));
