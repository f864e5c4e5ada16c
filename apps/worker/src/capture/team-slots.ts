// Per-team cap on concurrent capture sessions, across every worker. Each running capture job holds a slot
// in its team's sorted set (member = job id, score = lease expiry), renewed while it runs; a worker that dies
// stops renewing and its slots lapse. Claiming is one Lua script, so two workers starting the same team's
// jobs at once cannot both take the last slot.
import type { Redis } from "ioredis";

// KEYS[1] team set; ARGV: member, now, expiry, cap, key ttl. 1 = holds a slot, 0 = team at its cap.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

export interface TeamSlotsOptions {
  redis: Redis;
  keyPrefix: string;
  /** Concurrent sessions one team may run (TEAM_MAX_SESSIONS). */
  maxPerTeam: number;
  /** A slot not renewed for this long is free again (ms). */
  leaseMs?: number;
}

export interface TeamSlot {
  release(): Promise<void>;
  /**
   * Stop renewing but keep the slot until its lease ends: a session handed to another worker keeps its
   * place (the slot is the job's, so the next holder's claim finds it), instead of a waiting stream of the
   * same team taking it while this live one reconnects.
   */
  handOver(): void;
}

export class TeamSlots {
  readonly #o: Required<TeamSlotsOptions>;

  constructor(options: TeamSlotsOptions) {
    this.#o = { leaseMs: 30_000, ...options };
  }

  get maxPerTeam() {
    return this.#o.maxPerTeam;
  }

  key(teamId: string) {
    return `${this.#o.keyPrefix}:team-sessions:${teamId}`;
  }

  /** A slot for this job, renewed until released; undefined when the team is at its cap. */
  async claim(teamId: string, jobId: string): Promise<TeamSlot | undefined> {
    if (!(await this.#claimOnce(teamId, jobId))) return undefined;
    const renew = setInterval(
      () => void this.#claimOnce(teamId, jobId).catch(() => {}),
      Math.max(1000, this.#o.leaseMs / 3),
    );
    renew.unref();
    let released = false;
    return {
      handOver: () => clearInterval(renew),
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.#o.redis.zrem(this.key(teamId), jobId).catch(() => {});
      },
    };
  }

  async #claimOnce(teamId: string, jobId: string): Promise<boolean> {
    const now = Date.now();
    const { leaseMs, maxPerTeam } = this.#o;
    const ok = await this.#o.redis.eval(
      CLAIM,
      1,
      this.key(teamId),
      jobId,
      now,
      now + leaseMs,
      maxPerTeam,
      leaseMs * 2,
    );
    return ok === 1;
  }
}
