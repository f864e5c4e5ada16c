// One contract for every FrameStore, run against local disk and against S3 (s3rver on loopback), so the
// worker, crash recovery and the portal can use either without knowing which.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalDiskFrameStore } from "./local-disk-store.ts";
import { S3FrameStore } from "./s3-store.ts";
import type { FrameStore, FrameWrite, StoredFrame } from "./store.ts";
import { startTestS3Server, type TestS3Server } from "./testing.ts";

let s3: TestS3Server;
let base: string;
let bucketCount = 0;

beforeAll(async () => {
  s3 = await startTestS3Server();
  base = await mkdtemp(path.join(tmpdir(), "frame-contract-"));
});
afterAll(async () => {
  await s3?.dispose();
  if (base) await rm(base, { recursive: true, force: true });
});

const write = (overrides: Partial<FrameWrite> = {}): FrameWrite => ({
  sessionKey: "session-1",
  userName: "Jane Doe",
  userId: 16778240,
  timestamp: 1_700_000_000_123,
  format: "jpg",
  ...overrides,
});

async function listed(store: FrameStore, prefix: string): Promise<StoredFrame[]> {
  const out: StoredFrame[] = [];
  for await (const frame of store.list(prefix)) out.push(frame);
  return out.sort((a, b) => (a.storageKey < b.storageKey ? -1 : 1));
}

const stores: [string, () => Promise<FrameStore>][] = [
  [
    "LocalDiskFrameStore",
    async () => new LocalDiskFrameStore({ rootDir: path.join(base, `local-${++bucketCount}`) }),
  ],
  // Small pages and batches, so a handful of frames exercises pagination and batched deletes.
  ["S3FrameStore", () => s3.store(`frames-${++bucketCount}`, { listPageSize: 2, deleteBatchSize: 2 })],
];

