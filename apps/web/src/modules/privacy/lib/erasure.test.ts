// Erasing a person and the retention setting, against real Postgres, real files in a local frame store and
// a real thumbnail cache: a person in 3 sessions leaves 0 rows and 0 objects (the verification says so),
// others are untouched, and the audit holds counts but never the name.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  makeJpeg,
  type TestDatabase,
} from "../../../../test/fixtures.ts";
import { ThumbnailCache } from "../../gallery/lib/thumbnails.ts";
import { type Member, resolveMember } from "../../teams/lib/membership.ts";
import { ERASED_NAME, erasePeople, searchPeople, verifyErasure } from "./erasure.ts";
import { setMeetingRetention, setTeamRetention, TeamRetentionInput } from "./retention.ts";
import { getStorageUsage, setTeamQuota, TeamQuotaInput } from "./storage.ts";

let t: TestDatabase;
let dir: string;
let store: LocalDiskFrameStore;
let thumbnails: ThumbnailCache;
const silent = { warn() {}, error() {} };

beforeAll(async () => {
  t = await createTestDatabase("privacy");
  dir = await mkdtemp(path.join(tmpdir(), "web-privacy-"));
  store = new LocalDiskFrameStore({ rootDir: path.join(dir, "frames") });
  thumbnails = new ThumbnailCache({ cacheDir: path.join(dir, "thumbs"), store });
});
afterAll(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function memberOf(userId: string, teamId: string): Promise<Member> {
  const m = await resolveMember(t.db, userId, teamId);
  if (!m) throw new Error("no member");
  return m;
}

/** A session with the given people, each with `frames` real frames on disk and rows. */
async function sessionWith(teamId: string, people: { name: string; zoomUserId: string; frames: number }[]) {
  const session = await t.db.captureSession.create({
    data: {
      teamId,
      rtmsStreamId: `s-${Math.random().toString(36).slice(2)}`,
      meetingUuid: "u",
      serverUrls: "ws://127.0.0.1:1/s",
      state: "STOPPED",
      endedAt: new Date(),
    },
  });
  const jpeg = await makeJpeg(64, 48);
  const out: { participantId: string; keys: string[]; frameIds: string[] }[] = [];
  for (const p of people) {
    const participant = await t.db.participant.create({
      data: { sessionId: session.id, zoomUserId: p.zoomUserId, name: p.name, frameCount: p.frames },
    });
    await t.db.sessionEvent.create({
      data: {
        sessionId: session.id,
        type: "PARTICIPANT_JOIN",
        zoomUserId: p.zoomUserId,
        data: { userName: p.name },
      },
    });
    const keys: string[] = [];
    const frameIds: string[] = [];
    for (let i = 0; i < p.frames; i++) {
      const ts = 1_700_000_000_000 + i;
      const stored = await store.put(
        { sessionKey: session.id, userName: p.name, userId: p.zoomUserId, timestamp: ts, format: "jpg" },
        jpeg,
      );
      const f = await t.db.frame.create({
        data: {
          sessionId: session.id,
          participantId: participant.id,
          zoomTimestamp: BigInt(ts),
          storageKey: stored.storageKey,
          bytes: stored.bytes,
          contentHash: "0".repeat(64),
        },
      });
      keys.push(stored.storageKey);
      frameIds.push(f.id);
    }
    out.push({ participantId: participant.id, keys, frameIds });
  }
  return { session, people: out };
}

async function countExisting(keys: string[]) {
  let n = 0;
  for (const k of keys) if (await store.exists(k)) n++;
  return n;
}

describe("erase a person", () => {
  it("erases one person across 3 sessions: 0 rows, 0 objects, names tombstoned, counts audited", async () => {
    const { team, user } = await createTeamWithUser(t.db, "ADMIN", "erase");
    const actor = await memberOf(user.id, team.id);
    const s1 = await sessionWith(team.id, [
      { name: "Grace Hopper", zoomUserId: "100", frames: 4 },
      { name: "Alan Turing", zoomUserId: "200", frames: 3 },
    ]);
    const s2 = await sessionWith(team.id, [{ name: "grace hopper", zoomUserId: "101", frames: 2 }]);
    const s3 = await sessionWith(team.id, [{ name: "Grace Hopper (Room)", zoomUserId: "102", frames: 5 }]);
    // Another team's Grace is not found and not touched.
    const other = await createTeamWithUser(t.db, "ADMIN", "other");
    const s4 = await sessionWith(other.team.id, [{ name: "Grace Hopper", zoomUserId: "100", frames: 2 }]);
    // A cached thumbnail of one of her frames, which erasure must remove too.
    const grace1 = s1.people[0]!;
    await thumbnails.get({ id: grace1.frameIds[0]!, storageKey: grace1.keys[0]! });
    const thumbFile = thumbnails.pathFor(grace1.frameIds[0]!);
    expect(existsSync(thumbFile)).toBe(true);

    const found = await searchPeople(t.db, actor, "grace");
    expect(found.matches.map((m) => m.participantId).sort()).toEqual(
      [grace1.participantId, s2.people[0]!.participantId, s3.people[0]!.participantId].sort(),
    );
    expect(found).toMatchObject({ sessions: 3, frames: 11 });
    expect(found.bytes).toBeGreaterThan(0);
    // By Zoom user id, exactly.
    const byId = await searchPeople(t.db, actor, "200");
    expect(byId.matches.map((m) => m.name)).toEqual(["Alan Turing"]);

    const usedBefore = (await getStorageUsage(t.db, team.id)).storedBytes;
    const result = await erasePeople(
      { db: t.db, store, thumbnails, log: silent },
      actor,
      found.matches.map((m) => m.participantId),
      "127.0.0.1",
    );
    // The team's stored bytes (kept by the database's Frame triggers) lose exactly what was erased.
    expect((await getStorageUsage(t.db, team.id)).storedBytes).toBe(usedBefore - found.bytes);
    expect(result).toMatchObject({
      participants: 3,
      sessions: 3,
      frames: 11,
      bytes: found.bytes,
      remainingRows: 0,
      remainingObjects: 0,
    });

    const erasedKeys = [...grace1.keys, ...s2.people[0]!.keys, ...s3.people[0]!.keys];
    expect(await countExisting(erasedKeys)).toBe(0);
    expect(
      await t.db.frame.count({ where: { participantId: { in: found.matches.map((m) => m.participantId) } } }),
    ).toBe(0);
    expect(existsSync(thumbFile)).toBe(false);
    const erased = await t.db.participant.findMany({
      where: { id: { in: found.matches.map((m) => m.participantId) } },
    });
    for (const p of erased) {
      expect(p.name).toBe(ERASED_NAME);
      expect(p.zoomUserId).not.toMatch(/^10[012]$/);
      expect(p.erasedAt).not.toBeNull();
      expect(p.frameCount).toBe(0);
    }
    // Her session events lost their details; Alan's kept his.
    const events = await t.db.sessionEvent.findMany({ where: { sessionId: s1.session.id } });
    expect(JSON.stringify(events)).not.toMatch(/grace/i);
    expect(JSON.stringify(events)).toMatch(/Alan Turing/);
    // Nothing of hers is found any more; others are intact.
    expect((await searchPeople(t.db, actor, "grace")).matches).toHaveLength(0);
    expect(await countExisting(s1.people[1]!.keys)).toBe(3);
    expect(await t.db.frame.count({ where: { sessionId: s4.session.id } })).toBe(2);
    expect(await countExisting(s4.people[0]!.keys)).toBe(2);

    const audit = await t.db.auditEvent.findMany({ where: { teamId: team.id, action: "person.erase" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toMatchObject({ participants: 3, sessions: 3, frames: 11, remainingRows: 0 });
    expect(JSON.stringify(audit[0])).not.toMatch(/grace|hopper/i);
  });

  it("a file no row names in the person's folder is erased too; the verification would count it", async () => {
    const { team, user } = await createTeamWithUser(t.db, "OWNER", "orphan");
    const actor = await memberOf(user.id, team.id);
    const s = await sessionWith(team.id, [{ name: "Edsger", zoomUserId: "7", frames: 1 }]);
    // A file without a row (a write that raced an earlier delete).
    const orphan = await store.put(
      { sessionKey: s.session.id, userName: "Edsger", userId: "7", timestamp: 42, format: "jpg" },
      await makeJpeg(16, 16),
    );
    const r = await erasePeople({ db: t.db, store, thumbnails, log: silent }, actor, [
      s.people[0]!.participantId,
    ]);
    expect(r).toMatchObject({ frames: 1, remainingRows: 0, remainingObjects: 0 });
    expect(await store.exists(orphan.storageKey)).toBe(false);
    // The verification re-reads the store: a file written there afterwards shows as remaining.
    const late = await store.put(
      { sessionKey: s.session.id, userName: "Edsger", userId: "7", timestamp: 43, format: "jpg" },
      await makeJpeg(16, 16),
    );
    const folder = late.storageKey.slice(0, late.storageKey.lastIndexOf("/") + 1);
    expect(
      await verifyErasure(
        { db: t.db, store },
        [{ id: s.people[0]!.participantId, sessionId: s.session.id, folder }],
        [],
      ),
    ).toEqual({ remainingRows: 0, remainingObjects: 1 });
  });

  it("a viewer may neither search nor erase; another team's participant is not found", async () => {
    const { team, user } = await createTeamWithUser(t.db, "VIEWER", "viewer");
    const viewer = await memberOf(user.id, team.id);
    await expect(searchPeople(t.db, viewer, "anyone")).rejects.toMatchObject({ code: "FORBIDDEN" });
    const admin = await createTeamWithUser(t.db, "ADMIN", "admin2");
    const s = await sessionWith(team.id, [{ name: "Barbara", zoomUserId: "9", frames: 1 }]);
    await expect(
      erasePeople(
        { db: t.db, store, thumbnails, log: silent },
        await memberOf(admin.user.id, admin.team.id),
        [s.people[0]!.participantId],
      ),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await countExisting(s.people[0]!.keys)).toBe(1);
  });
});

describe("retention setting", () => {
  it("parses days, 0 and empty, refuses junk, and audits each change with old and new values", async () => {
    expect(TeamRetentionInput.parse({ retentionDays: " 7 " }).retentionDays).toBe(7);
    expect(TeamRetentionInput.parse({ retentionDays: "0" }).retentionDays).toBe(0);
    expect(TeamRetentionInput.parse({ retentionDays: "" }).retentionDays).toBeNull();
    for (const bad of ["-1", "1.5", "abc", "99999"])
      expect(TeamRetentionInput.safeParse({ retentionDays: bad }).success).toBe(false);

    const { team, user } = await createTeamWithUser(t.db, "ADMIN", "ret");
    const actor = await memberOf(user.id, team.id);
    await setTeamRetention(t.db, actor, 14, "10.0.0.1");
    await setTeamRetention(t.db, actor, 0);
    expect((await t.db.team.findUniqueOrThrow({ where: { id: team.id } })).retentionDays).toBe(0);
    const meeting = await t.db.meeting.create({ data: { teamId: team.id, meetingNumber: "1", name: "M" } });
    await setMeetingRetention(t.db, actor, meeting.id, 30);
    expect((await t.db.meeting.findUniqueOrThrow({ where: { id: meeting.id } })).retentionDays).toBe(30);
    const audit = await t.db.auditEvent.findMany({
      where: { teamId: team.id, action: "retention.update" },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.targetType, a.data])).toEqual([
      ["team", { from: null, to: 14 }],
      ["team", { from: 14, to: 0 }],
      ["meeting", { from: null, to: 30 }],
    ]);

    const viewerUser = await t.db.user.create({
      data: { email: "v@ret.test", name: "V", passwordHash: "x" },
    });
    await t.db.membership.create({ data: { teamId: team.id, userId: viewerUser.id, role: "VIEWER" } });
    await expect(setTeamRetention(t.db, await memberOf(viewerUser.id, team.id), 1)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const other = await createTeamWithUser(t.db, "ADMIN", "ret-other");
    await expect(
      setMeetingRetention(t.db, await memberOf(other.user.id, other.team.id), meeting.id, 1),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("storage quota setting", () => {
  it("parses megabytes and empty, refuses junk, audits each change, and shows usage against it", async () => {
    expect(TeamQuotaInput.parse({ quotaMb: " 250 " }).quotaMb).toBe(250_000_000n);
    expect(TeamQuotaInput.parse({ quotaMb: "0.06" }).quotaMb).toBe(60_000n);
    expect(TeamQuotaInput.parse({ quotaMb: "" }).quotaMb).toBeNull();
    for (const bad of ["0", "-1", "1.2345", "abc", "1e9", "999999999999"])
      expect(TeamQuotaInput.safeParse({ quotaMb: bad }).success).toBe(false);

    const { team, user } = await createTeamWithUser(t.db, "ADMIN", "quota");
    const actor = await memberOf(user.id, team.id);
    await sessionWith(team.id, [{ name: "Q", zoomUserId: "1", frames: 2 }]);
    const used = (await getStorageUsage(t.db, team.id)).storedBytes;
    expect(used).toBeGreaterThan(0);
    expect(await getStorageUsage(t.db, team.id)).toEqual({
      quotaBytes: null,
      storedBytes: used,
      percent: null,
    });
    await setTeamQuota(t.db, actor, BigInt(used * 4), "10.0.0.2");
    expect(await getStorageUsage(t.db, team.id)).toEqual({
      quotaBytes: used * 4,
      storedBytes: used,
      percent: 25,
    });
    await setTeamQuota(t.db, actor, null);
    const audit = await t.db.auditEvent.findMany({
      where: { teamId: team.id, action: "quota.update" },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.data, a.ip])).toEqual([
      [{ from: null, to: used * 4 }, "10.0.0.2"],
      [{ from: used * 4, to: null }, null],
    ]);
    const viewerUser = await t.db.user.create({
      data: { email: "v@quota.test", name: "V", passwordHash: "x" },
    });
    await t.db.membership.create({ data: { teamId: team.id, userId: viewerUser.id, role: "VIEWER" } });
    await expect(setTeamQuota(t.db, await memberOf(viewerUser.id, team.id), 1n)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
