// The retention sweep: for every session holding frames past its team's (or meeting's) retention, delete
// them in batches, objects first and then rows, and mark a session "frames expired" once nothing of it is
// left. Objects first: a crash between the two leaves rows whose objects are gone, which the next run finds
// and finishes (deleting a missing object is not an error); the other order could leave objects no row
// points at, which no one would ever find. Counts go into one audit event per team and run (packages/db).
import {
  type Db,
  deleteExpiredRows,
  type ExpiredFrame,
  expiredFramesBatch,
  markFramesExpired,
  reconcileStoredBytes,
  retentionCandidates,
} from "@capture/db";
import type { FrameStore } from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";

export interface RetentionDeps {
  db: Db;
  store: Pick<FrameStore, "delete">;
  log: Logger;
  /** Frames per batch: one query, that many object deletes, one transaction of rows. */
  batchSize: number;
  /** Parallel object deletes within a batch (S3 round trips dominate otherwise). */
  deleteConcurrency?: number;
  now?: () => Date;
}

export interface RetentionResult {
  frames: number;
  bytes: number;
  sessionsExpired: number;
  teams: number;
}

async function deleteObjects(store: RetentionDeps["store"], frames: ExpiredFrame[], concurrency: number) {
  let next = 0;
  let failed = false;
  const lane = async () => {
    // After one failure no lane starts another delete: the batch is retried whole.
    while (!failed && next < frames.length) {
      const f = frames[next++]!;
      try {
        await store.delete(f.storageKey);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, frames.length) }, lane));
}

/** One run. `runId` is the same on every retry of a run, so a resumed run adds to the same audit event. */
export async function runRetentionSweep(deps: RetentionDeps, runId: string): Promise<RetentionResult> {
  const now = deps.now?.() ?? new Date();
  const concurrency = deps.deleteConcurrency ?? 16;
  const result: RetentionResult = { frames: 0, bytes: 0, sessionsExpired: 0, teams: 0 };
  const teams = new Set<string>();
  for (const c of await retentionCandidates(deps.db, now)) {
    const run = { runId, teamId: c.teamId };
    for (;;) {
      const batch = await expiredFramesBatch(deps.db, c.sessionId, c.cutoff, deps.batchSize);
      if (batch.length === 0) break;
      // A store failure throws here, before any row of the batch goes: the job is retried later.
      await deleteObjects(deps.store, batch, concurrency);
      const done = await deleteExpiredRows(
        deps.db,
        run,
        batch.map((f) => f.id),
      );
      result.frames += done.frames;
      result.bytes += done.bytes;
      if (done.frames > 0) teams.add(c.teamId);
      if (batch.length < deps.batchSize) break;
    }
    if (c.complete && (await markFramesExpired(deps.db, run, c.sessionId))) {
      result.sessionsExpired += 1;
      teams.add(c.teamId);
    }
  }
  result.teams = teams.size;
  // Backstop for Team.storedBytes (kept by triggers): recomputed from the rows once per run.
  for (const fixed of await reconcileStoredBytes(deps.db))
    deps.log.warn(
      { teamId: fixed.teamId, was: String(fixed.was), now: String(fixed.now) },
      "team stored bytes were off; recomputed from the frame rows",
    );
  if (result.frames > 0 || result.sessionsExpired > 0) deps.log.info({ runId, ...result }, "retention sweep");
  else deps.log.debug({ runId }, "retention sweep: nothing expired");
  return result;
}
