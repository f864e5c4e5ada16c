// Each team's webhook secret, read from Postgres at most once per TTL per portal process. A burst of events
// for one team (Zoom sends them in bursts) costs one query, not one per request: concurrent lookups share
// the pending one. Unknown teams are cached too (as null), briefly: a team that saves its secret right
// after Zoom's first URL validation must not wait out a long negative entry.
// A rotated secret: a signature that does not verify against a cached secret asks for a reload
// (`refresh`), at most once per `minRefreshMs` per team, so junk cannot turn into a query per request.

export interface SecretCacheOptions {
  ttlMs?: number;
  /** TTL of "no such team / no secret" entries. */
  negativeTtlMs?: number;
  /** A cached entry younger than this is not reloaded by `refresh`. */
  minRefreshMs?: number;
  /** Bound on cached teams; the oldest entry goes first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  at: number;
  value: Promise<string | null>;
  /** Settled value, once known (decides which TTL applies). */
  settled?: string | null;
}

export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly minRefreshMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly load: (teamId: string) => Promise<string | null>,
    options: SecretCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.minRefreshMs = options.minRefreshMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get(teamId: string): Promise<string | null> {
    const hit = this.entries.get(teamId);
    if (hit) {
      const ttl = hit.settled === null ? this.negativeTtlMs : this.ttlMs;
      if (this.now() - hit.at < ttl) return hit.value;
    }
    return this.reload(teamId);
  }

  /**
   * The secret again, reloaded unless the cached entry is fresher than `minRefreshMs`: for a signature that
   * did not verify, in case the team rotated its secret.
   */
  refresh(teamId: string): Promise<string | null> {
    const hit = this.entries.get(teamId);
    if (hit && this.now() - hit.at < this.minRefreshMs) return hit.value;
    return this.reload(teamId);
  }

  private reload(teamId: string): Promise<string | null> {
    const value = this.load(teamId);
    const entry: Entry = { at: this.now(), value };
    value.then(
      (v) => {
        entry.settled = v;
      },
      // A failed read (database down) is not remembered: the next request tries again.
      () => {
        if (this.entries.get(teamId) === entry) this.entries.delete(teamId);
      },
    );
    this.entries.delete(teamId);
    this.entries.set(teamId, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  /** Forget one team (after its secret changes in this process). */
  invalidate(teamId: string): void {
    this.entries.delete(teamId);
  }
}
