import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalDiskFrameStore } from "./local-disk-store.ts";
import { contentTypeForKey, type FrameWrite, isTempStorageKey, type StoredFrame } from "./store.ts";

let base: string;
let root: string;
let store: LocalDiskFrameStore;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), "frames-"));
  root = path.join(base, "recordings");
  store = new LocalDiskFrameStore({ rootDir: root });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const write = (overrides: Partial<FrameWrite> = {}): FrameWrite => ({
  sessionKey: "session-1",
  userName: "Jane Doe",
  userId: 16778240,
  timestamp: 1_700_000_000_123,
  format: "jpg",
  ...overrides,
});

async function listed(prefix: string): Promise<StoredFrame[]> {
  const out: StoredFrame[] = [];
  for await (const frame of store.list(prefix)) out.push(frame);
  return out.sort((a, b) => a.storageKey.localeCompare(b.storageKey));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("LocalDiskFrameStore", () => {
  it("writes the seed's layout under one folder per session and reads it back", async () => {
    const bytes = Buffer.from("jpeg bytes");
    const stored = await store.put(write(), bytes);
    expect(stored).toEqual({
      storageKey: "session-1/Jane Doe_16778240/1700000000123.jpg",
      bytes: bytes.length,
      // Hashed on the writer thread, so the caller need not: it must be the hash of what was written.
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    expect(await readFile(path.join(root, "session-1", "Jane Doe_16778240", "1700000000123.jpg"))).toEqual(
      bytes,
    );
    expect(await store.get(stored.storageKey)).toEqual(bytes);
    expect(await store.exists(stored.storageKey)).toBe(true);
    const { stream, bytes: size } = await store.createReadStream(stored.storageKey);
    expect(size).toBe(bytes.length);
    expect(await text(stream)).toBe("jpeg bytes");
    expect(contentTypeForKey(stored.storageKey)).toBe("image/jpeg");
    const png = await store.put(write({ format: "png", timestamp: 5 }), bytes);
    expect(png.storageKey.endsWith("/5.png")).toBe(true);
    expect(contentTypeForKey(png.storageKey)).toBe("image/png");
  });

  it("moves handed-over bytes to its writer thread only when they own their whole buffer", async () => {
    const original = Buffer.alloc(64 * 1024, 7);
    // As a decoded frame is: a buffer of its own (Buffer.from of base64 past Node's 4 KB pool).
    const own = Buffer.from(original.toString("base64"), "base64");
    expect(own.byteLength).toBe(own.buffer.byteLength);
    const moved = await store.put(write({ timestamp: 1 }), own, { handOver: true });
    expect(own.byteLength).toBe(0); // transferred, not copied
    expect(moved).toMatchObject({
      bytes: original.length,
      sha256: createHash("sha256").update(original).digest("hex"),
    });
    expect(await store.get(moved.storageKey)).toEqual(original);

    // A view into a larger buffer is copied, so the rest of that buffer (someone else's) stays.
    const shared = Buffer.alloc(2 * 1024, 9);
    const view = shared.subarray(100, 1100);
    const copied = await store.put(write({ timestamp: 2 }), view, { handOver: true });
    expect(view.byteLength).toBe(1000);
    expect(shared.every((b) => b === 9)).toBe(true);
    expect(await store.get(copied.storageKey)).toEqual(Buffer.alloc(1000, 9));

    // Without the option, nothing of the caller's is touched.
    const kept = Buffer.from(original.toString("base64"), "base64");
    await store.put(write({ timestamp: 3 }), kept);
    expect(kept).toEqual(original);
  });

  it("replaces a frame written twice and leaves no temp files", async () => {
    await store.put(write(), Buffer.from("one"));
    const { storageKey } = await store.put(write(), Buffer.from("two"));
    expect((await store.get(storageKey)).toString()).toBe("two");
    expect(await listFiles(root)).toEqual([path.join(root, storageKey)]);
  });

  it("deletes frames (idempotently) and whole sessions", async () => {
    const a = await store.put(write({ timestamp: 1 }), Buffer.from("a"));
    await store.put(write({ timestamp: 2 }), Buffer.from("b"));
    const other = await store.put(write({ sessionKey: "session-2" }), Buffer.from("c"));
    expect(await store.delete(a.storageKey)).toBe(true);
    expect(await store.delete(a.storageKey)).toBe(false);
    expect(await store.exists(a.storageKey)).toBe(false);
    await expect(store.get(a.storageKey)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(store.createReadStream(a.storageKey)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await store.deleteSession("session-1");
    await expect(stat(path.join(root, "session-1"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await store.exists(other.storageKey)).toBe(true);
    await store.deleteSession("session-1"); // already gone: no error
  });

  it("writes into a folder removed behind its back (erasure, retention, another process)", async () => {
    const first = await store.put(write({ timestamp: 1 }), Buffer.from("a"));
    // The folder existed at the first put: removing it must not make the next put fail.
    await rm(path.dirname(path.join(root, first.storageKey)), { recursive: true });
    const second = await store.put(write({ timestamp: 2 }), Buffer.from("b"));
    expect(await readFile(path.join(root, second.storageKey), "utf8")).toBe("b");
    await store.deleteSession("session-1");
    const third = await store.put(write({ timestamp: 3 }), Buffer.from("c"));
    expect((await listed("session-1/")).map((f) => f.storageKey)).toEqual([third.storageKey]);
  });

  it("runs a folder's puts and deletes in the order they were asked for, none awaited in between", async () => {
    // The writer threads batch jobs; one folder's jobs must still land in call order.
    const key = store.storageKeyFor(write());
    const ops = [
      store.put(write(), Buffer.from("one")),
      store.delete(key),
      store.put(write(), Buffer.from("two")),
      store.put(write({ timestamp: 9 }), Buffer.from("other")),
      store.delete(store.storageKeyFor(write({ timestamp: 9 }))),
    ];
    expect((await Promise.all(ops)).map((r) => (typeof r === "boolean" ? r : r.bytes))).toEqual([
      3,
      true,
      3,
      5,
      true,
    ]);
    expect((await listed("session-1/")).map((f) => f.storageKey)).toEqual([key]);
    expect((await store.get(key)).toString()).toBe("two");
  });

  it("writes exactly a view's bytes, not the buffer behind it", async () => {
    const behind = Buffer.from("xxxxjpeg bytesyyyy");
    const { storageKey, bytes } = await store.put(write(), behind.subarray(4, 14));
    expect(bytes).toBe(10);
    expect((await store.get(storageKey)).toString()).toBe("jpeg bytes");
    expect(behind.toString()).toBe("xxxxjpeg bytesyyyy"); // the caller's buffer is untouched
  });

  it("lists every stored object under a prefix with its size, temp files of interrupted writes included", async () => {
    const a = await store.put(write({ timestamp: 1 }), Buffer.from("a"));
    const b = await store.put(write({ timestamp: 2, userName: "Bob", userId: 7 }), Buffer.from("bbb"));
    const c = await store.put(write({ timestamp: 3, sessionKey: "session-10" }), Buffer.from("cc"));
    // What a worker killed between open and rename leaves behind.
    const tempKey = `session-1/Bob_7/.9.jpg.${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}.tmp`;
    await writeFile(path.join(root, tempKey), "half");
    // Not the store's: never listed.
    await writeFile(path.join(root, "session-1", "Bob_7", "notes.txt"), "x");
    await writeFile(path.join(root, "session-1", "stray.jpg"), "x");

    expect(await listed("session-1/")).toEqual([
      { storageKey: tempKey, bytes: 4 },
      { storageKey: b.storageKey, bytes: 3 },
      { storageKey: a.storageKey, bytes: 1 },
    ]);
    expect(isTempStorageKey(tempKey)).toBe(true);
    expect(isTempStorageKey(a.storageKey)).toBe(false);
    // A prefix is a prefix of the key, not of a folder name: "session-1" matches session-10 too.
    expect((await listed("session-1")).map((f) => f.storageKey)).toContain(c.storageKey);
    expect(await listed("session-1/Bob_7/2")).toEqual([{ storageKey: b.storageKey, bytes: 3 }]);
    expect(await listed("")).toHaveLength(4);
    expect(await listed("nothing/")).toEqual([]);

    // Recovery deletes what it listed, temp files included.
    expect(await store.exists(tempKey)).toBe(true);
    expect(await store.delete(tempKey)).toBe(true);
    await expect(store.get(tempKey)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    expect((await listed("session-1/")).map((f) => f.storageKey)).toEqual([b.storageKey, a.storageKey]);
  });

  it("lists nothing before anything was written", async () => {
    expect(await listed("")).toEqual([]);
    expect(await listed("session-1/")).toEqual([]);
  });

  it("keeps every file of hostile names inside its session folder", async () => {
    const hostile = [
      "..",
      "../../../../tmp/escape",
      "..\\..\\..\\escape",
      "/etc/passwd",
      "name\u0000nul",
      "\u001b[2Jctrl\r\n",
      ".bashrc",
      "CON",
      "x".repeat(1024),
      "😀".repeat(400),
      "🧑‍💻 Dev",
      "",
    ];
    const keys = new Set<string>();
    let ts = 1;
    for (const userName of hostile) {
      for (const userId of ["..", "../x", 42, "id\u0000", "/"]) {
        const { storageKey } = await store.put(
          write({ userName, userId, timestamp: ts++ }),
          Buffer.from("x"),
        );
        keys.add(storageKey);
        expect(storageKey.split("/")).toHaveLength(3);
        expect(Buffer.byteLength(storageKey.split("/")[1]!)).toBeLessThanOrEqual(165);
      }
    }
    // Hostile session keys are made safe too.
    await store.put(write({ sessionKey: "../../outside", timestamp: ts++ }), Buffer.from("x"));
    const sessionDir = path.join(root, "session-1");
    const files = await listFiles(base);
    expect(files).toHaveLength(hostile.length * 5 + 1);
    const inSession = files.filter((f) => f.startsWith(`${sessionDir}${path.sep}`));
    expect(inSession).toHaveLength(hostile.length * 5);
    for (const file of files) expect(file.startsWith(`${root}${path.sep}`)).toBe(true);
    for (const key of keys) expect(await store.exists(key)).toBe(true);
    expect([...keys].some((k) => k.includes("😀"))).toBe(true);
    expect([...keys].some((k) => k.includes("🧑‍💻 Dev"))).toBe(true);
  });

  it.each([
    "../outside.jpg",
    "session-1/../../x/1.jpg",
    "/etc/passwd",
    "session-1/a_1/../../../1.jpg",
    "session-1\\a_1\\1.jpg",
    "session-1/a_1/1.jpg\u0000",
    "session-1/a_1/passwd",
    "session-1/a_1/.1.jpg.tmp",
    "session-1/a_1",
    "session-1/../a_1/1.jpg",
    "session-1/./1.jpg",
    "session-1//1.jpg",
    "",
  ])("rejects the storage key %j with INVALID_STORAGE_KEY", async (key) => {
    await expect(store.get(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.delete(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.exists(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
    await expect(store.createReadStream(key)).rejects.toMatchObject({ code: "INVALID_STORAGE_KEY" });
  });

  it("rejects frames it cannot name", async () => {
    expect(() => store.storageKeyFor(write({ timestamp: -1 }))).toThrow(
      expect.objectContaining({ code: "INVALID_FRAME" }),
    );
    expect(() => store.storageKeyFor(write({ timestamp: 1.5 }))).toThrow(
      expect.objectContaining({ code: "INVALID_FRAME" }),
    );
    expect(() => store.storageKeyFor(write({ sessionKey: " " }))).toThrow(
      expect.objectContaining({ code: "INVALID_FRAME" }),
    );
    await expect(store.put(write({ format: "gif" as "jpg" }), Buffer.from("x"))).rejects.toMatchObject({
      code: "INVALID_FRAME",
    });
  });

  it("reports a failed write as WRITE_FAILED and removes its temp file", async () => {
    // A file where the session folder should be makes mkdir fail.
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, "session-1"), "not a folder");
    await expect(store.put(write(), Buffer.from("x"))).rejects.toMatchObject({
      code: "WRITE_FAILED",
      cause: { code: "ENOTDIR" }, // the syscall's own code, from the writer thread
    });
    expect(await listFiles(root)).toEqual([path.join(root, "session-1")]);
    await expect(store.delete(store.storageKeyFor(write()))).rejects.toMatchObject({
      code: "WRITE_FAILED",
      cause: { code: "ENOTDIR" },
    });
  });

  it("writes with fsync when asked", async () => {
    const durable = new LocalDiskFrameStore({ rootDir: root, fsync: true });
    const { storageKey } = await durable.put(write(), Buffer.from("durable"));
    expect((await durable.get(storageKey)).toString()).toBe("durable");
  });

  it("does not follow a session key that names a symlink out of rootDir into a different folder", async () => {
    // The session key is made safe, so "link" stays a plain folder name inside rootDir.
    const outside = path.join(base, "outside");
    await mkdir(outside, { recursive: true });
    await mkdir(root, { recursive: true });
    await symlink(outside, path.join(base, "link"));
    const { storageKey } = await store.put(write({ sessionKey: "../link" }), Buffer.from("x"));
    expect(storageKey.startsWith("_link/")).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });
});
