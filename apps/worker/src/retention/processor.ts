// The BullMQ side of the retention sweep: the payload is checked, and the job id names the run (a retry of
// the same period's job keeps it, so a resumed run adds to the same audit event).
import { RetentionSweepJob } from "@capture/jobs";
import { type Job, UnrecoverableError } from "bullmq";
import { type RetentionDeps, type RetentionResult, runRetentionSweep } from "./sweep.ts";

export async function processRetentionJob(job: Job, deps: RetentionDeps): Promise<RetentionResult> {
  const parsed = RetentionSweepJob.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad retention job payload: ${parsed.error.message}`);
  return runRetentionSweep(deps, job.id ?? `${job.name}-${job.timestamp}`);
}
