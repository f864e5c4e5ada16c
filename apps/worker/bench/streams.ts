// Bench streams: zoom-sim meetings with one camera-on participant each, started on a ramp and waited
// for until the worker(s) run them; the sim-side counters of what was sent and what was skipped because
// the client lagged (zoom-sim drops a frame rather than buffer it when a socket is behind).
import { readFileSync } from "node:fs";
import type { Db, Prisma } from "@capture/db";
import type { LiveMeeting, ZoomSim } from "@capture/zoom-sim";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));

/** Meeting rows the worker will capture (the bench team does not capture unknown meetings). */
export async function createMeetings(
  db: Db,
  teamId: string,
  from: number,
  n: number,
  framePolicy?: Prisma.InputJsonValue,
) {
  await db.meeting.createMany({
    data: numbers(from, n).map((meetingNumber) => ({
      teamId,
      meetingNumber,
      name: meetingNumber,
      captureMode: "SPEAKER" as const,
      ...(framePolicy ? { framePolicy } : {}),
    })),
  });
}

export interface StartOptions {
  sim: ZoomSim;
  faces: number;
  /** Sessions the worker(s) run now (summed over workers). */
  activeSessions: () => Promise<number>;
  /** Streams started per second (a ramp, as meetings start in real life). Default 100. */
  perSecond?: number;
  /** Wait until this many more sessions are active than before (default n). */
  expectActive?: number;
  timeoutMs?: number;
  /** Return once the timeout passes with fewer sessions active instead of throwing (phase A reports it). */
  allowPartial?: boolean;
}

export async function startStreams(o: StartOptions, from: number, n: number): Promise<LiveMeeting[]> {
  const activeBefore = await o.activeSessions();
  const meetings: LiveMeeting[] = [];
  const batch = 20;
  const pause = (1000 * batch) / (o.perSecond ?? 100);
  for (const number of numbers(from, n)) {
    const m = o.sim.createMeeting({ number, participants: [{ name: `Face ${meetings.length % o.faces}` }] });
    await m.startRtms();
    meetings.push(m);
    if (meetings.length % batch === 0) await sleep(pause);
  }
  const want = activeBefore + (o.expectActive ?? n);
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const active = await o.activeSessions();
    if (active >= want) break;
    if (Date.now() > deadline) {
      if (o.allowPartial) {
        console.log(`only ${active - activeBefore}/${n} sessions active after ${o.timeoutMs ?? 120_000} ms`);
        break;
      }
      throw new Error(`only ${active}/${want} sessions active`);
    }
    await sleep(500);
  }
  return meetings;
}

/** Stops the streams, then waits until no session runs and the row buffer is empty. */
export async function stopStreams(
  meetings: LiveMeeting[],
  idle: () => Promise<{ active: number; dbBufferBytes: number }>,
) {
  for (const m of meetings) m.stopRtms(6);
  // Let the writer drain too, so one phase's backlog does not spill into the next one's figures.
  for (let i = 0; i < 120; i++) {
    const s = await idle();
    if (s.active === 0 && s.dbBufferBytes === 0) return;
    await sleep(500);
  }
}

/** zoom-sim's own counters over these streams: frames sent, and skipped because the client lagged. */
export function simCounters(meetings: LiveMeeting[]) {
  let sent = 0;
  let skipped = 0;
  for (const m of meetings) {
    sent += m.stream?.counters.framesSent ?? 0;
    skipped += m.stream?.counters.framesSkipped ?? 0;
  }
  return { sent, skipped };
}

/** The 1-minute load average, printed beside every figure (other work shares the two cores). */
export const loadAvg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
