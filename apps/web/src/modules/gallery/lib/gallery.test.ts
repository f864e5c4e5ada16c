// Galleries against real Postgres and real files: keyset pages, thumbnails (size, disk cache), the streamed
// zip, and deletes (rows, counts, files, audit).
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCapturedSession,
  createTeamWithUser,
  createTestDatabase,
  makeJpeg,
  readZipEntries,
  type TestDatabase,
} from "../../../../test/fixtures.ts";
import { resolveMember } from "../../teams/lib/membership.ts";
import { deleteFrame, deleteParticipantFrames } from "./delete-frames.ts";
import { getFrame, listFramesPage } from "./frames.ts";
import { ThumbnailCache } from "./thumbnails.ts";
import { participantZip, zipFilename } from "./zip.ts";

let t: TestDatabase;
let dir: string;
let store: LocalDiskFrameStore;
const silent = { warn() {}, error() {} };

beforeAll(async () => {
  t = await createTestDatabase("gallery");
  dir = await mkdtemp(path.join(tmpdir(), "web-gallery-"));
  store = new LocalDiskFrameStore({ rootDir: path.join(dir, "frames") });
});
afterAll(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

/** A participant with `n` real frames on disk and matching rows. */
async function seedFrames(teamId: string, n: number) {
  const { session, participant } = await createCapturedSession(t.db, teamId);
  const jpeg = await makeJpeg(640, 360);
  for (let i = 0; i < n; i++) {
    const ts = 1_700_000_000_000 + i * 200;
    const stored = await store.put(
      {
        sessionKey: session.id,
        userName: "Ada",
        userId: participant.zoomUserId,
        timestamp: ts,
        format: "jpg",
      },
      jpeg,
    );
    await t.db.frame.create({
      data: {
        sessionId: session.id,
        participantId: participant.id,
        zoomTimestamp: BigInt(ts),
        storageKey: stored.storageKey,
        bytes: stored.bytes,
        width: 640,
        height: 360,
        contentHash: "x",
      },
    });
  }
  await t.db.participant.update({ where: { id: participant.id }, data: { frameCount: n } });
  return { session, participant, jpeg };
}

describe("gallery pages", () => {
  it("walks every frame exactly once, newest first, with a keyset cursor", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "g1");
    const { participant } = await createCapturedSession(t.db, team.id, { frames: 130 });
    const seen: string[] = [];
    let before: bigint | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await listFramesPage(t.db, team.id, participant.id, { before, limit: 50 });
      seen.push(...page.frames.map((f) => f.zoomTimestamp));
      if (!page.nextCursor) break;
      before = BigInt(page.nextCursor);
    }
    expect(seen).toHaveLength(130);
    expect(new Set(seen).size).toBe(130);
    expect(seen).toEqual([...seen].sort((a, b) => Number(BigInt(b) - BigInt(a))));
  });
});

describe("thumbnails", () => {
  it("are small JPEGs, rendered once and then served from the disk cache", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "g2");
    const { participant } = await seedFrames(team.id, 1);
    const frame = await t.db.frame.findFirstOrThrow({ where: { participantId: participant.id } });
    const full = await makeJpeg(1280, 720, 7);
    await store.put(
      {
        sessionKey: frame.sessionId,
        userName: "Ada",
        userId: participant.zoomUserId,
        timestamp: Number(frame.zoomTimestamp),
        format: "jpg",
      },
      full,
    );
    const cache = new ThumbnailCache({ cacheDir: path.join(dir, "thumbs"), store });
    const [a, b] = await Promise.all([cache.get(frame), cache.get(frame)]);
    expect(a.cached).toBe(false);
    expect(b.data.equals(a.data)).toBe(true);
    expect(a.data.length).toBeLessThan(20 * 1024);
    expect(a.data.length).toBeLessThan(full.length);
    expect(a.data.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect((await stat(cache.pathFor(frame.id))).size).toBe(a.data.length);
    const again = await cache.get(frame);
    expect(again.cached).toBe(true);
    await cache.delete(frame.id);
    await expect(stat(cache.pathFor(frame.id))).rejects.toThrow();
  });

  it("stay under the size bound even for a noisy worst-case picture", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "g6");
    const { participant } = await seedFrames(team.id, 1);
    const frame = await t.db.frame.findFirstOrThrow({ where: { participantId: participant.id } });
    const sharp = (await import("sharp")).default;
    const noise = Buffer.from(Array.from({ length: 1280 * 720 * 3 }, () => Math.floor(Math.random() * 256)));
    const noisy = await sharp(noise, { raw: { width: 1280, height: 720, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    await store.put(
      {
        sessionKey: frame.sessionId,
        userName: "Ada",
        userId: participant.zoomUserId,
        timestamp: Number(frame.zoomTimestamp),
        format: "jpg",
      },
      noisy,
    );
    const cache = new ThumbnailCache({ cacheDir: path.join(dir, "thumbs-noisy"), store });
    const { data } = await cache.get(frame);
    expect(data.length).toBeLessThanOrEqual(cache.maxBytes);
    expect(cache.maxBytes).toBeLessThan(20 * 1024);
    expect((await sharp(data).metadata()).width).toBe(320);
  });

  it("refuse ids that could escape the cache folder", () => {
    const cache = new ThumbnailCache({ cacheDir: dir, store });
    expect(() => cache.pathFor("../../etc/passwd")).toThrow();
  });
});

