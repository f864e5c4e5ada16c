import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "../../../../test/fixtures.ts";
import { LoginRateLimiter } from "./rate-limit.ts";

let r: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  r = await testRedis();
});
afterAll(() => r.close());

describe("login rate limiter (real Redis)", () => {
  it("blocks an account after its failures, whatever the address", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:a`,
      perAccount: { maxFailures: 3, windowSec: 60 },
      perAddress: { maxFailures: 100, windowSec: 60 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await limiter.check("Ann@x.test", `10.0.0.${i}`)).allowed).toBe(true);
      await limiter.recordFailure("ann@x.test", `10.0.0.${i}`);
    }
    const d = await limiter.check("ann@x.test", "10.9.9.9");
    expect(d).toMatchObject({ allowed: false, scope: "account" });
    if (!d.allowed) expect(d.retryAfterSec).toBeGreaterThan(0);
    // Another account from the same addresses is unaffected.
    expect((await limiter.check("bob@x.test", "10.0.0.1")).allowed).toBe(true);
  });

  it("blocks an address spraying many accounts", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:b`,
      perAccount: { maxFailures: 100, windowSec: 60 },
      perAddress: { maxFailures: 4, windowSec: 60 },
    });
    for (let i = 0; i < 4; i++) await limiter.recordFailure(`user${i}@x.test`, "192.0.2.7");
    expect(await limiter.check("fresh@x.test", "192.0.2.7")).toMatchObject({
      allowed: false,
      scope: "address",
    });
    expect((await limiter.check("fresh@x.test", "192.0.2.8")).allowed).toBe(true);
  });

  it("a success clears the account counter", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:c`,
      perAccount: { maxFailures: 2, windowSec: 60 },
    });
    await limiter.recordFailure("cy@x.test", "198.51.100.1");
    await limiter.recordSuccess("cy@x.test");
    await limiter.recordFailure("cy@x.test", "198.51.100.1");
    expect((await limiter.check("cy@x.test", "198.51.100.1")).allowed).toBe(true);
  });

  it("expires the window", async () => {
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:d`,
      perAccount: { maxFailures: 1, windowSec: 1 },
    });
    await limiter.recordFailure("dee@x.test", "198.51.100.2");
    expect((await limiter.check("dee@x.test", "198.51.100.2")).allowed).toBe(false);
    await new Promise((res) => setTimeout(res, 1100));
    expect((await limiter.check("dee@x.test", "198.51.100.2")).allowed).toBe(true);
  });
});
