// The retry queue: work that failed for good after the worker's own retries. An operator sees what failed,
// why and how often, and either re-runs it ("retry now": the stored payload goes back on its queue, tagged
// with the retry item id so the worker can resolve the item) or dismisses it.
import type { Db, RetryKind, RetryStatus } from "@capture/db";
import { CaptureJob, captureJobId, type JobQueues, RoomsQueueJob } from "@capture/jobs";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";

export type RetryFilter = "open" | "all";

const OPEN_STATUSES: RetryStatus[] = ["OPEN", "RETRYING"];

export async function listRetryItems(db: Db, teamId: string, filter: RetryFilter = "open") {
  return db.retryItem.findMany({
    where: { teamId, ...(filter === "open" ? { status: { in: OPEN_STATUSES } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 200,
  });
}

export async function countOpenRetryItems(db: Db, teamId: string) {
  return db.retryItem.count({ where: { teamId, status: "OPEN" } });
}

async function getItem(db: Db, teamId: string, id: string) {
  const item = await db.retryItem.findFirst({ where: { id, teamId } });
  if (!item) throw new AppError("NOT_FOUND", "No such retry item");
  return item;
}

/** Validates the stored payload against the job contract and puts it back on its queue. */
async function enqueueAgain(
  queues: Pick<JobQueues, "addRoomsJob" | "addCapture" | "capture">,
  kind: RetryKind,
  payload: unknown,
  retryItemId: string,
  teamId: string,
) {
  if (kind === "CAPTURE") {
    const job = CaptureJob.safeParse(payload);
    if (!job.success || job.data.teamId !== teamId) {
      throw new AppError("VALIDATION", "The stored capture payload is not valid any more: dismiss it");
    }
    // A failed job keeps its id for a while; BullMQ would silently ignore a new add under the same id.
    const old = await queues.capture.getJob(captureJobId(job.data));
    if (old && (await old.isFailed())) await old.remove();
    return queues.addCapture(job.data);
  }
  const withId =
    payload && typeof payload === "object" && (payload as { kind?: unknown }).kind !== "room.confirm"
      ? { ...payload, retryItemId }
      : payload;
  const job = RoomsQueueJob.safeParse(withId);
  if (!job.success || job.data.teamId !== teamId) {
    throw new AppError("VALIDATION", "The stored room job payload is not valid any more: dismiss it");
  }
  return queues.addRoomsJob(job.data);
}

export async function retryNow(
  deps: { db: Db; queues: Pick<JobQueues, "addRoomsJob" | "addCapture" | "capture"> },
  actor: Member,
  id: string,
  ip?: string | null,
) {
  requireRole(actor, "ADMIN");
  const item = await getItem(deps.db, actor.teamId, id);
  if (item.status !== "OPEN") {
    throw new AppError(
      "CONFLICT",
      `This item is ${item.status.toLowerCase()}; only open items can be retried`,
    );
  }
  // Claim it first (OPEN -> RETRYING) so a double click enqueues once.
  const claimed = await deps.db.retryItem.updateMany({
    where: { id, status: "OPEN" },
    data: { status: "RETRYING" },
  });
  if (claimed.count === 0) throw new AppError("CONFLICT", "Someone else is already retrying this item");
  try {
    const job = await enqueueAgain(deps.queues, item.kind, item.payload, item.id, actor.teamId);
    await recordAudit(deps.db, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "retry.retry_now",
      targetType: "retry_item",
      targetId: id,
      data: { kind: item.kind, jobId: job.id ?? null },
      ip,
    });
    return job.id;
  } catch (err) {
    await deps.db.retryItem.update({
      where: { id },
      data: {
        status: "OPEN",
        lastError: err instanceof AppError ? err.message : "could not enqueue the retry",
      },
    });
    throw err;
  }
}

export async function dismissRetryItem(db: Db, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const item = await getItem(db, actor.teamId, id);
  if (item.status === "RESOLVED" || item.status === "DISMISSED") return;
  await db.$transaction(async (tx) => {
    await tx.retryItem.update({ where: { id }, data: { status: "DISMISSED", resolvedAt: new Date() } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "retry.dismiss",
      targetType: "retry_item",
      targetId: id,
      data: { kind: item.kind, reason: item.reason },
      ip,
    });
  });
}