describe("zip export", () => {
  it("streams every frame of the participant, named by timestamp, byte for byte", async () => {
    const { team } = await createTeamWithUser(t.db, "OWNER", "g3");
    const { participant, jpeg } = await seedFrames(team.id, 12);
    const zip = await participantZip({ db: t.db, store }, team.id, participant.id);
    expect(zip.filename).toBe("Ada_Lovelace_16778240.zip");
    const entries = readZipEntries(await buffer(zip.stream));
    expect(entries).toHaveLength(12);
    expect(entries.map((e) => e.name)).toContain("1700000000000.jpg");
    for (const e of entries) expect(e.data.equals(jpeg)).toBe(true);
  });

  it("makes safe download names from untrusted participant names", () => {
    expect(zipFilename('../"evil"\r\nname', "1/2")).toBe("evil_name_1_2.zip");
    expect(zipFilename("", "")).toBe("participant_user.zip");
  });
});

describe("deletes", () => {
  it("delete one frame or all of a participant's: rows, count, files and audit", async () => {
    const { team, user } = await createTeamWithUser(t.db, "ADMIN", "g4");
    const actor = (await resolveMember(t.db, user.id, team.id))!;
    const { participant } = await seedFrames(team.id, 5);
    const thumbs = new ThumbnailCache({ cacheDir: path.join(dir, "thumbs4"), store });
    const deps = { db: t.db, store, thumbnails: thumbs, log: silent };
    const [first] = await t.db.frame.findMany({ where: { participantId: participant.id }, take: 1 });
    await thumbs.get(first!);

    await deleteFrame(deps, actor, first!.id, "127.0.0.1");
    await expect(getFrame(t.db, team.id, first!.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(store.get(first!.storageKey)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(stat(thumbs.pathFor(first!.id))).rejects.toThrow();
    expect((await t.db.participant.findUniqueOrThrow({ where: { id: participant.id } })).frameCount).toBe(4);

    const rest = await t.db.frame.findMany({ where: { participantId: participant.id } });
    const result = await deleteParticipantFrames(deps, actor, participant.id, "127.0.0.1");
    expect(result.deleted).toBe(4);
    expect(await t.db.frame.count({ where: { participantId: participant.id } })).toBe(0);
    expect((await t.db.participant.findUniqueOrThrow({ where: { id: participant.id } })).frameCount).toBe(0);
    for (const f of rest) expect(await store.exists(f.storageKey)).toBe(false);
    const audit = await t.db.auditEvent.findMany({
      where: { teamId: team.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["frame.delete", "frames.delete_all"]);
    expect(audit[0]).toMatchObject({ actorUserId: user.id, targetId: first!.id, ip: "127.0.0.1" });
  });

  it("a viewer cannot delete", async () => {
    const { team, user } = await createTeamWithUser(t.db, "VIEWER", "g5");
    const actor = (await resolveMember(t.db, user.id, team.id))!;
    const { participant } = await seedFrames(team.id, 1);
    const deps = { db: t.db, store, thumbnails: new ThumbnailCache({ cacheDir: dir, store }), log: silent };
    await expect(deleteParticipantFrames(deps, actor, participant.id)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await t.db.frame.count({ where: { participantId: participant.id } })).toBe(1);
  });
});
