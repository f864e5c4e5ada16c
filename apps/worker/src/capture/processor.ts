// The `capture` queue: one long-running job per RTMS stream. BullMQ's job lock is the lease on the stream.
//
// Lock numbers (defaults, env CAPTURE_LOCK_MS / CAPTURE_STALLED_CHECK_MS): the lock lasts 15 s and is
// renewed every 7.5 s while the worker lives. If the worker dies (kill -9, lost host), its lock expires
// within 15 s and any live worker's stalled check (every 5 s) moves the job back to `wait`, so another
// worker picks it up within ~20 s and has resumed its sessions well inside Zoom's ~60 s window for the
// signaling socket to come back. (20 s and 10 s let a 221-session takeover take 31.5 s in the bench.)
// maxStalledCount is high because a stall here means "the worker died", not "the job is poison".
//
// Fair scheduling (issue 9): a team at its cap (TEAM_MAX_SESSIONS, team-slots.ts) does not keep a capture
// slot waiting. Its job goes back to `delayed` for a few seconds (not counted as an attempt), so the
// worker takes the next job in the queue, which may be another team's.
import { CaptureJob } from "@capture/jobs";
import { DelayedError, type Job, UnrecoverableError, WaitingError } from "bullmq";
import { LogSampler } from "./protocol-guard.ts";
import { type CaptureDeps, CaptureSessionRunner, type RunResult } from "./session-runner.ts";
import type { TeamSlots } from "./team-slots.ts";

export const CAPTURE_MAX_STALLED_COUNT = 50;

export interface CaptureRunnersOptions {
  teamSlots?: TeamSlots;
  /** How long a job of a team at its cap waits before it is tried again (ms, jittered). */
  capRetryMs?: number;
  /**
   * A session ended for good (stopped, failed, or its job gave up): its rooms must be told to leave,
   * whatever the way it ended.
   */
  onSessionEnded?: (session: { id: string; teamId: string }) => Promise<unknown>;
}

export class CaptureRunners {
  /** By job id: a job whose lock was lost can come back to this same worker while its old runner lives. */
  readonly #running = new Map<string, CaptureSessionRunner>();
  readonly #o: CaptureRunnersOptions;
  readonly #deferralLog = new LogSampler({ first: 5, every: 100 });

  constructor(options: CaptureRunnersOptions = {}) {
    this.#o = options;
  }

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
      const { teamId } = parsed.data;
      await this.#running.get(jobId)?.release();
      const slot = await this.#o.teamSlots?.claim(teamId, jobId);
      if (this.#o.teamSlots && !slot) {
        const delayMs = Math.round((this.#o.capRetryMs ?? 5000) * (0.75 + Math.random() / 2));
        deps.metrics.teamCapDeferrals.inc();
        // Every waiting stream comes back every few seconds: a sample of those lines per team is enough.
        const occurrence = this.#deferralLog.take(teamId);
        if (occurrence > 0)
          deps.log.info(
            { teamId, rtmsStreamId: parsed.data.rtmsStreamId, cap: this.#o.teamSlots.maxPerTeam, occurrence },
            "team at its concurrent-session cap: capture deferred",
          );
        if (!token) throw new Error("capture job without a lock token");
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      const runner = new CaptureSessionRunner(deps, parsed.data);
      this.#running.set(jobId, runner);
      let result: RunResult;
      try {
        result = await runner.run();
      } catch (err) {
        const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (final && runner.sessionId) {
          deps.writer.patchSession(runner.sessionId, {
            state: "FAILED",
            endedAt: new Date(),
            stopReasonText: String(err),
          });
          this.#ended(deps, runner.sessionId, teamId);
        }
        await slot?.release();
        throw err;
      } finally {
        if (this.#running.get(jobId) === runner) this.#running.delete(jobId);
      }
      if (result.outcome === "released") slot?.handOver();
      else await slot?.release();
      if (result.outcome === "stopped" && runner.sessionId) this.#ended(deps, runner.sessionId, teamId);
      if (result.outcome === "released") {
        // Back to `wait` for another worker. If our lock is already gone, the stalled check requeues it.
        await job.moveToWait(token).catch(() => {});
        throw new WaitingError();
      }
      return result;
    };
  }

  #ended(deps: CaptureDeps, sessionId: string, teamId: string) {
    void this.#o
      .onSessionEnded?.({ id: sessionId, teamId })
      ?.catch((err) => deps.log.error({ err, sessionId }, "could not tell the session's rooms to leave"));
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
