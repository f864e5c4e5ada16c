// Typed enqueue helpers: validate, then add with the options that make duplicates collapse.
import { type ConnectionOptions, type JobsOptions, Queue } from "bullmq";
import { CaptureJob, captureJobId, QueueName, RoomsQueueJob, ZoomEventJob } from "./queues.ts";

/** Retention: keep enough history to debug, never grow without bound. */
const RETENTION: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

export class JobQueues {
  readonly zoomEvents: Queue;
  readonly capture: Queue;
  readonly rooms: Queue;

  constructor(connection: ConnectionOptions, prefix?: string) {
    const opts = prefix ? { connection, prefix } : { connection };
    this.zoomEvents = new Queue(QueueName.zoomEvents, opts);
    this.capture = new Queue(QueueName.capture, opts);
    this.rooms = new Queue(QueueName.rooms, opts);
  }

  /** Webhook and event-WebSocket events. Redeliveries of the same event collapse on the dedup id. */
  async addZoomEvent(data: ZoomEventJob, dedupId?: string) {
    const job = ZoomEventJob.parse(data);
    return this.zoomEvents.add(job.event, job, {
      ...RETENTION,
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
      ...(dedupId ? { deduplication: { id: dedupId, ttl: 3 * 3600 * 1000 } } : {}),
    });
  }

  /** One job per stream: a second add for the same stream id is a no-op while the first exists. */
  async addCapture(data: CaptureJob) {
    const job = CaptureJob.parse(data);
    return this.capture.add("capture", job, {
      jobId: captureJobId(job.rtmsStreamId),
      // A capture that fails (worker crash loops aside) is not retried blindly: Zoom's reconnect window
      // is ~60 s, so two quick retries then the session is recorded as failed.
      attempts: 3,
      backoff: { type: "fixed", delay: 2000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
  }

  async addRoomsJob(data: RoomsQueueJob, options: JobsOptions = {}) {
    const job = RoomsQueueJob.parse(data);
    return this.rooms.add(job.kind, job, {
      ...RETENTION,
      attempts: 5,
      backoff: { type: "exponential", delay: 2000 },
      ...options,
    });
  }

  /**
   * Deletes every job of the three queues under this prefix. For tests and benches, which run under a
   * prefix of their own; never call it on a production prefix.
   */
  async obliterate() {
    for (const queue of [this.zoomEvents, this.capture, this.rooms]) {
      await queue.obliterate({ force: true }).catch(() => {});
    }
  }

  async close() {
    await Promise.all([this.zoomEvents.close(), this.capture.close(), this.rooms.close()]);
  }
}
