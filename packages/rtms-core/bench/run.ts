// Benchmark: what our receive path (parseMediaFrame, which leaves the payload as bytes + FramePolicy decision
// from metadata + base64 decode of kept frames only) costs per HD JPEG frame, against a baseline of what a bare client does (JSON.parse + base64 decode of every
// frame), measured in the same run. Two parts:
//   A. CPU only, no network: the per-frame work on prebuilt messages.
//   B. End to end over loopback WebSockets, the server in a worker thread: a bare `ws` client vs our
//      SocketConnection (keep-alive, watchdog, size limit) + decider.
// Run: pnpm --filter @capture/rtms-core bench   (BENCH_FRAMES=n to change the stream length)
import { Worker } from "node:worker_threads";
import WebSocket from "ws";
import { createFrameDecider, FramePolicy, type FramePolicyInput } from "../src/frames/index.ts";
import { silentLogger } from "../src/logger.ts";
import {
  isMediaFrameMessage,
  type MediaFrame,
  mediaFrameFromMessage,
  parseMediaFrame,
  parseMessage,
} from "../src/protocol/index.ts";
import { SocketConnection } from "../src/session/connection.ts";
import { frameMessage, JPEG_BYTES, PARTICIPANTS } from "./frame-source.ts";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 1200);
/** Variants run interleaved, this many rounds, best round kept: the machine is shared, so noise is high. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RING = 400; // distinct prebuilt messages (timestamps increase within the ring)

interface Result {
  name: string;
  frames: number;
  kept: number;
  ms: number;
}

const policies: Record<string, FramePolicyInput> = {
  "keep all": { kind: "all" },
  "seed (skip 3, keep newest 3)": { kind: "seed" },
  "interval 1 s (keeps 1 in 5)": { kind: "interval", everyMs: 1000 },
  "firstN 3 (drops nearly all)": { kind: "firstN", n: 3 },
};

function decoderFor(input: FramePolicyInput) {
  return createFrameDecider(FramePolicy.parse(input));
}

/** Our per-frame work: decide from the metadata, then build and decode the payload only when kept. */
function oursHandler(policy: FramePolicyInput) {
  const decider = decoderFor(policy);
  let kept = 0;
  let decodedBytes = 0;
  return {
    onFrame(f: MediaFrame) {
      const d = decider.decide({
        participantKey: `${f.userName}_${f.userId}`,
        timestamp: f.timestamp,
        base64Length: f.base64Length,
        ...(f.length !== undefined ? { length: f.length } : {}),
      });
      if (d.keep) {
        kept++;
        decodedBytes += f.decode().length;
      }
    },
    get kept() {
      return kept;
    },
    get decodedBytes() {
      return decodedBytes;
    },
  };
}

/** What SocketConnection does with each inbound buffer (frames through the fast path, the rest parsed). */
function ourParse(buf: Buffer): MediaFrame | undefined {
  const frame = parseMediaFrame(buf);
  if (frame) return frame;
  const r = parseMessage(buf);
  return r.ok && isMediaFrameMessage(r.message) ? mediaFrameFromMessage(r.message) : undefined;
}

function baselineHandle(buf: Buffer): number {
  const msg = JSON.parse(buf.toString("utf8")) as { content: { data: string } };
  return Buffer.from(msg.content.data, "base64").length;
}

// ---------- A: CPU only ----------

function partA(ring: Buffer[]): Result[] {
  const passes = Math.max(1, Math.round(FRAMES / ring.length));
  const variants: [string, () => number][] = [
    [
      "baseline: JSON.parse + base64 decode",
      () => {
        for (const buf of ring) baselineHandle(buf);
        return ring.length;
      },
    ],
    ...Object.entries(policies).map(([name, policy]): [string, () => number] => [
      `ours: parse + ${name}`,
      () => {
        const h = oursHandler(policy); // fresh bookkeeping per pass: timestamps restart with the ring
        for (const buf of ring) {
          const f = ourParse(buf);
          if (f) h.onFrame(f);
        }
        return h.kept;
      },
    ]),
  ];
  for (const [, fn] of variants) fn(); // warm-up
  const best = new Map<string, Result>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of variants) {
      const t0 = performance.now();
      let kept = 0;
      for (let p = 0; p < passes; p++) kept += fn();
      const r = { name, frames: passes * ring.length, kept, ms: performance.now() - t0 };
      const prev = best.get(name);
      if (!prev || r.ms < prev.ms) best.set(name, r);
    }
  }
  return [...best.values()];
}

