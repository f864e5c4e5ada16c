// Benchmark: insertFrames, the statement the capture worker runs for every batch of frame rows, sent
// straight on the client's pg pool (what insertFrames does) beside the same call through Prisma's own
// driver path (a client without a registered pool, as for a transaction client), same database, same
// batches, in the same run. The figures that matter are CPU per statement in this process (the worker
// runs it on the event loop that also parses frames) and in Postgres (on this project's machines it shares
// the worker's two cores): the server's is read from /proc for every process named postgres, so it
// includes whatever else the server did meanwhile (nothing else runs in a quiet bench).
// Run: source /work/notes/env.sh (or set DATABASE_URL); pnpm --filter @capture/db exec tsx bench/insert-frames.ts
//   BENCH_BATCHES (300 per side and size), BENCH_SIZES ("10,50,200" rows per statement)
import { readdir, readFile } from "node:fs/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import { createDb, type Db } from "../src/client.ts";
import { type FrameInsert, insertFrames } from "../src/frames.ts";
import { PrismaClient } from "../src/generated/client.ts";
import { createTestDatabase } from "../src/testing.ts";

const BATCHES = Number(process.env.BENCH_BATCHES ?? 300);
const SIZES = (process.env.BENCH_SIZES ?? "10,50,200").split(",").map(Number);

/** CPU seconds used so far by every process named postgres (Linux /proc; NaN elsewhere). */
async function postgresCpuSeconds(): Promise<number> {
  let ticks = 0;
  try {
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    }
  } catch {
    return Number.NaN;
  }
  return ticks / 100; // USER_HZ
}

const t = await createTestDatabase("bench-insert-frames");
const direct = createDb(t.url, { maxConnections: 4 });
const viaPrisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: t.url, max: 4 }) }) as Db;
const rows: Record<string, string | number>[] = [];
try {
  const team = await direct.team.create({ data: { slug: "bench", name: "Bench" } });
  const session = await direct.captureSession.create({
    data: { teamId: team.id, rtmsStreamId: "bench", meetingUuid: "u", serverUrls: "wss://x" },
  });
  const participant = await direct.participant.create({
    data: { sessionId: session.id, zoomUserId: "16778240", name: "Bench" },
  });
  let ts = 1_733_000_000_000;
  const batch = (n: number): FrameInsert[] =>
    Array.from({ length: n }, () => {
      ts++;
      return {
        sessionId: session.id,
        participantId: participant.id,
        zoomTimestamp: ts,
        storageKey: `${session.id}/Bench_16778240/${ts}.jpg`,
        bytes: 52_000,
        width: 1280,
        height: 720,
        contentType: "image/jpeg",
        contentHash: "a".repeat(64),
      };
    });
  for (const size of SIZES) {
    for (const [side, db] of [
      ["insertFrames on the pg pool", direct],
      ["baseline: the same through Prisma", viaPrisma],
    ] as const) {
      for (let i = 0; i < 20; i++) await insertFrames(db, batch(size), { enforceQuota: true }); // warm-up
      const server0 = await postgresCpuSeconds();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < BATCHES; i++) await insertFrames(db, batch(size), { enforceQuota: true });
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      const serverUs = ((await postgresCpuSeconds()) - server0) * 1e6;
      rows.push({
        "rows/statement": size,
        side,
        "cpu µs/statement": Math.round((cpu.user + cpu.system) / BATCHES),
        "cpu µs/row": Number(((cpu.user + cpu.system) / BATCHES / size).toFixed(1)),
        "postgres cpu µs/statement": Math.round(serverUs / BATCHES),
        "wall ms/statement": Number((ms / BATCHES).toFixed(2)),
      });
    }
  }
  const count = await direct.frame.count();
  console.log(`insertFrames: ${BATCHES} statements per side and size; ${count} rows written in all`);
  console.table(rows);
} finally {
  await viaPrisma.$disconnect();
  await t.drop();
}
