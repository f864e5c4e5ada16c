import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "../../../../test/fixtures.ts";
import { LoginRateLimiter } from "./rate-limit.ts";

let r: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  r = await testRedis();
});
afterAll(() => r.close());

describe("login rate limiter (real Redis)", () => {
  it("refuses an account from the address that failed, and not from another address", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:a`,
      perAccountAddress: { maxFailures: 3, windowSec: 60 },
      perAddress: { maxFailures: 100, windowSec: 60 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await limiter.check("Ann@x.test", "203.0.113.9")).allowed).toBe(true);
      await limiter.recordFailure("ann@x.test", "203.0.113.9");
    }
    const d = await limiter.check("ann@x.test", "203.0.113.9");
    expect(d).toMatchObject({ allowed: false, scope: "account-address" });
    if (!d.allowed) expect(d.retryAfterSec).toBeGreaterThan(0);
    // The owner, elsewhere, is not refused; another account from the failing address is not either.
    expect((await limiter.check("ann@x.test", "198.51.100.20")).allowed).toBe(true);
    expect((await limiter.check("bob@x.test", "203.0.113.9")).allowed).toBe(true);
  });

  it("delays an account failing from many addresses, progressively and within a cap, never refusing it", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:e`,
      perAccountAddress: { maxFailures: 2, windowSec: 60 },
      accountDelay: { freeFailures: 2, baseMs: 100, maxMs: 1000, windowSec: 60 },
    });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = await limiter.check("eve@x.test", "192.0.2.200");
      delays.push(d.allowed ? d.delayMs : -1);
      await limiter.recordFailure("eve@x.test", `10.1.0.${i}`);
    }
    expect(delays).toEqual([0, 0, 100, 200, 400, 800, 1000, 1000]);
    // A success (the owner) clears the account's delay.
    await limiter.recordSuccess("eve@x.test", "192.0.2.200");
    expect(await limiter.check("eve@x.test", "192.0.2.200")).toEqual({ allowed: true, delayMs: 0 });
  });

  it("blocks an address spraying many accounts", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:b`,
      perAccountAddress: { maxFailures: 100, windowSec: 60 },
      perAddress: { maxFailures: 4, windowSec: 60 },
    });
    for (let i = 0; i < 4; i++) await limiter.recordFailure(`user${i}@x.test`, "192.0.2.7");
    expect(await limiter.check("fresh@x.test", "192.0.2.7")).toMatchObject({
      allowed: false,
      scope: "address",
    });
    expect((await limiter.check("fresh@x.test", "192.0.2.8")).allowed).toBe(true);
  });

  it("a success clears that address's counter for the account", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:c`,
      perAccountAddress: { maxFailures: 2, windowSec: 60 },
    });
    await limiter.recordFailure("cy@x.test", "198.51.100.1");
    await limiter.recordSuccess("cy@x.test", "198.51.100.1");
    await limiter.recordFailure("cy@x.test", "198.51.100.1");
    expect((await limiter.check("cy@x.test", "198.51.100.1")).allowed).toBe(true);
  });

  it("expires the window", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:d`,
      perAccountAddress: { maxFailures: 1, windowSec: 1 },
    });
    await limiter.recordFailure("dee@x.test", "198.51.100.2");
    expect((await limiter.check("dee@x.test", "198.51.100.2")).allowed).toBe(false);
    await new Promise((res) => setTimeout(res, 1100));
    expect((await limiter.check("dee@x.test", "198.51.100.2")).allowed).toBe(true);
  });
});
