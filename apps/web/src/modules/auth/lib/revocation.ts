// Server-side sign-out. A session token is a self-contained JWT, valid until it expires; to end one sooner,
// its session id (`sid`, set once at sign-in and kept through every refresh of the cookie; next-auth's own
// `jti` changes on each refresh) is put on a denylist in Redis until the longest a token can live. Every
// authenticated request checks the list. When Redis cannot answer, the session counts as revoked: a
// revoked token must never work, and nothing else in the portal works without Redis either.
import { producerReady, withDeadline } from "@capture/jobs";
import type { Redis } from "ioredis";

export class SessionRevocations {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlSec: number; deadlineMs?: number },
  ) {}

  private key(sid: string) {
    return `${this.options.prefix}:session-revoked:${sid}`;
  }

  async revoke(sid: string): Promise<void> {
    const ms = this.options.deadlineMs ?? 1500;
    await producerReady(this.redis, ms);
    await withDeadline(this.redis.set(this.key(sid), "1", "EX", this.options.ttlSec), ms, "revoke session");
  }

  async isRevoked(sid: string): Promise<boolean> {
    const ms = this.options.deadlineMs ?? 1500;
    await producerReady(this.redis, ms);
    return (await withDeadline(this.redis.exists(this.key(sid)), ms, "session check")) === 1;
  }
}
