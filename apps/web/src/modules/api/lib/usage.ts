// Token use, audited in batches: one AuditEvent per token per flush (count, first and last use, requests
// per route) and one lastUsedAt update, instead of a write per request. A flush runs every intervalMs or
// when maxPending requests wait; whatever is pending when the process dies is lost (at most one interval).
import type { Db } from "@capture/db";

interface Pending {
  teamId: string;
  count: number;
  first: Date;
  last: Date;
  routes: Map<string, number>;
}

export class TokenUsageRecorder {
  private pending = new Map<string, Pending>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly opts: {
      intervalMs?: number;
      maxPending?: number;
      onError?: (err: unknown) => void;
    } = {},
  ) {}

  record(tokenId: string, teamId: string, route: string, at = new Date()): void {
    let p = this.pending.get(tokenId);
    if (!p) {
      p = { teamId, count: 0, first: at, last: at, routes: new Map() };
      this.pending.set(tokenId, p);
    }
    p.count++;
    p.last = at;
    p.routes.set(route, (p.routes.get(route) ?? 0) + 1);
    this.total++;
    if (this.total >= (this.opts.maxPending ?? 500)) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.intervalMs ?? 10_000);
      this.timer.unref();
    }
  }

  /** Writes everything pending; resolves when written (tests and shutdown call it). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    this.total = 0;
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: Map<string, Pending>): Promise<void> {
    if (batch.size === 0) return;
    try {
      await this.db.$transaction([
        this.db.auditEvent.createMany({
          data: [...batch].map(([tokenId, p]) => ({
            teamId: p.teamId,
            action: "api_token.use",
            targetType: "api_token",
            targetId: tokenId,
            data: {
              count: p.count,
              first: p.first.toISOString(),
              last: p.last.toISOString(),
              routes: Object.fromEntries(p.routes),
            },
          })),
        }),
        ...[...batch].map(([tokenId, p]) =>
          this.db.apiToken.updateMany({ where: { id: tokenId }, data: { lastUsedAt: p.last } }),
        ),
      ]);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
