// Bench client process: N raw ws clients. In "rtms" mode each does the signaling + media handshakes, answers
// keep-alives and sends msg 7; in "raw" mode each just connects. Every client counts video frames and the
// gaps between them; the parent asks for a report over IPC.
import WebSocket from "ws";

interface RtmsTarget {
  streamId: string;
  meetingUuid: string;
  signalingUrl: string;
  mediaUrl: string;
  signature: string;
}
type Setup =
  | { mode: "rtms"; targets: RtmsTarget[]; resolution: number; fps: number }
  | { mode: "raw"; url: string; count: number };

let frames = 0;
let bytes = 0;
const gaps: number[] = [];
const sockets: WebSocket[] = [];

function countFrames(ws: WebSocket): void {
  let last = 0;
  ws.on("message", (data: Buffer) => {
    // Cheap check of msg_type without parsing a 40 KB JSON text: the field comes first.
    const head = data.subarray(0, 16).toString("latin1");
    if (head.startsWith('{"msg_type":15')) {
      frames++;
      bytes += data.length;
      const now = performance.now();
      if (last) gaps.push(now - last);
      last = now;
    } else if (head.startsWith('{"msg_type":12')) {
      const m = JSON.parse(data.toString()) as { timestamp: number };
      ws.send(JSON.stringify({ msg_type: 13, timestamp: m.timestamp }));
    }
  });
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    sockets.push(ws);
  });
}

function once(ws: WebSocket, msgType: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.msg_type === msgType) {
        ws.off("message", on);
        resolve(m);
      }
    };
    ws.on("message", on);
  });
}

async function connectRtms(t: RtmsTarget, resolution: number, fps: number): Promise<void> {
  const sig = await open(t.signalingUrl);
  sig.on("message", (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { msg_type: number; timestamp: number };
    if (m.msg_type === 12) sig.send(JSON.stringify({ msg_type: 13, timestamp: m.timestamp }));
  });
  const base = {
    protocol_version: 1,
    meeting_uuid: t.meetingUuid,
    rtms_stream_id: t.streamId,
    signature: t.signature,
  };
  sig.send(JSON.stringify({ msg_type: 1, sequence: 1, ...base }));
  const resp = await once(sig, 2);
  if (resp.status_code !== 0) throw new Error(`signaling status ${String(resp.status_code)}`);
  const media = await open(t.mediaUrl);
  const mediaResp = once(media, 4);
  media.send(
    JSON.stringify({
      msg_type: 3,
      ...base,
      media_type: 2,
      payload_encryption: false,
      media_params: { video: { content_type: 3, codec: 5, resolution, data_opt: 3, fps } },
    }),
  );
  const r4 = await mediaResp;
  if (r4.status_code !== 0) throw new Error(`media status ${String(r4.status_code)}`);
  countFrames(media);
  sig.send(JSON.stringify({ msg_type: 7, rtms_stream_id: t.streamId }));
}

process.on("message", async (msg: { setup?: Setup; report?: boolean; reset?: boolean }) => {
  if (msg.setup) {
    const s = msg.setup;
    try {
      if (s.mode === "rtms") {
        // A few at a time, like workers picking up jobs.
        for (let i = 0; i < s.targets.length; i += 20) {
          await Promise.all(s.targets.slice(i, i + 20).map((t) => connectRtms(t, s.resolution, s.fps)));
        }
      } else {
        for (let i = 0; i < s.count; i++) countFrames(await open(s.url));
      }
      process.send?.({ ready: true });
    } catch (err) {
      process.send?.({ error: (err as Error).message });
    }
  }
  if (msg.reset) {
    frames = 0;
    bytes = 0;
    gaps.length = 0;
  }
  if (msg.report) {
    const sorted = gaps.slice().sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    process.send?.({ frames, bytes, gapP50: pct(0.5), gapP99: pct(0.99) });
  }
});

process.on("disconnect", () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
