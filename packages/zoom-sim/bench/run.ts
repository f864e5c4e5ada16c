// zoom-sim load bench: N RTMS streams at 5 fps (HD by default) from one simulator process, received by raw ws
// clients in a child process. Prints the sim's send rate, the rate the clients saw, frame gaps, CPU and RSS,
// next to a baseline: a bare ws server sending the same bytes to the same number of clients on the same
// schedule. Knobs (env): BENCH_STREAMS (200), BENCH_SECONDS (10), BENCH_FPS (5), BENCH_RESOLUTION (hd|sd),
// BENCH_FACES (distinct participants across all meetings, default 8: the frame cache shares encodes).
import { type ChildProcess, fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { rtmsSignature } from "@capture/rtms-core/protocol";
import { WebSocketServer } from "ws";
import { startZoomSim } from "../src/index.ts";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FPS = Number(process.env.BENCH_FPS ?? 5);
const RES = process.env.BENCH_RESOLUTION === "sd" ? 1 : 2;
const FACES = Number(process.env.BENCH_FACES ?? 8);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

interface Report {
  frames: number;
  bytes: number;
  gapP50: number;
  gapP99: number;
}

function startClients(): ChildProcess {
  return fork(fileURLToPath(new URL("./clients.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["inherit", "inherit", "inherit", "ipc"],
  });
}

function ask<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: Record<string, unknown>) => {
      if ("error" in m) {
        child.off("message", on);
        reject(new Error(String(m.error)));
      } else if (key in m) {
        child.off("message", on);
        resolve(m as T);
      }
    };
    child.on("message", on);
    child.send(msg);
  });
}

interface Result {
  label: string;
  sent: number;
  received: Report;
  cpuPct: number;
  rss: number;
}

