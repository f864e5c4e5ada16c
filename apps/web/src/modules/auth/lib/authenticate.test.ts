import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  FIXTURE_PASSWORD,
  type TestDatabase,
  testRedis,
} from "../../../../test/fixtures.ts";
import { authenticate } from "./authenticate.ts";
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

  it("locks the account after repeated failures, even for the right password", async () => {
    const { user } = await createTeamWithUser(t.db, "OWNER", "auth3");
    const limiter = new LoginRateLimiter(r.redis, {
      prefix: `${r.prefix}:3`,
      perAccount: { maxFailures: 2, windowSec: 60 },
    });
    const deps = { db: t.db, limiter };
    await code(authenticate(deps, { email: user.email, password: "bad1" }, "b"));
    await code(authenticate(deps, { email: user.email, password: "bad2" }, "b"));
    expect(await code(authenticate(deps, { email: user.email, password: FIXTURE_PASSWORD }, "b"))).toBe(
      "RATE_LIMITED",
    );
  });
});
