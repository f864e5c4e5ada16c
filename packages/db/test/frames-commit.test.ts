// Integration: real Postgres. insertFrames({ durable: false }) commits its own statement asynchronously
// (synchronous_commit = off inside that statement's transaction) and leaves the connection as it was.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, poolOf } from "../src/client.ts";
import { type FrameInsert, insertFrames } from "../src/frames.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

let t: TestDatabase;
/** One connection, so the statement after insertFrames runs on the connection insertFrames used. */
let single: Db;
beforeAll(async () => {
  t = await createTestDatabase("frames-commit");
  single = createDb(t.url, { maxConnections: 1 });
});
afterAll(async () => {
  await single?.$disconnect();
  await t?.drop();
});

let n = 0;
async function rows(count: number): Promise<FrameInsert[]> {
  const team = await t.db.team.create({ data: { slug: `commit-${++n}`, name: "C" } });
  const s = await t.db.captureSession.create({
    data: { teamId: team.id, rtmsStreamId: `c-${n}`, meetingUuid: "u", serverUrls: "wss://x" },
  });
  const p = await t.db.participant.create({ data: { sessionId: s.id, zoomUserId: "u1", name: "P" } });
  return Array.from({ length: count }, (_, i) => ({
    sessionId: s.id,
    participantId: p.id,
    zoomTimestamp: i,
    storageKey: `${s.id}/${i}.jpg`,
    bytes: 100,
    contentType: "image/jpeg",
    contentHash: "0".repeat(64),
  }));
}

async function setting(db: Db): Promise<string> {
  const r = await poolOf(db)!.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
  return r.rows[0]!.synchronous_commit;
}

describe("insertFrames durability", () => {
  it("a non-durable batch is committed and the connection keeps its own setting", async () => {
    expect(await setting(single)).toBe("on");
    const batch = await rows(3);
    await insertFrames(single, batch, { durable: false, enforceQuota: true });
    expect(await t.db.frame.count({ where: { sessionId: batch[0]!.sessionId } })).toBe(3);
    expect(await setting(single)).toBe("on");
  });

  it("turns synchronous_commit off for the statement's transaction only when asked", async () => {
    const inTx = (durable: boolean | undefined) =>
      t.db.$transaction(async (tx) => {
        await insertFrames(tx as Db, await rows(2), durable === undefined ? {} : { durable });
        const [r] = await tx.$queryRaw<{ synchronous_commit: string }[]>`SHOW synchronous_commit`;
        return r!.synchronous_commit;
      });
    expect(await inTx(false)).toBe("off");
    expect(await inTx(true)).toBe("on");
    expect(await inTx(undefined)).toBe("on");
  });
});