describe.each(stores)("FrameStore contract: %s", (_name, makeStore) => {
  let store: FrameStore;
  beforeEach(async () => {
    store = await makeStore();
  });

  it("stores under the shared layout and reads back whole, by head, and by exists", async () => {
    const bytes = Buffer.from("jpeg bytes");
    const stored = await store.put(write(), bytes);
    expect(stored).toMatchObject({ storageKey: "session-1/Jane Doe_16778240/1700000000123.jpg", bytes: 10 });
    // Optional, but never wrong: a store that hashes on the way hashes exactly what it wrote.
    expect([undefined, createHash("sha256").update(bytes).digest("hex")]).toContain(stored.sha256);
    expect(store.storageKeyFor(write())).toBe(stored.storageKey);
    expect(await store.get(stored.storageKey)).toEqual(bytes);
    expect(await store.exists(stored.storageKey)).toBe(true);
    const head = await store.head(stored.storageKey);
    expect(head).toMatchObject({ storageKey: stored.storageKey, bytes: 10 });
    expect(head?.etag).toMatch(/^(W\/)?".+"$/);
    const { stream, bytes: size } = await store.createReadStream(stored.storageKey);
    expect(size).toBe(10);
    expect(await buffer(stream)).toEqual(bytes);
    const png = await store.put(write({ format: "png", timestamp: 5 }), bytes);
    expect(png.storageKey).toBe("session-1/Jane Doe_16778240/5.png");
  });

  it("replaces a frame written twice, and its entity tag changes", async () => {
    const first = await store.put(write(), Buffer.from("one"));
    const before = await store.head(first.storageKey);
    await store.put(write(), Buffer.from("three"));
    expect((await store.get(first.storageKey)).toString()).toBe("three");
    const after = await store.head(first.storageKey);
    expect(after?.bytes).toBe(5);
    expect(after?.etag).not.toBe(before?.etag);
    expect(await listed(store, "session-1/")).toEqual([{ storageKey: first.storageKey, bytes: 5 }]);
  });

  it("streams byte ranges, cutting an end past the last byte, and refuses a start past it", async () => {
    const { storageKey } = await store.put(write(), Buffer.from("0123456789"));
    const read = async (start: number, end?: number) => {
      const { stream, bytes } = await store.createReadStream(storageKey, { start, end });
      return { text: (await buffer(stream)).toString(), bytes };
    };
    expect(await read(2, 4)).toEqual({ text: "234", bytes: 3 });
    expect(await read(7)).toEqual({ text: "789", bytes: 3 });
    expect(await read(9, 9)).toEqual({ text: "9", bytes: 1 });
    expect(await read(8, 100)).toEqual({ text: "89", bytes: 2 });
    await expect(store.createReadStream(storageKey, { start: 10 })).rejects.toMatchObject({
      code: "INVALID_RANGE",
    });
    await expect(store.createReadStream(storageKey, { start: 5, end: 4 })).rejects.toMatchObject({
      code: "INVALID_RANGE",
    });
    await expect(store.createReadStream(storageKey, { start: -1 })).rejects.toMatchObject({
      code: "INVALID_RANGE",
    });
  });

  it("deletes frames, saying whether they existed, and then reports them missing", async () => {
    const a = await store.put(write({ timestamp: 1 }), Buffer.from("a"));
    const b = await store.put(write({ timestamp: 2 }), Buffer.from("b"));
    expect(await store.delete(a.storageKey)).toBe(true);
    expect(await store.delete(a.storageKey)).toBe(false);
    expect(await store.exists(a.storageKey)).toBe(false);
    expect(await store.head(a.storageKey)).toBeUndefined();
    await expect(store.get(a.storageKey)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(store.createReadStream(a.storageKey)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await store.exists(b.storageKey)).toBe(true);
  });

  it("deletes a whole session, across batches, leaving other sessions alone", async () => {
    const kept = await store.put(write({ sessionKey: "session-10" }), Buffer.from("other"));
    for (let ts = 1; ts <= 5; ts++)
      await store.put(write({ timestamp: ts, userId: ts % 2 }), Buffer.from("x"));
    expect(await listed(store, "session-1/")).toHaveLength(5);
    await store.deleteSession("session-1");
    expect(await listed(store, "session-1/")).toEqual([]);
    expect(await listed(store, "")).toEqual([{ storageKey: kept.storageKey, bytes: 5 }]);
    await store.deleteSession("session-1"); // already gone: no error
    await store.deleteSession("never-written");
  });

  it("lists by key prefix across pages, with sizes", async () => {
    const keys: StoredFrame[] = [];
    for (let ts = 1; ts <= 7; ts++) {
      const { storageKey, bytes } = await store.put(
        write({ timestamp: ts, userName: ts <= 3 ? "Ann" : "Bob" }),
        Buffer.alloc(ts),
      );
      keys.push({ storageKey, bytes }); // what list gives: key and size
    }
    await store.put(write({ sessionKey: "session-2" }), Buffer.from("x"));
    await store.put(write({ sessionKey: "session-10" }), Buffer.from("x"));
    const session1 = await listed(store, "session-1/");
    expect(session1).toEqual([...keys].sort((a, b) => (a.storageKey < b.storageKey ? -1 : 1)));
    expect((await listed(store, "session-1/Ann_16778240/")).map((f) => f.bytes).sort()).toEqual([1, 2, 3]);
    expect(await listed(store, "session-1")).toHaveLength(8); // session-10 starts with "session-1" too
    expect(await listed(store, "session-1/Bob_16778240/7")).toEqual([keys[6]]);
    expect(await listed(store, "")).toHaveLength(9);
    expect(await listed(store, "nothing/")).toEqual([]);
  });

  it("keeps hostile names inside one key each, and reads them back", async () => {
    const names = ["..", "../../../../tmp/escape", "name\u0000nul", "/etc/passwd", "😀 Dev", "", "CON"];
    const seen = new Set<string>();
    let ts = 1;
    for (const userName of names) {
      const { storageKey } = await store.put(
        write({ userName, userId: "../x", timestamp: ts++ }),
        Buffer.from(userName),
      );
      expect(storageKey.split("/")).toHaveLength(3);
      seen.add(storageKey);
      expect((await store.get(storageKey)).toString()).toBe(userName);
    }
    expect(seen.size).toBe(names.length);
    const { storageKey } = await store.put(write({ sessionKey: "../../outside" }), Buffer.from("x"));
    expect(storageKey.split("/")).toHaveLength(3);
    expect(storageKey.startsWith(".")).toBe(false);
  });

  it.each([
    "../outside.jpg",
    "session-1/../../x/1.jpg",
    "/etc/passwd",
    "session-1/a_1/1.jpg\u0000",
    "session-1/a_1/passwd",
    "session-1/a_1",
    "session-1//1.jpg",
    "",
  ])("refuses the storage key %j with INVALID_STORAGE_KEY", async (key) => {
    await expect(store.get(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.delete(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.exists(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.head(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.createReadStream(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
  });

  it("refuses frames it cannot name with INVALID_FRAME", async () => {
    await expect(store.put(write({ timestamp: -1 }), Buffer.from("x"))).rejects.toMatchObject({
      code: "INVALID_FRAME",
    });
    await expect(store.put(write({ format: "gif" as "jpg" }), Buffer.from("x"))).rejects.toMatchObject({
      code: "INVALID_FRAME",
    });
    expect(() => store.storageKeyFor(write({ sessionKey: " " }))).toThrow(
      expect.objectContaining({ code: "INVALID_FRAME" }),
    );
  });
});

describe("S3FrameStore on s3rver", () => {
  it("stores the content type with each object", async () => {
    const store = await s3.store(`frames-${++bucketCount}`);
    const jpg = await store.put(write(), Buffer.from("x"));
    const png = await store.put(write({ format: "png" }), Buffer.from("x"));
    const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
    const type = async (key: string) =>
      (await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }))).ContentType;
    expect(await type(jpg.storageKey)).toBe("image/jpeg");
    expect(await type(png.storageKey)).toBe("image/png");
  });

  it("puts keys under keyPrefix and lists only its own frame-shaped keys", async () => {
    const bucket = `frames-${++bucketCount}`;
    const prefixed = await s3.store(bucket, { keyPrefix: "frames/" });
    const { storageKey } = await prefixed.put(write(), Buffer.from("x"));
    expect(storageKey).toBe("session-1/Jane Doe_16778240/1700000000123.jpg");
    const bare = new S3FrameStore(s3.storeOptions(bucket));
    expect(await bare.exists(storageKey)).toBe(false);
    expect((await listed(bare, "")).map((f) => f.storageKey)).toEqual([]); // "frames/..." has 4 segments
    expect((await listed(prefixed, "")).map((f) => f.storageKey)).toEqual([storageKey]);
  });

  it("fails a refused request at once with its code, without retrying", async () => {
    const bucket = `frames-${++bucketCount}`;
    await s3.store(bucket);
    const retries: number[] = [];
    const wrongKey = new S3FrameStore(
      s3.storeOptions(bucket, {
        credentials: { accessKeyId: "nobody", secretAccessKey: "wrong" },
        onRetry: ({ attempt }) => retries.push(attempt),
      }),
    );
    await expect(wrongKey.put(write(), Buffer.from("x"))).rejects.toMatchObject({ code: "WRITE_FAILED" });
    await expect(wrongKey.get(wrongKey.storageKeyFor(write()))).rejects.toMatchObject({
      code: "READ_FAILED",
    });
    expect(retries).toEqual([]);
  });

  describe("outage", () => {
    let store: S3FrameStore;
    const retried: string[] = [];
    beforeAll(async () => {
      store = await s3.store(`frames-${++bucketCount}`, {
        retry: { attempts: 4, budgetMs: 3_000, baseDelayMs: 20, maxDelayMs: 200, attemptTimeoutMs: 1_000 },
        onRetry: ({ operation }) => retried.push(operation),
      });
    });
    afterAll(async () => {
      await s3.start().catch(() => {}); // whatever a failed test left, the server is up for the rest
    });

    it("gives up with UNAVAILABLE after its tries while the server is down, and works once it is back", async () => {
      const before = await store.put(write({ timestamp: 1 }), Buffer.from("before"));
      await s3.stop();
      retried.length = 0;
      const put = store.put(write({ timestamp: 2 }), Buffer.from("during"));
      await expect(put).rejects.toMatchObject({
        code: "UNAVAILABLE",
        message: expect.stringMatching(/after 4 tries/),
      });
      expect(retried).toHaveLength(3); // 4 tries: 3 retries
      await expect(store.get(before.storageKey)).rejects.toMatchObject({ code: "UNAVAILABLE" });
      await expect(listed(store, "session-1/")).rejects.toMatchObject({ code: "UNAVAILABLE" });

      await s3.start();
      expect((await store.get(before.storageKey)).toString()).toBe("before");
      const after = await store.put(write({ timestamp: 3 }), Buffer.from("after"));
      expect((await store.get(after.storageKey)).toString()).toBe("after");
      expect((await listed(store, "session-1/")).map((f) => f.storageKey)).toEqual([
        before.storageKey,
        after.storageKey,
      ]);
    });

    it("rides out an outage shorter than its budget: a write retried across a restart succeeds", async () => {
      await s3.stop();
      retried.length = 0;
      let restarted: Promise<void> | undefined;
      const patient = new S3FrameStore(
        s3.storeOptions(store.bucket, {
          // Tries without a useful count: the time is the bound (a loaded machine restarts s3rver slowly).
          retry: {
            attempts: 1_000,
            budgetMs: 30_000,
            baseDelayMs: 20,
            maxDelayMs: 250,
            attemptTimeoutMs: 1_000,
          },
          // The first failed try is the event that says the outage was seen: bring the server back then.
          onRetry: () => {
            restarted ??= s3.start();
          },
        }),
      );
      const stored = await patient.put(write({ timestamp: 4 }), Buffer.from("across"));
      await restarted;
      expect(restarted).toBeDefined();
      expect((await store.get(stored.storageKey)).toString()).toBe("across");
    });
  });

  describe("on the wire, through a slow proxy", () => {
    // A reverse proxy in front of s3rver that holds each request HOLD_MS before passing it on (a slow
    // S3), and counts how many it holds at once.
    const HOLD_MS = 200;
    let proxy: Server;
    let endpoint: string;
    let inFlight = 0;
    let maxInFlight = 0;
    const putHeaders: Record<string, string | string[] | undefined>[] = [];
    beforeAll(async () => {
      const upstream = new URL(s3.endpoint);
      proxy = createServer((req, res) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on("close", () => inFlight--);
        if (req.method === "PUT") putHeaders.push(req.headers);
        setTimeout(() => {
          const forward = httpRequest(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: req.method,
              path: req.url,
              headers: req.headers,
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          forward.on("error", () => res.destroy());
          req.pipe(forward);
        }, HOLD_MS);
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => proxy?.close(resolve));
    });

    it("queues calls past its limit without spending their tries: a burst larger than the limit all lands", async () => {
      const bucket = (await s3.store(`frames-${++bucketCount}`)).bucket;
      const retried: string[] = [];
      const store = new S3FrameStore(
        s3.storeOptions(bucket, {
          endpoint,
          maxSockets: 2,
          // One try of 3 s each. 40 puts, 2 at a time, HOLD_MS each: the last ones wait about 4 s for their
          // turn. Waiting for a turn is not a slow S3: if it counted against a try, they would fail.
          retry: { attempts: 1, attemptTimeoutMs: 3_000, budgetMs: 3_000 },
          onRetry: ({ operation }) => retried.push(operation),
        }),
      );
      maxInFlight = 0;
      const frames = Array.from({ length: 40 }, (_, i) => write({ timestamp: 100 + i }));
      const results = await Promise.allSettled(
        frames.map((f) => store.put(f, Buffer.from(`frame ${f.timestamp}`))),
      );
      const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      expect(failed).toEqual([]);
      expect(maxInFlight).toBeLessThanOrEqual(2);
      expect((await listed(store, "session-1/")).length).toBe(40);
      store.close();
    });

    it("puts carry Content-MD5 and none of the SDK's optional checksum headers", async () => {
      const bucket = (await s3.store(`frames-${++bucketCount}`)).bucket;
      const store = new S3FrameStore(s3.storeOptions(bucket, { endpoint }));
      putHeaders.length = 0;
      const bytes = Buffer.from("a frame");
      await store.put(write(), bytes);
      expect(putHeaders).toHaveLength(1);
      const headers = putHeaders[0]!;
      expect(headers["content-md5"]).toBe(createHash("md5").update(bytes).digest("base64"));
      // Servers without flexible checksums refuse these (e.g. "Unsupported header" from Backblaze B2).
      expect(Object.keys(headers).filter((h) => /^x-amz-(sdk-)?checksum-/.test(h))).toEqual([]);
      store.close();
    });
  });
});
