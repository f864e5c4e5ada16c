// Phase C of the worker bench: coverage. For meetings of 10, 50 and 200 camera-on participants (two of
// whom speak), one EVERYONE-mode and one SPEAKER-mode meeting per size, all running at once in the same
// worker: the time until every camera-on participant has a kept frame, the coverage reached at 60 s and
// at the end (5 min by default), and subscription switches per second. SPEAKER mode is the baseline
// measured in the same run: it can only ever cover the speakers.
// Knobs: BENCH_COVERAGE_SIZES ("10,50,200"), BENCH_COVERAGE_SECONDS (300), BENCH_COVERAGE_DWELL_MS (2000).
import type { Db } from "@capture/db";
import type { LiveMeeting, ZoomSim } from "@capture/zoom-sim";
import { delta, type Samples } from "./metrics.ts";

const SIZES = (process.env.BENCH_COVERAGE_SIZES ?? "10,50,200").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_COVERAGE_SECONDS ?? 300);
const DWELL_MS = Number(process.env.BENCH_COVERAGE_DWELL_MS ?? 2000);
const SPEAKER_TURN_MS = 3_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface CoverageRun {
  mode: "EVERYONE" | "SPEAKER";
  size: number;
  meeting: LiveMeeting;
  streamId: string;
  sessionId?: string;
  /** Seconds from media ready until every camera-on participant had a kept frame. */
  allCoveredAt?: number;
  at60?: number;
  atEnd?: number;
}

export interface CoverageContext {
  sim: ZoomSim;
  db: Db;
  teamId: string;
  scrape: () => Promise<Samples>;
}

export async function runCoveragePhase(ctx: CoverageContext) {
  const { sim, db, teamId, scrape } = ctx;
  const runs: CoverageRun[] = [];
  let number = 800_000_000;
  for (const size of SIZES) {
    for (const mode of ["EVERYONE", "SPEAKER"] as const) {
      const meetingNumber = String(number++);
      await db.meeting.create({
        data: {
          teamId,
          meetingNumber,
          name: `${mode} ${size}`,
          captureMode: mode,
          coverageDwellMs: DWELL_MS,
        },
      });
      const meeting = sim.createMeeting({
        number: meetingNumber,
        participants: Array.from({ length: size }, (_, i) => ({ name: `P${i + 1}` })),
      });
      runs.push({ mode, size, meeting, streamId: "" });
    }
  }
  const before = await scrape();
  const t0 = performance.now();
  for (const run of runs) run.streamId = (await run.meeting.startRtms()).streamId;
  // Only the first two participants of each meeting ever speak.
  let turn = 0;
  const talk = setInterval(() => {
    turn++;
    for (const run of runs) run.meeting.setActiveSpeaker(run.meeting.participants[turn % 2]!.userId);
  }, SPEAKER_TURN_MS);

  const elapsed = () => (performance.now() - t0) / 1000;
  try {
    while (elapsed() < SECONDS) {
      const covered = await coveredBySession(db, runs);
      for (const run of runs) {
        const n = covered.get(run.streamId) ?? 0;
        if (run.allCoveredAt === undefined && n >= run.size) run.allCoveredAt = elapsed();
        if (run.at60 === undefined && elapsed() >= 60) run.at60 = n;
        run.atEnd = n;
      }
      if (runs.every((r) => r.mode === "SPEAKER" || r.allCoveredAt !== undefined) && elapsed() >= 60) break;
      await sleep(1_000);
    }
  } finally {
    clearInterval(talk);
  }
  const after = await scrape();
  const seconds = elapsed();
  const switchesPerSec = delta("capture_video_subscriptions_total", before, after) / seconds;
  for (const run of runs) run.meeting.stopRtms(6);

  const pct = (n: number | undefined, size: number) =>
    n === undefined ? "n/a" : `${n}/${size} (${Math.round((100 * n) / size)}%)`;
  console.log(
    `\nC: coverage, ${SIZES.join("/")} camera-on participants (2 speak), dwell ${DWELL_MS} ms, up to ${SECONDS} s, all meetings at once`,
  );
  console.table(
    runs.map((r) => ({
      meeting: `${r.mode} ${r.size}`,
      "all covered after s": r.allCoveredAt === undefined ? "not reached" : r.allCoveredAt.toFixed(1),
      "covered at 60 s": pct(r.at60, r.size),
      [`covered at end (${seconds.toFixed(0)} s)`]: pct(r.atEnd, r.size),
    })),
  );
  const everyoneStreams = runs.filter((r) => r.mode === "EVERYONE").length;
  console.log(
    `subscription switches: ${switchesPerSec.toFixed(2)}/s over ${everyoneStreams} EVERYONE streams (${(switchesPerSec / everyoneStreams).toFixed(2)}/s per stream)`,
  );
  const fifty = runs.find((r) => r.mode === "EVERYONE" && r.size === 50);
  const checks: [string, boolean][] = [];
  if (fifty) {
    const target = 10 + (50 * DWELL_MS) / 1000;
    const took = fifty.allCoveredAt;
    checks.push([
      `C: 50 participants all covered in ${took === undefined ? "n/a" : took.toFixed(1)} s <= 10 s + 50 x dwell = ${target} s`,
      took !== undefined && took <= target,
    ]);
  }
  for (const r of runs.filter((x) => x.mode === "SPEAKER")) {
    checks.push([`C: SPEAKER ${r.size} covers only the 2 speakers (${r.atEnd})`, r.atEnd === 2]);
  }
  return checks;
}

/** Per stream: participants with at least one kept frame (every participant here has the camera on). */
async function coveredBySession(db: Db, runs: CoverageRun[]): Promise<Map<string, number>> {
  const sessions = await db.captureSession.findMany({
    where: { rtmsStreamId: { in: runs.map((r) => r.streamId) } },
    select: {
      rtmsStreamId: true,
      _count: { select: { participants: { where: { frameCount: { gt: 0 } } } } },
    },
  });
  return new Map(sessions.map((s) => [s.rtmsStreamId, s._count.participants]));
}
