import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  FIXTURE_PASSWORD,
  type TestDatabase,
  testRedis,
} from "../../../../test/fixtures.ts";
import { authenticate } from "./authenticate.ts";
import { clientAddress, PEER_ADDRESS_HEADER, TrustedProxies } from "./client-address.ts";
import { LoginRateLimiter } from "./rate-limit.ts";

let t: TestDatabase;
let r: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => {
  [t, r] = await Promise.all([createTestDatabase("webauth"), testRedis()]);
});
afterAll(async () => {
  await Promise.all([t.drop(), r.close()]);
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: { code?: string }) => e.code ?? String(e),
  );

describe("authenticate", () => {
  it("accepts the right password (any email case), audits the login", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth1");
    const limiter = new LoginRateLimiter(r.redis, { prefix: `${r.prefix}:1` });
    const got = await authenticate(
      { db: t.db, limiter },
      { email: user.email.toUpperCase(), password: FIXTURE_PASSWORD },
      "127.0.0.1",
    );
    expect(got).toEqual({ id: user.id, email: user.email, name: user.name });
    const audit = await t.db.auditEvent.findMany({ where: { actorUserId: user.id, action: "auth.login" } });
    expect(audit).toHaveLength(1);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).lastLoginAt).not.toBeNull();
  });

  it("rejects a wrong password, an unknown email and garbage with the same error", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth2");
    const limiter = new LoginRateLimiter(r.redis, { prefix: `${r.prefix}:2` });
    const deps = { db: t.db, limiter };
    expect(await code(authenticate(deps, { email: user.email, password: "nope" }, "a"))).toBe(
      "UNAUTHENTICATED",
    );
    expect(await code(authenticate(deps, { email: "ghost@example.test", password: "x" }, "a"))).toBe(
      "UNAUTHENTICATED",
    );
    expect(await code(authenticate(deps, { email: 42 }, "a"))).toBe("UNAUTHENTICATED");
  });

  it("refuses the failing address after repeated failures, even with the right password", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth3");
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:3`,
      perAccountAddress: { maxFailures: 2, windowSec: 60 },
    });
    const deps = { db: t.db, limiter };
    await code(authenticate(deps, { email: user.email, password: "bad1" }, "b"));
    await code(authenticate(deps, { email: user.email, password: "bad2" }, "b"));
    expect(await code(authenticate(deps, { email: user.email, password: FIXTURE_PASSWORD }, "b"))).toBe(
      "RATE_LIMITED",
    );
  });

  it("wrong passwords from one address do not stop the owner signing in from another", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth4");
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:4`,
      accountDelay: { freeFailures: 3, baseMs: 5, maxMs: 40, windowSec: 60 },
    });
    const deps = { db: t.db, limiter };
    // An outsider who knows the email, well past the limit (default: 5 per account and address).
    const outsider = [];
    for (let i = 0; i < 12; i++) {
      outsider.push(
        await code(authenticate(deps, { email: user.email, password: `guess-${i}` }, "203.0.113.66")),
      );
    }
    expect(outsider.slice(0, 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    expect(outsider.slice(5)).toEqual(Array(7).fill("RATE_LIMITED"));
    // The owner, from their own address: in, and the outsider's address stays refused.
    expect(
      await code(authenticate(deps, { email: user.email, password: FIXTURE_PASSWORD }, "198.51.100.7")),
    ).toBe("ok");
    expect(
      await code(authenticate(deps, { email: user.email, password: FIXTURE_PASSWORD }, "203.0.113.66")),
    ).toBe("RATE_LIMITED");
  });

  it("a forged X-Forwarded-For does not move the per-address counter", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth5");
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:5`,
      perAccountAddress: { maxFailures: 3, windowSec: 60 },
      accountDelay: { freeFailures: 100, baseMs: 1, maxMs: 1, windowSec: 60 },
    });
    const deps = { db: t.db, limiter };
    const noProxies = new TrustedProxies("");
    const answers = [];
    for (let i = 0; i < 5; i++) {
      // The same socket peer each time, with a fresh made-up X-Forwarded-For.
      const headers = new Headers({
        [PEER_ADDRESS_HEADER]: "203.0.113.77",
        "x-forwarded-for": `10.9.${i}.1`,
      });
      answers.push(
        await code(
          authenticate(deps, { email: user.email, password: "bad" }, clientAddress(headers, noProxies)),
        ),
      );
    }
    expect(answers).toEqual([
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "RATE_LIMITED",
      "RATE_LIMITED",
    ]);
    expect(await r.redis.get(`${r.prefix}:5:addr:203.0.113.77`)).toBe("3");
    expect(await r.redis.keys(`${r.prefix}:5:addr:10.9.*`)).toEqual([]);
  });
});
