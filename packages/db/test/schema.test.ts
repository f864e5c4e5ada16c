// Integration: real Postgres. The migrations, the constraints the product relies on, and the cascades.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/client.ts";
import type { DbError } from "../src/errors.ts";
import { Prisma } from "../src/generated/client.ts";
import { prismaCli } from "../src/migrate.ts";
import { seedDemo } from "../src/seed.ts";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "../src/testing.ts";

describe("migrations", () => {
  it("apply to an empty database and leave nothing pending", async () => {
    const empty = await createEmptyDatabase("migrate");
    try {
      const deploy = await prismaCli(["migrate", "deploy"], empty.url);
      expect(deploy).toMatch(/applied|All migrations have been successfully applied/i);
      const status = await prismaCli(["migrate", "status"], empty.url);
      expect(status).toContain("Database schema is up to date!");
      const db = createDb(empty.url);
      const tables = await db.$queryRaw<{ table_name: string }[]>`
        SELECT table_name::text AS table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
      await db.$disconnect();
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining([
          "Team",
          "User",
          "Membership",
          "ZoomApp",
          "Meeting",
          "ZoomRoom",
          "MeetingRoom",
          "CaptureSession",
          "Participant",
          "SessionEvent",
          "Frame",
          "RoomAction",
          "RetryItem",
          "AuditEvent",
        ]),
      );
    } finally {
      await empty.drop();
    }
  });
});

describe("constraints and cascades", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("schema");
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function sessionWithParticipant(streamId: string) {
    const team = await t.db.team.create({ data: { name: "T", slug: `t-${streamId}` } });
    const session = await t.db.captureSession.create({
      data: { teamId: team.id, rtmsStreamId: streamId, meetingUuid: "uuid==", serverUrls: "wss://x" },
    });
    const participant = await t.db.participant.create({
      data: { sessionId: session.id, zoomUserId: "16778240", name: "Ada" },
    });
    return { team, session, participant };
  }

  it("keeps one frame per session + participant + Zoom timestamp", async () => {
    const { session, participant } = await sessionWithParticipant("s-unique");
    const frame = {
      sessionId: session.id,
      participantId: participant.id,
      zoomTimestamp: 1750690000000n,
      storageKey: "a/1.jpg",
      bytes: 10,
      contentHash: "h",
    };
    await t.db.frame.create({ data: frame });
    await expect(t.db.frame.create({ data: frame })).rejects.toMatchObject({ code: "P2002" });
    // A replayed batch is idempotent with skipDuplicates, and a new timestamp is still accepted.
    const replay = await t.db.frame.createMany({
      data: [frame, { ...frame, zoomTimestamp: 1750690000200n, storageKey: "a/2.jpg" }],
      skipDuplicates: true,
    });
    expect(replay.count).toBe(1);
    expect(await t.db.frame.count({ where: { sessionId: session.id } })).toBe(2);
  });

  it("keeps one session per rtms_stream_id", async () => {
    await sessionWithParticipant("s-dup");
    const team = await t.db.team.create({ data: { name: "U", slug: "u-dup" } });
    await expect(
      t.db.captureSession.create({
        data: { teamId: team.id, rtmsStreamId: "s-dup", meetingUuid: "x", serverUrls: "wss://x" },
      }),
    ).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  });

  it("deleting a session removes its participants, events and frames; a meeting's deletion keeps sessions", async () => {
    const { team, session, participant } = await sessionWithParticipant("s-cascade");
    const meeting = await t.db.meeting.create({
      data: { teamId: team.id, meetingNumber: "123456789", name: "M" },
    });
    await t.db.captureSession.update({ where: { id: session.id }, data: { meetingId: meeting.id } });
    await t.db.sessionEvent.create({
      data: { sessionId: session.id, type: "PARTICIPANT_JOIN", zoomUserId: "1" },
    });
    await t.db.frame.create({
      data: {
        sessionId: session.id,
        participantId: participant.id,
        zoomTimestamp: 1n,
        storageKey: "k",
        bytes: 1,
        contentHash: "h",
      },
    });
    await t.db.meeting.delete({ where: { id: meeting.id } });
    const kept = await t.db.captureSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(kept.meetingId).toBeNull();

    await t.db.captureSession.delete({ where: { id: session.id } });
    expect(await t.db.participant.count({ where: { sessionId: session.id } })).toBe(0);
    expect(await t.db.sessionEvent.count({ where: { sessionId: session.id } })).toBe(0);
    expect(await t.db.frame.count({ where: { sessionId: session.id } })).toBe(0);
  });

  it("deleting a team removes everything it owns", async () => {
    const { team } = await sessionWithParticipant("s-team");
    const room = await t.db.zoomRoom.create({ data: { teamId: team.id, zoomRoomId: "r1", name: "Room" } });
    const meeting = await t.db.meeting.create({ data: { teamId: team.id, meetingNumber: "1", name: "M" } });
    await t.db.meetingRoom.create({ data: { meetingId: meeting.id, roomId: room.id } });
    await t.db.roomAction.create({ data: { teamId: team.id, roomId: room.id, kind: "JOIN" } });
    await t.db.retryItem.create({
      data: { teamId: team.id, kind: "ROOM_JOIN", payload: {}, reason: "offline" },
    });
    await t.db.auditEvent.create({ data: { teamId: team.id, action: "test" } });
    await t.db.team.delete({ where: { id: team.id } });
    for (const count of [
      t.db.captureSession.count({ where: { teamId: team.id } }),
      t.db.zoomRoom.count({ where: { teamId: team.id } }),
      t.db.meetingRoom.count({ where: { meetingId: meeting.id } }),
      t.db.roomAction.count({ where: { teamId: team.id } }),
      t.db.retryItem.count({ where: { teamId: team.id } }),
      t.db.auditEvent.count({ where: { teamId: team.id } }),
    ]) {
      expect(await count).toBe(0);
    }
  });

  it("the seed is idempotent and refuses production", async () => {
    const a = await seedDemo(t.db, {
      nodeEnv: "test",
      adminEmail: "Admin@Demo.local",
      adminPassword: "pw-12345678",
    });
    const b = await seedDemo(t.db, {
      nodeEnv: "test",
      adminEmail: "admin@demo.local",
      adminPassword: "pw-12345678",
    });
    expect(b).toEqual(a);
    const membership = await t.db.membership.findFirstOrThrow({ where: { userId: a.userId } });
    expect(membership.role).toBe("OWNER");
    await expect(
      seedDemo(t.db, { nodeEnv: "production", adminEmail: "x@y.z", adminPassword: "pw-12345678" }),
    ).rejects.toMatchObject({ code: "SEED_REFUSED" } satisfies Partial<DbError>);
  });
});
