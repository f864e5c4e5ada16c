// The `capture` queue: one long-running job per RTMS stream. BullMQ's job lock is the lease on the stream.
//
// Lock numbers (defaults, env CAPTURE_LOCK_MS / CAPTURE_STALLED_CHECK_MS): the lock lasts 20 s and is
// renewed every 10 s while the worker lives. If the worker dies (kill -9, lost host), its lock expires
// within 20 s and any live worker's stalled check (every 10 s) moves the job back to `wait`, so another
// worker picks it up within ~30 s, inside Zoom's ~60 s window for the signaling socket to come back.
// maxStalledCount is high because a stall here means "the worker died", not "the job is poison".
import { CaptureJob } from "@capture/jobs";
import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type CaptureDeps, CaptureSessionRunner, type RunResult } from "./session-runner.ts";

export const CAPTURE_MAX_STALLED_COUNT = 50;

export class CaptureRunners {
  /** By job id: a job whose lock was lost can come back to this same worker while its old runner lives. */
  readonly #running = new Map<string, CaptureSessionRunner>();

  get size() {
    return this.#running.size;
  }

  processor(deps: CaptureDeps) {
    return async (job: Job, token?: string): Promise<RunResult> => {
      const parsed = CaptureJob.safeParse(job.data);
      if (!parsed.success) {
        deps.log.error({ jobId: job.id, issues: parsed.error.issues }, "capture job with a bad payload");
        throw new UnrecoverableError(`bad capture payload: ${parsed.error.message}`);
      }
      const jobId = String(job.id);
      await this.#running.get(jobId)?.release();
      const runner = new CaptureSessionRunner(deps, parsed.data);
      this.#running.set(jobId, runner);
      let result: RunResult;
      try {
        result = await runner.run();
      } catch (err) {
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (final && runner.sessionId) {
          deps.writer.patchSession(runner.sessionId, {
            state: "FAILED",
            endedAt: new Date(),
            stopReasonText: String(err),
          });
        }
        throw err;
      } finally {
        if (this.#running.get(jobId) === runner) this.#running.delete(jobId);
      }
      if (result.outcome === "released") {
        // Back to `wait` for another worker. If our lock is already gone, the stalled check requeues it.
        await job.moveToWait(token).catch(() => {});
        throw new WaitingError();
      }
      return result;
    };
  }

  /** SIGTERM: every session is handed back to the queue without telling Zoom to stop the stream. */
  async releaseAll() {
    await Promise.all([...this.#running.values()].map((r) => r.release()));
  }

  /**
   * BullMQ could not renew these jobs' locks: another worker may already hold them, so their sockets
   * must close now (without ending the streams) or Zoom would see two clients for one stream.
   */
  async lockLost(jobIds: string[]) {
    await Promise.all(jobIds.map((id) => this.#running.get(id)?.release()));
  }
}
