// TeamSlots against the real Redis: the cap holds when claims race, slots free on release, and a slot
// nobody renews (its worker died) lapses.
import { randomBytes } from "node:crypto";
import { redisConnection } from "@capture/jobs";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { TeamSlots } from "./team-slots.ts";

const redis = new Redis(redisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") as RedisOptions);
const keyPrefix = `t-slots-${randomBytes(4).toString("hex")}`;
afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe("TeamSlots", () => {
  it("gives at most the cap to racing claims, per team; a released slot is free again", async () => {
    const slots = new TeamSlots({ redis, keyPrefix, maxPerTeam: 2 });
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => slots.claim("a", `job-${i}`)));
    const held = claims.filter((c) => c !== undefined);
    expect(held).toHaveLength(2);
    // Another team is not affected by the first team's count.
    expect(await slots.claim("b", "job-b")).toBeDefined();
    // The same job claiming again (it came back to a worker) keeps its slot.
    const holder = claims.findIndex((c) => c !== undefined);
    expect(await slots.claim("a", `job-${holder}`)).toBeDefined();
    await held[0]!.release();
    expect(await slots.claim("a", "job-late")).toBeDefined();
    expect(await slots.claim("a", "job-later")).toBeUndefined();
    for (const c of held) await c!.release();
  });

  it("a slot its holder stops renewing lapses after the lease", async () => {
    const slots = new TeamSlots({ redis, keyPrefix, maxPerTeam: 1, leaseMs: 300 });
    // What a worker that died holding a slot leaves behind: a lease nobody renews.
    await redis.zadd(slots.key("c"), Date.now() + 300, "dead-job");
    expect(await slots.claim("c", "next-job")).toBeUndefined();
    await expect.poll(() => slots.claim("c", "next-job"), { timeout: 3000, interval: 100 }).toBeDefined();
  });
});