/** Measure over SECONDS after a warm-up: `sentSoFar` reads the server's own counter. */
async function measure(label: string, child: ChildProcess, sentSoFar: () => number): Promise<Result> {
  await sleep(1500); // warm-up: caches filled, timers aligned
  await ask(child, { reset: true, report: true }, "frames");
  const sent0 = sentSoFar();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rss = 0;
  for (let i = 0; i < SECONDS; i++) {
    await sleep(1000);
    rss = Math.max(rss, process.memoryUsage().rss);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const received = await ask<Report>(child, { report: true }, "frames");
  return {
    label,
    sent: (sentSoFar() - sent0) / elapsed,
    received: { ...received, frames: received.frames / elapsed, bytes: received.bytes / elapsed },
    cpuPct: ((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100,
    rss,
  };
}

async function benchSim(): Promise<Result & { encodes: number }> {
  const sim = await startZoomSim({ audio: false, keepAliveIntervalMs: 10_000 });
  const targets = [];
  for (let i = 0; i < STREAMS; i++) {
    const face = (k: number) => ((i * 2 + k) % FACES) + 1;
    const meeting = sim.createMeeting({
      number: String(80_000_000_000 + i),
      participants: [
        { name: `Participant ${face(0)}`, userId: 1000 + face(0) },
        { name: `Participant ${face(1)}`, userId: 1000 + face(1) },
      ],
    });
    const info = await meeting.startRtms();
    targets.push({
      streamId: info.streamId,
      meetingUuid: info.meetingUuid,
      signalingUrl: info.serverUrls,
      mediaUrl: info.mediaUrls.video!,
      signature: rtmsSignature({
        ...sim.options.rtmsApp,
        meetingUuid: info.meetingUuid,
        rtmsStreamId: info.streamId,
      }),
    });
  }
  // Speakers change every second so frames switch faces, as in a real meeting.
  const meetings = [...sim.meetings.values()];
  const speakerTimer = setInterval(() => {
    for (const m of meetings) {
      const [a, b] = m.participants;
      if (a && b) m.setActiveSpeaker(m.activeSpeaker?.userId === a.userId ? b.userId : a.userId);
    }
  }, 1000);
  const child = startClients();
  await ask(child, { setup: { mode: "rtms", targets, resolution: RES, fps: FPS } }, "ready");
  const encodes0 = sim.frames.encodes;
  const result = await measure("zoom-sim", child, () => {
    let n = 0;
    for (const s of sim.streams.values()) n += s.counters.framesSent;
    return n;
  });
  const encodes = (sim.frames.encodes - encodes0) / (SECONDS + 1.5);
  clearInterval(speakerTimer);
  child.disconnect();
  await sim.close();
  return { ...result, encodes };
}

/** The same bytes on the same schedule from a bare ws server: what sending costs with no simulator logic. */
async function benchBaseline(frameBytes: number): Promise<Result> {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const payload = Buffer.alloc(frameBytes, 0x41);
  Buffer.from('{"msg_type":15,"content":{"data":"').copy(payload);
  let sent = 0;
  const timers: NodeJS.Timeout[] = [];
  wss.on("connection", (ws) => {
    timers.push(
      setInterval(() => {
        ws.send(payload, { binary: false });
        sent++;
      }, 1000 / FPS),
    );
  });
  const child = startClients();
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await ask(child, { setup: { mode: "raw", url, count: STREAMS } }, "ready");
  const result = await measure("bare ws baseline", child, () => sent);
  for (const t of timers) clearInterval(t);
  child.disconnect();
  wss.close();
  server.closeAllConnections();
  server.close();
  return result;
}

function print(r: Result, target: number): void {
  const kb = r.received.frames ? r.received.bytes / r.received.frames / 1024 : 0;
  console.log(
    `${r.label.padEnd(18)} sent ${r.sent.toFixed(0).padStart(6)}/s (target ${target})  received ${r.received.frames
      .toFixed(0)
      .padStart(
        6,
      )}/s  ${(r.received.bytes / 1024 / 1024).toFixed(1)} MB/s  frame ${kb.toFixed(1)} KB  gap p50 ${r.received.gapP50.toFixed(
      0,
    )} ms p99 ${r.received.gapP99.toFixed(0)} ms  cpu ${r.cpuPct.toFixed(0)}%  rss ${mb(r.rss)}`,
  );
}

/** Each phase runs in its own process, so RSS and CPU belong to that server alone. */
function runPhase<T>(phase: string, extraEnv: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, BENCH_PHASE: phase, ...extraEnv },
      stdio: ["inherit", "inherit", "inherit", "ipc"],
    });
    child.once("message", (m) => resolve(m as T));
    child.once("exit", (code) => reject(new Error(`${phase} phase exited with ${code}`)));
  });
}

const phase = process.env.BENCH_PHASE;
if (phase === "sim") {
  process.send?.(await benchSim());
  process.exit(0);
} else if (phase === "baseline") {
  process.send?.(await benchBaseline(Number(process.env.BENCH_FRAME_BYTES)));
  process.exit(0);
} else {
  console.log(
    `zoom-sim bench: ${STREAMS} streams x ${FPS} fps, ${RES === 2 ? "HD 1280x720" : "SD 640x360"}, ${FACES} faces, ${SECONDS} s`,
  );
  const target = STREAMS * FPS;
  const sim = await runPhase<Result & { encodes: number }>("sim");
  print(sim, target);
  console.log(`${"".padEnd(18)} JPEG encodes ${sim.encodes.toFixed(1)}/s (at most one per face per second)`);
  const avgFrame = sim.received.frames ? Math.round(sim.received.bytes / sim.received.frames) : 60_000;
  const base = await runPhase<Result>("baseline", { BENCH_FRAME_BYTES: String(avgFrame) });
  print(base, target);
  console.log(
    `zoom-sim / baseline: send rate ${((sim.sent / base.sent) * 100).toFixed(0)}%, cpu ${sim.cpuPct.toFixed(0)}% vs ${base.cpuPct.toFixed(0)}%, rss ${mb(sim.rss)} vs ${mb(base.rss)}`,
  );
}
