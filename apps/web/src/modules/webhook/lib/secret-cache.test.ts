import { describe, expect, it } from "vitest";
import { SecretCache } from "./secret-cache.ts";

describe("SecretCache", () => {
  it("shares one load between concurrent lookups and keeps it for the TTL", async () => {
    let loads = 0;
    let clock = 0;
    const cache = new SecretCache(
      async (team) => {
        loads++;
        return team === "known" ? "s3cret" : null;
      },
      { ttlMs: 1000, now: () => clock },
    );
    const got = await Promise.all(Array.from({ length: 500 }, () => cache.get("known")));
    expect(new Set(got)).toEqual(new Set(["s3cret"]));
    expect(loads).toBe(1);
    expect(await cache.get("ghost")).toBeNull();
    expect(await cache.get("ghost")).toBeNull();
    expect(loads).toBe(2);
    clock = 1000;
    await cache.get("known");
    expect(loads).toBe(3);
  });

  it("forgets unknown teams sooner, and reloads on refresh at most once per interval", async () => {
    let loads = 0;
    let clock = 0;
    let secret: string | null = null;
    const cache = new SecretCache(
      async () => {
        loads++;
        return secret;
      },
      { ttlMs: 30_000, negativeTtlMs: 2_000, minRefreshMs: 1_000, now: () => clock },
    );
    expect(await cache.get("t")).toBeNull();
    secret = "first"; // the team saves its secret
    clock = 2_000;
    expect(await cache.get("t")).toBe("first");
    secret = "rotated";
    clock = 2_500;
    expect(await cache.refresh("t")).toBe("first"); // too soon: no query
    clock = 3_100;
    expect(await cache.refresh("t")).toBe("rotated");
    expect(await cache.refresh("t")).toBe("rotated");
    expect(loads).toBe(3);
  });

  it("does not remember a failed load, and stays within its size bound", async () => {
    let fail = true;
    let loads = 0;
    const cache = new SecretCache(
      async (team) => {
        loads++;
        if (fail) throw new Error("database down");
        return team;
      },
      { maxEntries: 2 },
    );
    await expect(cache.get("a")).rejects.toThrow("database down");
    fail = false;
    expect(await cache.get("a")).toBe("a");
    await cache.get("b");
    await cache.get("c"); // evicts "a", the oldest
    const before = loads;
    await cache.get("c");
    await cache.get("a");
    expect(loads).toBe(before + 1);
  });
});
