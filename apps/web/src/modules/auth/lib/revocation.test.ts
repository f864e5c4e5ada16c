import { JobQueues } from "@capture/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, testRedis } from "../../../../test/fixtures.ts";
import { startTcpProxy } from "../../../../test/tcp-proxy.ts";
import { SessionRevocations } from "./revocation.ts";

let r: Awaited<ReturnType<typeof testRedis>>;
const opened: JobQueues[] = [];
const producer = (url: string) => {
  const q = JobQueues.producer(url, "unused");
  opened.push(q);
  return q.producer!;
};
beforeAll(async () => {
  r = await testRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((q) => q.close()));
  await r.close();
});

describe("session revocations (real Redis)", () => {
  it("a revoked session id stays revoked for the session max age; others are untouched", async () => {
    const revocations = new SessionRevocations(producer(REDIS_URL), { prefix: r.prefix, ttlSec: 3600 });
    expect(await revocations.isRevoked("sid-1")).toBe(false);
    await revocations.revoke("sid-1");
    expect(await revocations.isRevoked("sid-1")).toBe(true);
    expect(await revocations.isRevoked("sid-2")).toBe(false);
    const ttl = await r.redis.ttl(`${r.prefix}:session-revoked:sid-1`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it("cannot answer when Redis is unreachable (the caller then treats the session as signed out)", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(REDIS_URL).port || 6379) });
    await proxy.close();
    const revocations = new SessionRevocations(producer(`redis://127.0.0.1:${proxy.port}`), {
      prefix: r.prefix,
      ttlSec: 60,
    });
    await expect(revocations.isRevoked("sid-1")).rejects.toMatchObject({ code: "REDIS_UNAVAILABLE" });
  });
});
