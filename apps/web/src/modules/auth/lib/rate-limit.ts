// Sign-in throttling, in Redis so every portal replica shares the counts. Only failures count. Built so an
// outsider who knows someone's email cannot lock them out:
// - per account AND address: after `perAccountAddress.maxFailures` failures for one email from one address,
//   that pair is refused until its window ends (a correct password does not bypass it, or the limiter
//   would be an oracle). The same account from another address is not affected;
// - per address: one address spraying many accounts is refused;
// - per account, from every address together: no refusal, only a delay that grows with the failures
//   (`accountDelay`), which slows a distributed guesser and costs the real owner a few seconds at most.
// A success clears that pair's counter and the account's delay.
import { producerReady } from "@capture/jobs";
import type { Redis } from "ioredis";

export interface RateLimitPolicy {
  maxFailures: number;
  windowSec: number;
}

export interface DelayPolicy {
  /** Failures (from any address, within `windowSec`) that cost nothing. */
  freeFailures: number;
  /** Delay after the first failure beyond the free ones; it doubles with each further one, up to maxMs. */
  baseMs: number;
  maxMs: number;
  windowSec: number;
}

export interface LoginRateLimiterOptions {
  perAccountAddress?: RateLimitPolicy;
  perAddress?: RateLimitPolicy;
  accountDelay?: DelayPolicy;
  /** Key prefix, so tests and deployments sharing one Redis do not collide. */
  prefix?: string;
}

export type RateLimitDecision =
  | { allowed: true; delayMs: number }
  | { allowed: false; retryAfterSec: number; scope: "account-address" | "address" };

const CONNECT_WAIT_MS = 2_000;

export class LoginRateLimiter {
  readonly perAccountAddress: RateLimitPolicy;
  readonly perAddress: RateLimitPolicy;
  readonly accountDelay: DelayPolicy;
  private readonly prefix: string;

  /**
   * The portal's fail-fast producer client has no offline queue: right after start it is still connecting,
   * and the first sign-in would be refused as "unavailable". Wait (briefly) for that first connection.
   */
  #connected(): Promise<void> {
    return producerReady(this.redis, CONNECT_WAIT_MS);
  }

  constructor(
    private readonly redis: Redis,
    options: LoginRateLimiterOptions = {},
  ) {
    this.perAccountAddress = options.perAccountAddress ?? { maxFailures: 5, windowSec: 15 * 60 };
    this.perAddress = options.perAddress ?? { maxFailures: 30, windowSec: 15 * 60 };
    this.accountDelay = options.accountDelay ?? {
      freeFailures: 3,
      baseMs: 500,
      maxMs: 8000,
      windowSec: 15 * 60,
    };
    this.prefix = options.prefix ?? "capture:login-fail";
  }

  private account(email: string) {
    return email.trim().toLowerCase();
  }
  private pairKey(email: string, address: string) {
    return `${this.prefix}:pair:${address}:${this.account(email)}`;
  }
  private addressKey(address: string) {
    return `${this.prefix}:addr:${address}`;
  }
  private accountKey(email: string) {
    return `${this.prefix}:acct:${this.account(email)}`;
  }

  /** The delay the account's recent failures (from anywhere) impose on its next attempt. */
  delayFor(accountFailures: number): number {
    const { freeFailures, baseMs, maxMs } = this.accountDelay;
    if (accountFailures < freeFailures) return 0;
    return Math.min(maxMs, baseMs * 2 ** Math.min(30, accountFailures - freeFailures));
  }

  async check(email: string, address: string): Promise<RateLimitDecision> {
    await this.#connected();
    const pair = this.pairKey(email, address);
    const addr = this.addressKey(address);
    const acct = this.accountKey(email);
    const [counts, pairTtl, addrTtl] = await Promise.all([
      this.redis.mget(pair, addr, acct),
      this.redis.ttl(pair),
      this.redis.ttl(addr),
    ]);
    const [pairFailures, addrFailures, accountFailures] = counts.map((c) => Number(c ?? 0));
    if (pairFailures! >= this.perAccountAddress.maxFailures) {
      return { allowed: false, scope: "account-address", retryAfterSec: Math.max(1, pairTtl) };
    }
    if (addrFailures! >= this.perAddress.maxFailures) {
      return { allowed: false, scope: "address", retryAfterSec: Math.max(1, addrTtl) };
    }
    return { allowed: true, delayMs: this.delayFor(accountFailures!) };
  }

  async recordFailure(email: string, address: string): Promise<void> {
    await this.#connected();
    // Each window starts at its first failure (EXPIRE NX): a steady trickle cannot keep extending it.
    const pair = this.pairKey(email, address);
    const addr = this.addressKey(address);
    const acct = this.accountKey(email);
    await this.redis
      .multi()
      .incr(pair)
      .expire(pair, this.perAccountAddress.windowSec, "NX")
      .incr(addr)
      .expire(addr, this.perAddress.windowSec, "NX")
      .incr(acct)
      .expire(acct, this.accountDelay.windowSec, "NX")
      .exec();
  }

  async recordSuccess(email: string, address: string): Promise<void> {
    await this.redis.del(this.pairKey(email, address), this.accountKey(email));
  }
}
