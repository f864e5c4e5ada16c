// The storage guards in process, against real Postgres, with the free-space reading injected through the
// ReadDisk seam: the disk guard admits frames only while they fit above the floor (subtracting what it
// admitted since the last reading and what was in flight at it), reports the state to its heartbeat row
// and clears it when a reading shows room; team quotas admit up to the quota, for that team only.
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics.ts";
import { DiskGuard, type DiskReading, StorageGuard, TeamQuotas } from "./storage-guard.ts";

const log = createLogger("silent");
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("storage-guard");
});
afterAll(async () => {
  await t?.drop();
});

const FLOOR = 1_000_000;

function diskGuard(read: () => Promise<DiskReading>, workerId: string, metrics: Metrics, percent = 0) {
  return new DiskGuard({
    read,
    minFreeBytes: FLOOR,
    minFreePercent: percent,
    checkMs: 60_000,
    db: t.db,
    store: { delete: async () => true },
    metrics,
    log,
    workerId,
    deleteOldest: false,
    headroomBytes: 0,
  });
}

describe("DiskGuard", () => {
  it("stops admitting before the floor, reports low, and clears when a reading shows room", async () => {
    let reading: DiskReading = { freeBytes: FLOOR + 100_000, totalBytes: 10 * FLOOR };
    const metrics = new Metrics({ defaultMetrics: false });
    const guard = diskGuard(async () => reading, "guard-1", metrics);
    await guard.start();
    try {
      expect(guard.low).toBe(false);
      // Three frames of 30 kB fit above the floor; the fourth would not (the reading is not re-taken).
      expect([1, 2, 3, 4].map(() => guard.reserve(30_000))).toEqual([true, true, true, false]);
      expect(guard.low).toBe(true);
      expect(guard.blocked()).toBe(true);
      expect((await metrics.localStoreLowDisk.get()).values[0]?.value).toBe(1);
      // The heartbeat row follows the state change without waiting for the next reading.
      await expect
        .poll(
          async () => (await t.db.workerDiskState.findUnique({ where: { workerId: "guard-1" } }))?.lowDisk,
        )
        .toBe(true);

      // The 90 kB are written; a bigger disk (or space freed): the next reading lets frames in again.
      for (let i = 0; i < 3; i++) guard.settle(30_000);
      reading = { freeBytes: FLOOR + 10_000_000, totalBytes: 10 * FLOOR };
      await guard.check();
      expect(guard.estimatedFreeBytes).toBe(FLOOR + 10_000_000);
      // A frame still in flight at a reading is counted against it (it may not be in it yet).
      expect(guard.reserve(30_000)).toBe(true);
      await guard.check();
      expect(guard.estimatedFreeBytes).toBe(FLOOR + 10_000_000 - 30_000);
      expect(guard.low).toBe(false);
      expect((await metrics.localStoreLowDisk.get()).values[0]?.value).toBe(0);
      const row = await t.db.workerDiskState.findUniqueOrThrow({ where: { workerId: "guard-1" } });
      expect(row).toMatchObject({ lowDisk: false, lowSince: null, floorBytes: BigInt(FLOOR) });
    } finally {
      await guard.close();
    }
    // A worker that shuts down takes its row with it.
    expect(await t.db.workerDiskState.count({ where: { workerId: "guard-1" } })).toBe(0);
  });

  it("the floor is the larger of the bytes and the percent of the disk", async () => {
    const read = async () => ({ freeBytes: 50 * FLOOR, totalBytes: 100 * FLOOR });
    const guard = diskGuard(read, "guard-2", new Metrics({ defaultMetrics: false }), 10);
    await guard.start();
    expect(guard.floorBytes).toBe(10 * FLOOR);
    await guard.close();
  });
});

describe("TeamQuotas", () => {
  it("admits a team's frames up to its quota and leaves other teams alone", async () => {
    const limited = await t.db.team.create({ data: { slug: "g-limited", name: "L", quotaBytes: 1000n } });
    const free = await t.db.team.create({ data: { slug: "g-free", name: "F" } });
    const quotas = new TeamQuotas({ db: t.db, log, refreshMs: 60_000 });
    await quotas.start();
    const guard = new StorageGuard(quotas);
    try {
      expect(guard.blocked(limited.id)).toBeUndefined();
      expect([400, 400, 400].map((n) => guard.reserve(limited.id, n))).toEqual([
        undefined,
        undefined,
        "quota",
      ]);
      // 200 bytes are left, less than the last frame asked for: the team is blocked before its policy runs.
      expect(guard.blocked(limited.id)).toBe("quota");
      expect(guard.reserve(free.id, 1_000_000)).toBeUndefined();
      expect(guard.blocked(free.id)).toBeUndefined();
      // Raised in the portal: the next refresh lets the team write again.
      await t.db.team.update({ where: { id: limited.id }, data: { quotaBytes: 100_000n } });
      await quotas.refresh();
      expect(guard.blocked(limited.id)).toBeUndefined();
    } finally {
      quotas.stop();
    }
  });
});
