// Replay protection for signed webhooks. A signature is only accepted while its timestamp is within the
// window (±SIGNATURE_WINDOW_SEC of now), so remembering each accepted signature for twice the window is
// enough to accept each one once: a captured request replayed later is either stale or remembered here.
// This is what stops a body without `event_ts` (whose dedup id would otherwise change on every replay)
// from being acted on each time it is sent. Keys live in Redis, shared by every portal replica.
import { producerReady, withDeadline } from "@capture/jobs";
import type { Redis } from "ioredis";

export class ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlSec: number; deadlineMs?: number },
  ) {}

  private key(teamId: string, signature: string) {
    return `${this.options.prefix}:webhook-seen:${teamId}:${signature}`;
  }

  /** True the first time this team's signature is seen within the TTL, false for a replay. */
  async claim(teamId: string, signature: string): Promise<boolean> {
    // With the enqueue's own 1.5 s (services.ts), the webhook's Redis work stays inside Zoom's 3 s.
    const ms = this.options.deadlineMs ?? 1000;
    await producerReady(this.redis, ms);
    const set = this.redis.set(this.key(teamId, signature), "1", "EX", this.options.ttlSec, "NX");
    return (await withDeadline(set, ms, "replay check")) === "OK";
  }

  /** Undo a claim whose event could not be enqueued, so sending it again is not taken for a replay. */
  async release(teamId: string, signature: string): Promise<void> {
    if (this.redis.status !== "ready") return;
    await withDeadline(this.redis.del(this.key(teamId, signature)), 500, "replay release").catch(() => {});
  }
}
