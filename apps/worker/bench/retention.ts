// Retention deletion throughput: BENCH_RETENTION_FRAMES (100,000) expired frames, objects on the local
// frame store and rows in real Postgres, deleted by the retention sweep (batches: objects first, then one
// transaction of rows with the audit counts), beside a baseline measured in the same run on an identical
// copy: a plain loop of `DELETE FROM "Frame" WHERE id = $1` and `unlink` per frame.
// Figures: frames/s for each (objects plus rows), and the ratio.
// Run: pnpm --filter @capture/worker exec tsx bench/retention.ts (needs DATABASE_URL, like the tests).
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Db, insertFrames } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { createLogger } from "../src/logger.ts";
import { runRetentionSweep } from "../src/retention/sweep.ts";

const FRAMES = Number(process.env.BENCH_RETENTION_FRAMES ?? 100_000);
const PER_SESSION = 5_000;
const BATCH = Number(process.env.BENCH_RETENTION_BATCH ?? 500);
const JPEG = Buffer.alloc(2048, 7);

async function seed(db: Db, store: LocalDiskFrameStore, teamId: string): Promise<void> {
  const old = new Date(Date.now() - 10 * 86_400_000);
  for (let done = 0; done < FRAMES; done += PER_SESSION) {
    const s = await db.captureSession.create({
      data: {
        teamId,
        rtmsStreamId: `bench-${done}`,
        meetingUuid: "u",
        serverUrls: "wss://127.0.0.1/x",
        startedAt: old,
        endedAt: old,
        state: "STOPPED",
      },
    });
    const p = await db.participant.create({ data: { sessionId: s.id, zoomUserId: "1", name: "Bench" } });
    const n = Math.min(PER_SESSION, FRAMES - done);
    for (let i = 0; i < n; i += 1000) {
      const rows = [];
      const writes = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const frame = {
          sessionKey: s.id,
          userName: "Bench",
          userId: 1,
          timestamp: j,
          format: "jpg" as const,
        };
        writes.push(store.put(frame, JPEG));
        rows.push({
          sessionId: s.id,
          participantId: p.id,
          zoomTimestamp: j,
          storageKey: store.storageKeyFor(frame),
          bytes: JPEG.length,
          contentType: "image/jpeg",
          contentHash: "0".repeat(64),
        });
      }
      await Promise.all(writes);
      await insertFrames(db, rows);
    }
    await db.frame.updateMany({ where: { sessionId: s.id }, data: { createdAt: old } });
  }
}

async function setup(label: string) {
  const testDb = await createTestDatabase(label);
  const dir = await mkdtemp(path.join(tmpdir(), `bench-${label}-`));
  const store = new LocalDiskFrameStore({ rootDir: dir });
  const team = await testDb.db.team.create({ data: { slug: label, name: label, retentionDays: 7 } });
  await seed(testDb.db, store, team.id);
  return {
    ...testDb,
    dir,
    store,
    async close() {
      await testDb.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main() {
  process.stdout.write(`seeding 2 x ${FRAMES} expired frames (objects + rows)...\n`);
  const base = await setup("retbase");
  const sweep = await setup("retsweep");
  try {
    // Baseline: one DELETE and one unlink per frame, in a loop.
    const rows = await base.db.$queryRaw<{ id: string; storageKey: string }[]>`
      SELECT id, "storageKey" FROM "Frame"`;
    let t0 = performance.now();
    for (const r of rows) {
      await unlink(path.join(base.dir, r.storageKey));
      await base.db.$executeRaw`DELETE FROM "Frame" WHERE id = ${r.id}`;
    }
    const baseSec = (performance.now() - t0) / 1000;
    const baseLeft = await base.db.frame.count();

    t0 = performance.now();
    const result = await runRetentionSweep(
      { db: sweep.db, store: sweep.store, log: createLogger("silent"), batchSize: BATCH },
      "bench",
    );
    const sweepSec = (performance.now() - t0) / 1000;
    const sweepLeft = await sweep.db.frame.count();

    const baseRate = rows.length / baseSec;
    const sweepRate = result.frames / sweepSec;
    process.stdout.write(
      [
        `retention deletion, ${FRAMES} expired frames (local store + Postgres), batch ${BATCH}`,
        `  baseline DELETE+unlink loop: ${rows.length} frames in ${baseSec.toFixed(1)} s = ${baseRate.toFixed(0)} frames/s (left: ${baseLeft})`,
        `  retention sweep:             ${result.frames} frames in ${sweepSec.toFixed(1)} s = ${sweepRate.toFixed(0)} frames/s (left: ${sweepLeft}, sessions marked: ${result.sessionsExpired})`,
        `  ratio sweep/baseline: ${(sweepRate / baseRate).toFixed(2)}x`,
        "",
      ].join("\n"),
    );
  } finally {
    await base.close();
    await sweep.close();
  }
}

await main();
