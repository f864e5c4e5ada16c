// Zoom's event WebSocket: one subscription per team that configured one, held by exactly one worker at a
// time. The holder keeps a Redis lease (SET NX PX, renewed at a third of its life); if the holder dies, the
// lease expires and the next worker's scan takes the subscription over. Zoom does not replay events
// missed during the gap, so the gap is kept short (lease default 30 s, scan every lease/3).
import type { Db } from "@capture/db";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.ts";

export interface EventSubscription {
  close(): Promise<void>;
}

export interface TeamSubscriptionTarget {
  teamId: string;
  eventWsUrl: string;
}

export type OpenSubscription = (target: TeamSubscriptionTarget) => Promise<EventSubscription>;

export interface EventWsLeasesOptions {
  db: Db;
  redis: Redis;
  log: Logger;
  workerId: string;
  leaseMs: number;
  keyPrefix: string;
  open: OpenSubscription;
}

// Renew or release only a lease we still hold: another worker may own it after an expiry.
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export class EventWsLeases {
  readonly #o: EventWsLeasesOptions;
  readonly #held = new Map<string, { url: string; subscription?: EventSubscription }>();
  #timer?: NodeJS.Timeout;
  #ticking?: Promise<void>;
  #closed = false;

  constructor(options: EventWsLeasesOptions) {
    this.#o = options;
  }

  /** Teams whose subscription this worker holds. */
  get heldTeams(): string[] {
    return [...this.#held.keys()];
  }

  leaseKey(teamId: string) {
    return `${this.#o.keyPrefix}:event-ws-lease:${teamId}`;
  }

  async start() {
    await this.tick();
    const every = Math.max(500, Math.floor(this.#o.leaseMs / 3));
    this.#timer = setInterval(() => {
      if (!this.#ticking) this.#ticking = this.tick().finally(() => (this.#ticking = undefined));
    }, every);
  }

  /** Renews what is held, drops what was lost or unconfigured, and tries to take what nobody holds. */
  async tick() {
    const { db, redis, log, workerId, leaseMs } = this.#o;
    try {
      const apps = await db.zoomApp.findMany({
        where: { eventWsUrl: { not: null } },
        select: { teamId: true, eventWsUrl: true },
      });
      const wanted = new Map(apps.map((a) => [a.teamId, a.eventWsUrl as string]));
      for (const [teamId, held] of [...this.#held]) {
        const stillWanted = wanted.get(teamId) === held.url;
        const renewed =
          stillWanted && (await redis.eval(RENEW, 1, this.leaseKey(teamId), workerId, leaseMs)) === 1;
        if (!renewed)
          await this.#drop(teamId, stillWanted ? "lease lost" : "subscription changed or removed");
      }
      for (const [teamId, url] of wanted) {
        if (this.#closed || this.#held.has(teamId)) continue;
        const got = await redis.set(this.leaseKey(teamId), workerId, "PX", leaseMs, "NX");
        if (got !== "OK") continue;
        const entry: { url: string; subscription?: EventSubscription } = { url };
        this.#held.set(teamId, entry);
        try {
          entry.subscription = await this.#o.open({ teamId, eventWsUrl: url });
          log.info({ teamId }, "event WebSocket subscription taken");
        } catch (err) {
          log.error({ err, teamId }, "could not open the event WebSocket; lease released for another try");
          await this.#drop(teamId, "open failed");
        }
      }
    } catch (err) {
      log.warn({ err }, "event WebSocket lease scan failed");
    }
  }

  async #drop(teamId: string, why: string) {
    const held = this.#held.get(teamId);
    this.#held.delete(teamId);
    await held?.subscription?.close().catch(() => {});
    await this.#o.redis.eval(RELEASE, 1, this.leaseKey(teamId), this.#o.workerId).catch(() => {});
    this.#o.log.info({ teamId, why }, "event WebSocket subscription dropped");
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#ticking;
    for (const teamId of [...this.#held.keys()]) await this.#drop(teamId, "worker closing");
  }
}
