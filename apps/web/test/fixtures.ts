// Shared fixtures for the portal's integration tests: a fresh migrated database per suite (real Postgres),
// a real Redis with a per-suite key prefix, and small factories for teams, users and captured data.
import { randomBytes } from "node:crypto";
import { type Db, generateKeySpec, hashPassword, parseKeyring, type Role } from "@capture/db";
import { createTestDatabase, type TestDatabase } from "@capture/db/testing";
import { Redis } from "ioredis";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export async function testRedis(): Promise<{ redis: Redis; prefix: string; close(): Promise<void> }> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  // Fails loudly (never skips) when Redis is down.
  await redis.ping();
  const prefix = `test-${randomBytes(4).toString("hex")}`;
  return {
    redis,
    prefix,
    async close() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export const testKeyring = () => parseKeyring(generateKeySpec("t1"));

let passwordHashCache: Promise<string> | undefined;
/** Every fixture user has the password "pw-correct-horse" (hashed once: scrypt is deliberately slow). */
export const FIXTURE_PASSWORD = "pw-correct-horse";

export async function createTeamWithUser(db: Db, role: Role = "OWNER", label = "a") {
  passwordHashCache ??= hashPassword(FIXTURE_PASSWORD);
  const suffix = randomBytes(3).toString("hex");
  const team = await db.team.create({ data: { name: `Team ${label}`, slug: `team-${label}-${suffix}` } });
  const user = await db.user.create({
    data: {
      email: `${label}-${suffix}@example.test`,
      name: `User ${label}`,
      passwordHash: await passwordHashCache,
    },
  });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role } });
  return { team, user };
}

export async function addMember(db: Db, teamId: string, role: Role, label = "m") {
  passwordHashCache ??= hashPassword(FIXTURE_PASSWORD);
  const suffix = randomBytes(3).toString("hex");
  const user = await db.user.create({
    data: {
      email: `${label}-${suffix}@example.test`,
      name: `User ${label}`,
      passwordHash: await passwordHashCache,
    },
  });
  await db.membership.create({ data: { teamId, userId: user.id, role } });
  return user;
}

/** A session with one participant and `frames` frame rows whose files the caller writes. */
export async function createCapturedSession(
  db: Db,
  teamId: string,
  opts: { frames?: number; streamId?: string } = {},
) {
  const session = await db.captureSession.create({
    data: {
      teamId,
      rtmsStreamId: opts.streamId ?? `stream-${randomBytes(4).toString("hex")}`,
      meetingUuid: "uuid==",
      serverUrls: "ws://127.0.0.1:1/signaling",
      state: "ACTIVE",
    },
  });
  const participant = await db.participant.create({
    data: { sessionId: session.id, zoomUserId: "16778240", name: "Ada Lovelace" },
  });
  const count = opts.frames ?? 0;
  if (count > 0) {
    await db.frame.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        sessionId: session.id,
        participantId: participant.id,
        zoomTimestamp: BigInt(1_700_000_000_000 + i * 200),
        storageKey: `${session.id}/Ada_16778240/${1_700_000_000_000 + i * 200}.jpg`,
        bytes: 1000,
        contentHash: "0".repeat(64),
      })),
    });
    await db.participant.update({ where: { id: participant.id }, data: { frameCount: count } });
  }
  return { session, participant };
}

export type { TestDatabase };
export { createTestDatabase };

/** Names and stored bytes of a zip's entries (store-mode entries, as the portal writes them). */
export function readZipEntries(zip: Buffer): { name: string; data: Buffer }[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip: no end-of-central-directory record");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("bad central directory entry");
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    const localNameLen = zip.readUInt16LE(localOffset + 26);
    const localExtraLen = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLen + localExtraLen;
    entries.push({ name, data: zip.subarray(start, start + size) });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** A real JPEG camera-like frame (noise + gradient), so thumbnail sizes are realistic. */
export async function makeJpeg(width = 1280, height = 720, seed = 1): Promise<Buffer> {
  const sharp = (await import("sharp")).default;
  const raw = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i += 3) {
    x = (x * 1103515245 + 12345) >>> 0;
    const px = (i / 3) % width;
    const noise = x >>> 26;
    raw[i] = (px * 255) / width + noise;
    raw[i + 1] = ((i / 3 / width) * 255) / height + noise;
    raw[i + 2] = 128 + noise;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
