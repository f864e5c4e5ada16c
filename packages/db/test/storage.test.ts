// Integration: real Postgres. Team.storedBytes follows every way frames are written and deleted (the
// triggers), the quota admission of insertFrames is exact under concurrent batches, and the reconcile
// repairs a figure changed behind the triggers' back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/client.ts";
import { deleteFrames, type FrameInsert, insertFrames, reconcileStoredBytes } from "../src/frames.ts";
import { purgeSessionFrames } from "../src/storage.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

let t: TestDatabase;
let db: Db;
beforeAll(async () => {
  t = await createTestDatabase("storage");
  db = t.db;
});
afterAll(async () => {
  await t?.drop();
});

let n = 0;
async function session(teamId: string) {
  const s = await db.captureSession.create({
    data: { teamId, rtmsStreamId: `s-${++n}`, meetingUuid: "u", serverUrls: "wss://x" },
  });
  const p = await db.participant.create({ data: { sessionId: s.id, zoomUserId: `u${n}`, name: "P" } });
  return { sessionId: s.id, participantId: p.id };
}

function frames(
  at: { sessionId: string; participantId: string },
  from: number,
  sizes: number[],
): FrameInsert[] {
  return sizes.map((bytes, i) => ({
    ...at,
    zoomTimestamp: from + i,
    storageKey: `${at.sessionId}/${from + i}.jpg`,
    bytes,
    contentType: "image/jpeg",
    contentHash: "0".repeat(64),
  }));
}

async function stored(teamId: string): Promise<number> {
  const team = await db.team.findUniqueOrThrow({ where: { id: teamId } });
  return Number(team.storedBytes);
}

async function summed(teamId: string): Promise<number> {
  const rows = await db.frame.aggregate({ where: { session: { teamId } }, _sum: { bytes: true } });
  return rows._sum.bytes ?? 0;
}

describe("Team.storedBytes", () => {
  it("follows batch inserts, replays, supersede deletes, portal deletes, purges and session deletes", async () => {
    const team = await db.team.create({ data: { slug: "bytes", name: "B" } });
    const other = await db.team.create({ data: { slug: "bytes-other", name: "O" } });
    const a = await session(team.id);
    const b = await session(team.id);
    const o = await session(other.id);
    await insertFrames(db, [...frames(a, 0, [100, 200, 300]), ...frames(o, 0, [7])]);
    expect(await stored(team.id)).toBe(600);
    expect(await stored(other.id)).toBe(7);
    // A replayed batch inserts nothing and adds nothing.
    await insertFrames(db, frames(a, 0, [100, 200, 300]));
    expect(await stored(team.id)).toBe(600);
    // The worker's newest-N supersede.
    await deleteFrames(db, [{ participantId: a.participantId, zoomTimestamp: 1 }]);
    expect(await stored(team.id)).toBe(400);
    // The portal's Prisma writes (create, deleteMany).
    const f = await db.frame.create({
      data: { ...frames(b, 50, [1000])[0]!, zoomTimestamp: 50n },
    });
    expect(await stored(team.id)).toBe(1400);
    await db.frame.deleteMany({ where: { id: f.id } });
    expect(await stored(team.id)).toBe(400);
    // The revoked purge.
    await insertFrames(db, frames(b, 0, [10, 20]));
    expect(await purgeSessionFrames(db, b.sessionId)).toEqual({ frames: 2, bytes: 30 });
    expect(await stored(team.id)).toBe(400);
    // Deleting a session takes its frames (cascade) and their bytes.
    await db.captureSession.delete({ where: { id: a.sessionId } });
    expect(await stored(team.id)).toBe(0);
    expect(await stored(other.id)).toBe(7);
    expect(await summed(team.id)).toBe(0);
  });

  it("the reconcile recomputes a figure changed behind the triggers' back", async () => {
    const team = await db.team.create({ data: { slug: "bytes-rec", name: "R" } });
    const a = await session(team.id);
    await insertFrames(db, frames(a, 0, [5, 6, 7]));
    await db.team.update({ where: { id: team.id }, data: { storedBytes: 999n } });
    expect(await reconcileStoredBytes(db, team.id)).toEqual([{ teamId: team.id, was: 999n, now: 18n }]);
    expect(await stored(team.id)).toBe(18);
    expect(await reconcileStoredBytes(db, team.id)).toEqual([]);
  });
});

