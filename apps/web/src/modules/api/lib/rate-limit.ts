// Requests per token per minute, counted in Redis so every portal replica shares one budget. A fixed
// window (INCR + PEXPIRE on the first hit) is one round trip; a burst of twice the limit across a window
// edge is acceptable here.
import type { Redis } from "ioredis";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSec: number;
}

export async function takeToken(
  redis: Redis,
  opts: { prefix: string; tokenId: string; limit: number; windowMs?: number; now?: number },
): Promise<RateDecision> {
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now();
  const window = Math.floor(now / windowMs);
  const key = `${opts.prefix}:api-rate:${opts.tokenId}:${window}`;
  const [[, count]] = (await redis.multi().incr(key).pexpire(key, windowMs, "NX").exec()) as [
    [unknown, number],
  ];
  const resetSec = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
  return {
    allowed: count <= opts.limit,
    limit: opts.limit,
    remaining: Math.max(0, opts.limit - count),
    resetSec,
  };
}