// ---------- B: over loopback WebSockets ----------

async function startServer(ring: Buffer[]): Promise<{ url: string; stop: () => void }> {
  const worker = new Worker(new URL("./frame-server.mjs", import.meta.url), {
    workerData: { ring: ring.map((b) => new Uint8Array(b)) },
  });
  const port = await new Promise<number>((resolve) =>
    worker.once("message", (m: { port: number }) => resolve(m.port)),
  );
  return { url: `ws://127.0.0.1:${port}`, stop: () => worker.postMessage("close") };
}

async function baselineOverWs(url: string): Promise<Result> {
  const ws = new WebSocket(`${url}/?count=${FRAMES}`, { maxPayload: 16 * 1024 * 1024 });
  let n = 0;
  let t0 = 0;
  ws.once("open", () => {
    t0 = performance.now();
  });
  await new Promise<void>((resolve) => {
    ws.on("message", (data) => {
      baselineHandle(data as Buffer);
      if (++n === FRAMES) resolve();
    });
  });
  const ms = performance.now() - t0;
  ws.terminate();
  return { name: "baseline: ws + JSON.parse + base64 decode", frames: n, kept: n, ms };
}

async function oursOverWs(url: string, name: string, policy: FramePolicyInput): Promise<Result> {
  const conn = new SocketConnection(`${url}/?count=${FRAMES}`, { logger: silentLogger });
  const h = oursHandler(policy);
  let n = 0;
  let t0 = 0;
  const done = new Promise<void>((resolve) => {
    conn.on("media", (f) => {
      h.onFrame(f);
      if (++n === FRAMES) resolve();
    });
  });
  await conn.open();
  t0 = performance.now();
  await done;
  const ms = performance.now() - t0;
  conn.terminate();
  return { name: `ours: SocketConnection + ${name}`, frames: n, kept: h.kept, ms };
}

// ---------- report ----------

function report(title: string, results: Result[]): void {
  const base = results[0]!;
  const baseRate = (base.frames / base.ms) * 1000;
  console.log(`\n${title}`);
  console.log(
    `${"variant".padEnd(58)} ${"frames/s".padStart(10)} ${"x baseline".padStart(11)} ${"us/frame".padStart(9)} ${"kept".padStart(7)}`,
  );
  for (const r of results) {
    const rate = (r.frames / r.ms) * 1000;
    console.log(
      `${r.name.padEnd(58)} ${rate.toFixed(0).padStart(10)} ${(rate / baseRate).toFixed(2).padStart(11)} ${((r.ms * 1000) / r.frames).toFixed(1).padStart(9)} ${String(r.kept).padStart(7)}`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `HD JPEG frames: ${JPEG_BYTES} bytes (${Math.ceil(JPEG_BYTES / 3) * 4} base64), ${PARTICIPANTS} participants, ${FRAMES} frames per variant, best of ${ROUNDS} interleaved rounds`,
  );
  const ring = Array.from({ length: RING }, (_, i) => frameMessage(i));

  const a = partA(ring);
  report("A. per-frame CPU, no network", a);
  const keepAll = a.find((r) => r.name.includes("keep all"))!;
  const dropMost = a.find((r) => r.name.includes("firstN"))!;
  const perKept = keepAll.ms / keepAll.frames;
  const perDropped = dropMost.ms / dropMost.frames;
  console.log(
    `dropped frame: ${(perDropped * 1000).toFixed(1)} us, kept frame: ${(perKept * 1000).toFixed(1)} us -> a dropped frame costs ${((perDropped / perKept) * 100).toFixed(0)}% of a kept one`,
  );

  const server = await startServer(ring);
  try {
    const best = new Map<string, Result>();
    const keep = (r: Result) => {
      const prev = best.get(r.name);
      if (!prev || r.ms < prev.ms) best.set(r.name, r);
    };
    for (let round = 0; round < ROUNDS; round++) {
      keep(await baselineOverWs(server.url));
      for (const [name, policy] of Object.entries(policies)) keep(await oursOverWs(server.url, name, policy));
    }
    report("B. end to end over loopback WebSockets (server in a worker thread)", [...best.values()]);
  } finally {
    server.stop();
  }
  const mem = process.memoryUsage();
  console.log(
    `\nRSS ${(mem.rss / 1048576).toFixed(0)} MiB, heap used ${(mem.heapUsed / 1048576).toFixed(0)} MiB`,
  );
}

await main();
