// Each team's webhook secret, read from Postgres at most once per TTL per portal process. A burst of events
// for one team (Zoom sends them in bursts) costs one query, not one per request: concurrent lookups share
// the pending one. Unknown teams are cached too (as null), so junk aimed at random ids stays cheap.
// A rotated secret takes effect within the TTL; events signed with it before then get 401 and Zoom
// redelivers them minutes later.

export interface SecretCacheOptions {
  ttlMs?: number;
  /** Bound on cached teams; the oldest entry goes first. */
  maxEntries?: number;
  now?: () => number;
}

export class SecretCache {
  private readonly entries = new Map<string, { at: number; value: Promise<string | null> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly load: (teamId: string) => Promise<string | null>,
    options: SecretCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get(teamId: string): Promise<string | null> {
    const hit = this.entries.get(teamId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.load(teamId);
    // A failed read (database down) is not remembered: the next request tries again.
    value.catch(() => {
      if (this.entries.get(teamId)?.value === value) this.entries.delete(teamId);
    });
    this.entries.delete(teamId);
    this.entries.set(teamId, { at: this.now(), value });
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
