// Login attempts are limited per account and per client address, in Redis so every portal replica shares
// the counts. Only failures count; a success clears the account's counter. When either counter is over its
// limit the attempt is refused before the password is even checked (a correct password does not bypass it,
// or the limiter would be an oracle).
import type { Redis } from "ioredis";

export interface RateLimitPolicy {
  maxFailures: number;
  windowSec: number;
}

export interface LoginRateLimiterOptions {
  perAccount?: RateLimitPolicy;
  perAddress?: RateLimitPolicy;
  /** Key prefix, so tests and deployments sharing one Redis do not collide. */
  prefix?: string;
}

export type RateLimitDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSec: number; scope: "account" | "address" };

export class LoginRateLimiter {
  readonly perAccount: RateLimitPolicy;
  readonly perAddress: RateLimitPolicy;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: LoginRateLimiterOptions = {},
  ) {
    this.perAccount = options.perAccount ?? { maxFailures: 5, windowSec: 15 * 60 };
    this.perAddress = options.perAddress ?? { maxFailures: 30, windowSec: 15 * 60 };
    this.prefix = options.prefix ?? "capture:login-fail";
  }

  private accountKey(email: string) {
    return `${this.prefix}:acct:${email.trim().toLowerCase()}`;
  }
  private addressKey(address: string) {
    return `${this.prefix}:addr:${address}`;
  }

  async check(email: string, address: string): Promise<RateLimitDecision> {
    const a = this.accountKey(email);
    const b = this.addressKey(address);
    const [counts, ttls] = await Promise.all([
      this.redis.mget(a, b),
      Promise.all([this.redis.ttl(a), this.redis.ttl(b)]),
    ]);
    const account = Number(counts[0] ?? 0);
    const addr = Number(counts[1] ?? 0);
    if (account >= this.perAccount.maxFailures) {
      return { allowed: false, scope: "account", retryAfterSec: Math.max(1, ttls[0]) };
    }
    if (addr >= this.perAddress.maxFailures) {
      return { allowed: false, scope: "address", retryAfterSec: Math.max(1, ttls[1]) };
    }
    return { allowed: true };
  }

  async recordFailure(email: string, address: string): Promise<void> {
    // The window starts at the first failure (EXPIRE NX): a steady trickle cannot keep extending it.
    await this.redis
      .multi()
      .incr(this.accountKey(email))
      .expire(this.accountKey(email), this.perAccount.windowSec, "NX")
      .incr(this.addressKey(address))
      .expire(this.addressKey(address), this.perAddress.windowSec, "NX")
      .exec();
  }

  async recordSuccess(email: string): Promise<void> {
    await this.redis.del(this.accountKey(email));
  }
}
