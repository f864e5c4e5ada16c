// The portal's frame reads, on both stores (local disk and S3 on s3rver): image checks and placeholders,
// entity tags and ranges, thumbnails (hostile inputs, the bounded cache), the streamed zip, and deletes
// that remove the objects.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { crc32 } from "node:zlib";
import { type FrameStore, LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { startTestS3Server, type TestS3Server } from "@capture/rtms-core/frames/testing";
import sharp from "sharp";
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
import { deleteParticipantFrames } from "./delete-frames.ts";
import {
  decideRange,
  etagMatches,
  PLACEHOLDER_SVG,
  placeholderResponse,
  readFrameImage,
} from "./frame-image.ts";
import { ThumbnailCache, ThumbnailError } from "./thumbnails.ts";
import { participantZip } from "./zip.ts";

let t: TestDatabase;
let s3: TestS3Server;
let dir: string;
let jpeg: Buffer;
let bucketCount = 0;
const silent = { warn() {}, error() {} };

beforeAll(async () => {
  [t, s3, dir, jpeg] = await Promise.all([
    createTestDatabase("frame-store"),
    startTestS3Server(),
    mkdtemp(path.join(tmpdir(), "web-frame-store-")),
    makeJpeg(640, 360),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.drop(), s3?.dispose(), dir && rm(dir, { recursive: true, force: true })]);
});

/** A whole PNG whose IHDR declares width x height (CRC fixed up): what a hostile server could send. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#888" } })
    .png()
    .toBuffer();
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

const frameWrite = (sessionKey: string, timestamp: number) => ({
  sessionKey,
  userName: "Ada",
  userId: "16778240",
  timestamp,
  format: "jpg" as const,
});

describe("HTTP helpers", () => {
  it.each<[string | null, string | null, ReturnType<typeof decideRange>]>([
    [null, null, { kind: "full" }],
    ["bytes=0-99", null, { kind: "partial", start: 0, end: 99 }],
    ["bytes=100-", null, { kind: "partial", start: 100, end: 999 }],
    ["bytes=-10", null, { kind: "partial", start: 990, end: 999 }],
    ["bytes=-5000", null, { kind: "partial", start: 0, end: 999 }],
    ["bytes=900-5000", null, { kind: "partial", start: 900, end: 999 }],
    ["bytes=1000-", null, { kind: "unsatisfiable" }],
    ["bytes=-0", null, { kind: "unsatisfiable" }],
    ["bytes=5-1", null, { kind: "full" }],
    ["bytes=0-1,5-6", null, { kind: "full" }],
    ["items=0-1", null, { kind: "full" }],
    ["bytes=0-9", '"abc"', { kind: "partial", start: 0, end: 9 }],
    ["bytes=0-9", '"other"', { kind: "full" }],
  ])("Range %j (If-Range %j) of 1000 bytes", (range, ifRange, expected) => {
    expect(decideRange(range, 1000, '"abc"', ifRange)).toEqual(expected);
  });

  it("If-Range with a weak tag never serves a part", () => {
    expect(decideRange("bytes=0-9", 1000, 'W/"abc"', 'W/"abc"')).toEqual({ kind: "full" });
  });

  it("If-None-Match compares weakly, lists and *", () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"x", W/"a"', 'W/"a"')).toBe(true);
    expect(etagMatches("*", '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(null, '"a"')).toBe(false);
  });

  it("the placeholder is a static SVG, never cached, with the reason", async () => {
    const res = placeholderResponse("not_an_image");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-frame-placeholder")).toBe("not_an_image");
    expect(await res.text()).toBe(PLACEHOLDER_SVG);
    expect(PLACEHOLDER_SVG).not.toMatch(/script|href|url\(/i);
  });
});

const stores: [string, () => Promise<FrameStore>][] = [
  ["local disk", async () => new LocalDiskFrameStore({ rootDir: path.join(dir, `frames-${++bucketCount}`) })],
  ["S3 (s3rver)", () => s3.store(`portal-${++bucketCount}`)],
];

describe.each(stores)("portal reads on %s", (_name, makeStore) => {
  let store: FrameStore;
  beforeAll(async () => {
    store = await makeStore();
  });

  it("serves a real frame with its entity tag, and refuses non-images with a reason", async () => {
    const good = await store.put(frameWrite("s-read", 1), jpeg);
    const image = await readFrameImage(store, good.storageKey);
    expect(image).toMatchObject({ kind: "image", contentType: "image/jpeg" });
    if (image.kind !== "image") throw new Error("unreachable");
    expect(image.bytes.equals(jpeg)).toBe(true);
    expect(image.etag).toBe((await store.head(good.storageKey))?.etag);

    const html = await store.put(frameWrite("s-read", 2), Buffer.from("<html><script>x</script></html>"));
    expect(await readFrameImage(store, html.storageKey)).toMatchObject({
      kind: "invalid",
      reason: "not_an_image",
    });
    const huge = await store.put(frameWrite("s-read", 3), await pngDeclaring(16000, 16000));
    expect(await readFrameImage(store, huge.storageKey)).toMatchObject({
      kind: "invalid",
      reason: "dimensions_too_large",
    });
    const cut = await store.put(frameWrite("s-read", 4), jpeg.subarray(0, 5000));
    expect(await readFrameImage(store, cut.storageKey)).toMatchObject({
      kind: "invalid",
      reason: "truncated",
    });
    expect(await readFrameImage(store, store.storageKeyFor(frameWrite("s-read", 99)))).toEqual({
      kind: "missing",
    });
  });

  it("thumbnails real frames, refuses hostile ones before decoding, and keeps the cache bounded", async () => {
    const cacheDir = await mkdtemp(path.join(dir, "thumbs-"));
    const keys = [];
    for (let i = 0; i < 4; i++)
      keys.push((await store.put(frameWrite("s-thumb", 10 + i), await makeJpeg(640, 360, i + 2))).storageKey);
    const probe = new ThumbnailCache({ cacheDir: await mkdtemp(path.join(dir, "probe-")), store });
    const one = (await probe.get({ id: "probe", storageKey: keys[0]! })).data.length;
    // Room for two thumbnails and a bit: the third evicts the least recently used.
    const cache = new ThumbnailCache({ cacheDir, store, maxCacheBytes: Math.floor(one * 2.5) });
    for (let i = 0; i < 4; i++) {
      const { data } = await cache.get({ id: `frame${i}`, storageKey: keys[i]! });
      expect((await sharp(data).metadata()).width).toBe(320);
    }
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxCacheBytes);
    const files = (await readdir(cacheDir, { recursive: true })).filter((f) => f.endsWith(".jpg"));
    expect(files.length).toBe(2);
    expect((await cache.get({ id: "frame3", storageKey: keys[3]! })).cached).toBe(true);
    expect((await cache.get({ id: "frame0", storageKey: keys[0]! })).cached).toBe(false);

    // A new process finds what the last one left and keeps to the same bound.
    const restarted = new ThumbnailCache({ cacheDir, store, maxCacheBytes: cache.maxCacheBytes });
    expect((await restarted.get({ id: "frame0", storageKey: keys[0]! })).cached).toBe(true);
    expect(restarted.bytes).toBeLessThanOrEqual(restarted.maxCacheBytes);

    for (const [bytes, reason] of [
      [Buffer.from("<!doctype html><p>hi"), "not_an_image"],
      [await pngDeclaring(16000, 16000), "dimensions_too_large"],
      [Buffer.alloc(9 * 1024 * 1024, 1), "too_many_bytes"],
    ] as const) {
      const { storageKey } = await store.put(frameWrite("s-thumb", 100 + bytes.length), bytes);
      const error = await cache.get({ id: `bad${bytes.length}`, storageKey }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThumbnailError);
      expect((error as ThumbnailError).reason).toBe(reason);
    }
  });

  it("exports a participant's frames as a streamed zip, byte for byte, and deletes remove the objects", async () => {
    const { team, user } = await createTeamWithUser(t.db, "ADMIN", `fs${bucketCount}`);
    const { session, participant } = await createCapturedSession(t.db, team.id);
    for (let i = 0; i < 6; i++) {
      const ts = 1_700_000_000_000 + i * 200;
      const stored = await store.put(frameWrite(session.id, ts), jpeg);
      await t.db.frame.create({
        data: {
          sessionId: session.id,
          participantId: participant.id,
          zoomTimestamp: BigInt(ts),
          storageKey: stored.storageKey,
          bytes: stored.bytes,
          contentHash: "0".repeat(64),
        },
      });
    }
    await t.db.participant.update({ where: { id: participant.id }, data: { frameCount: 6 } });
    const zip = await participantZip({ db: t.db, store }, team.id, participant.id);
    const entries = readZipEntries(await buffer(zip.stream));
    expect(entries).toHaveLength(6);
    for (const e of entries) expect(e.data.equals(jpeg)).toBe(true);

    const actor = (await resolveMember(t.db, user.id, team.id))!;
    const thumbnails = new ThumbnailCache({ cacheDir: path.join(dir, `thumbs-del-${bucketCount}`), store });
    const result = await deleteParticipantFrames(
      { db: t.db, store, thumbnails, log: silent },
      actor,
      participant.id,
    );
    expect(result.deleted).toBe(6);
    const left = [];
    for await (const f of store.list(`${session.id}/`)) left.push(f);
    expect(left).toEqual([]);
  });
});
