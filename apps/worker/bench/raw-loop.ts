// Runs bench/raw-client.ts (a bare RTMS client in its own process) on fresh zoom-sim streams and
// measures it like a worker: frames received and written per second, CPU per frame, zoom-sim's CPU.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { LiveMeeting, ZoomSim } from "@capture/zoom-sim";
import type { RawConfig } from "./raw-client.ts";
import { loadAvg, numbers, simCounters } from "./streams.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RawLoopResult {
  mode: RawConfig["mode"];
  streams: number;
  load: string;
  framesPerSec: number;
  writtenPerSec: number;
  cpuPct: number;
  /** Client CPU per frame received. */
  cpuUsPerFrame: number;
  simCpuPct: number;
  simSkipped: number;
  dropped: number;
  /** p99 of the raw loop's writeFile over the window ("full" mode; 0 in "scan"). */
  writeP99Ms: number;
}

export async function runRawLoop(o: {
  sim: ZoomSim;
  streams: number;
  mode: RawConfig["mode"];
  seconds: number;
  /** First meeting number: numbers with no Meeting row, so a running worker leaves them alone. */
  from: number;
  warmupSeconds?: number;
}): Promise<RawLoopResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "raw-loop-"));
  const meetings: LiveMeeting[] = [];
  const streams: RawConfig["streams"] = [];
  for (const number of numbers(o.from, o.streams)) {
    const m = o.sim.createMeeting({ number, participants: [{ name: `Face ${meetings.length % 8}` }] });
    const info = await m.startRtms();
    meetings.push(m);
    streams.push({ serverUrls: info.serverUrls, meetingUuid: info.meetingUuid, rtmsStreamId: info.streamId });
  }
  const config: RawConfig = {
    mode: o.mode,
    dir,
    clientId: o.sim.options.rtmsApp.clientId,
    clientSecret: o.sim.options.rtmsApp.clientSecret,
    streams,
  };
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "raw-client.ts")],
    {
      env: { PATH: process.env.PATH, RAW_CONFIG: JSON.stringify(config) },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => {
    lines.push(l);
    waiters.shift()?.();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift()!);
      waiters.push(() => resolve(lines.shift()!));
      void exited.then(() => reject(new Error("raw client exited")));
    });
  const sample = async () => {
    child.stdin!.write("\n");
    return JSON.parse(await nextLine()) as {
      frames: number;
      written: number;
      dropped: number;
      at: number;
      cpuUs: number;
      writeP99Ms: number;
    };
  };
  try {
    if ((await nextLine()) !== "ready") throw new Error("raw client did not get ready");
    await sleep((o.warmupSeconds ?? 5) * 1000);
    const s0 = await sample();
    const sim0 = simCounters(meetings);
    const cpu0 = process.cpuUsage();
    await sleep(o.seconds * 1000);
    const s1 = await sample();
    const cpu1 = process.cpuUsage(cpu0);
    const sim1 = simCounters(meetings);
    const seconds = (s1.at - s0.at) / 1000;
    const frames = s1.frames - s0.frames;
    return {
      mode: o.mode,
      streams: o.streams,
      load: loadAvg(),
      framesPerSec: frames / seconds,
      writtenPerSec: (s1.written - s0.written) / seconds,
      cpuPct: ((s1.cpuUs - s0.cpuUs) / 1e6 / seconds) * 100,
      cpuUsPerFrame: (s1.cpuUs - s0.cpuUs) / Math.max(1, frames),
      simCpuPct: ((cpu1.user + cpu1.system) / 1e6 / seconds) * 100,
      simSkipped: sim1.skipped - sim0.skipped,
      dropped: s1.dropped - s0.dropped,
      writeP99Ms: s1.writeP99Ms,
    };
  } finally {
    for (const m of meetings) m.stopRtms(6);
    child.stdin!.end();
    child.kill("SIGTERM");
    await exited;
    written.push(dir);
  }
}

/** Folders the raw loops wrote, removed only when the bench ends (see removeRawLoopFiles). */
const written: string[] = [];

/**
 * Deletes what every raw loop wrote. Not after each loop: on ext4 without a journal (these VMs), creating
 * files is slower for 30 s after many deletes (the inode allocator skips `recently_deleted` inodes), so a
 * delete between phases would slow the next phase's writes, ours or the raw loop's.
 */
export async function removeRawLoopFiles() {
  for (const dir of written.splice(0)) await rm(dir, { recursive: true, force: true });
}