describe("insertFrames with enforceQuota", () => {
  it("admits frames up to the quota, refuses the rest, and only that team's", async () => {
    const team = await db.team.create({ data: { slug: "quota", name: "Q", quotaBytes: 1000n } });
    const free = await db.team.create({ data: { slug: "quota-free", name: "F" } });
    const a = await session(team.id);
    const o = await session(free.id);
    const r1 = await insertFrames(db, [...frames(a, 0, [400, 400, 400]), ...frames(o, 0, [5000])], {
      enforceQuota: true,
    });
    expect(r1.refusedForQuota).toEqual([2]);
    expect(await stored(team.id)).toBe(800);
    expect(await stored(free.id)).toBe(5000);
    // A replay of a stored frame is neither refused nor counted.
    const r2 = await insertFrames(db, [...frames(a, 0, [400]), ...frames(a, 10, [200, 1])], {
      enforceQuota: true,
    });
    expect(r2.refusedForQuota).toEqual([2]);
    expect(await stored(team.id)).toBe(1000);
    const p = await db.participant.findUniqueOrThrow({ where: { id: a.participantId } });
    expect(p.frameCount).toBe(3);
    // Without the option (e.g. a resumed session re-adopting files), the quota is not applied.
    await insertFrames(db, frames(a, 20, [1]));
    expect(await stored(team.id)).toBe(1001);
  });

  it("concurrent batches of one team from separate connections never pass the quota together", async () => {
    const team = await db.team.create({ data: { slug: "quota-race", name: "R", quotaBytes: 10_000n } });
    const conns = Array.from({ length: 4 }, () => createDb(t.url, { maxConnections: 1 }));
    try {
      const sessions = await Promise.all(conns.map(() => session(team.id)));
      // Each connection offers 40 frames of 100 bytes: 16,000 offered against 10,000 allowed.
      const results = await Promise.all(
        conns.map(async (c, i) => {
          let refused = 0;
          for (let k = 0; k < 8; k++) {
            const r = await insertFrames(c, frames(sessions[i]!, k * 5, [100, 100, 100, 100, 100]), {
              enforceQuota: true,
            });
            refused += r.refusedForQuota.length;
          }
          return refused;
        }),
      );
      expect(results.reduce((x, y) => x + y, 0)).toBe(60);
      expect(await stored(team.id)).toBe(10_000);
      expect(await summed(team.id)).toBe(10_000);
    } finally {
      await Promise.all(conns.map((c) => c.$disconnect()));
    }
  });
});

describe("lock order", () => {
  /** Resolves once some backend waits for a lock (the statement under test is queued behind ours). */
  async function someoneWaits() {
    for (;;) {
      const [r] = await db.$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`;
      if ((r?.n ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // A transaction that holds the team and then updates the participant (as the portal's frame delete
  // does: the trigger locks Team, then the count is decremented) must not deadlock with the worker's
  // batch for the same participant: the batch takes the team first and waits there.
  for (const kind of ["insertFrames", "deleteFrames"] as const) {
    it(`${kind} takes the team row before the participant's`, async () => {
      const team = await db.team.create({ data: { slug: `lock-${kind}`, name: "L" } });
      const a = await session(team.id);
      await insertFrames(db, frames(a, 0, [10, 20]));
      const other = createDb(t.url, { maxConnections: 1 });
      try {
        let batch!: Promise<unknown>;
        await db.$transaction(
          async (tx) => {
            await tx.$queryRaw`SELECT 1 FROM "Team" WHERE id = ${team.id} FOR NO KEY UPDATE`;
            batch =
              kind === "insertFrames"
                ? insertFrames(other, frames(a, 100, [5]))
                : deleteFrames(other, [{ participantId: a.participantId, zoomTimestamp: 0 }]);
            await someoneWaits();
            await tx.$executeRaw`UPDATE "Participant" SET "frameCount" = "frameCount" WHERE id = ${a.participantId}`;
          },
          { timeout: 20_000 },
        );
        await batch;
      } finally {
        await other.$disconnect();
      }
      expect(await stored(team.id)).toBe(await summed(team.id));
    });
  }
});
