// Typed enqueue helpers: validate, then add with the options that make duplicates collapse.
import { type ConnectionOptions, type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  CaptureJob,
  captureJobId,
  QueueName,
  RETENTION_SCHEDULER_ID,
  RetentionSweepJob,
  RoomsQueueJob,
  ZoomEventJob,
  zoomEventDedupId,
} from "./queues.ts";
import { type ProducerRedisOptions, producerReady, producerRedis, withDeadline } from "./redis.ts";

/** Retention: keep enough history to debug, never grow without bound. */
const RETENTION: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

export interface ProducerOptions extends ProducerRedisOptions {
  /** Longest time one enqueue may take, connection wait included (ms). */
  deadlineMs?: number;
}

export class JobQueues {
  readonly zoomEvents: Queue;
  readonly capture: Queue;
  readonly rooms: Queue;
  readonly retention: Queue;
  /** Set on producer queues (`JobQueues.producer`): the fail-fast connection they all share. */
  readonly producer?: Redis;
  private readonly deadlineMs: number;

  constructor(
    connection: ConnectionOptions,
    prefix?: string,
    producer?: { redis: Redis; deadlineMs?: number },
  ) {
    const opts = prefix ? { connection, prefix } : { connection };
    this.zoomEvents = new Queue(QueueName.zoomEvents, opts);
    this.capture = new Queue(QueueName.capture, opts);
    this.rooms = new Queue(QueueName.rooms, opts);
    this.retention = new Queue(QueueName.retention, opts);
    this.producer = producer?.redis;
    this.deadlineMs = producer?.deadlineMs ?? 2000;
  }

  /**
   * Queues for an HTTP process (the portal): one fail-fast connection (see redis.ts), and every enqueue
   * rejects with RedisUnavailableError within `deadlineMs` when Redis is down or silent. Never use these
   * for a BullMQ Worker (blocking commands need the worker connection).
   */
  static producer(redisUrl: string, prefix?: string, options: ProducerOptions = {}): JobQueues {
    const redis = producerRedis(redisUrl, options);
    const queues = new JobQueues(redis, prefix, { redis, deadlineMs: options.deadlineMs });
    // During an outage each queue would print every reconnect failure; callers see them on their calls.
    for (const queue of [queues.zoomEvents, queues.capture, queues.rooms, queues.retention])
      queue.on("error", () => {});
    return queues;
  }

  /** Producer queues: resolves when the connection is up (RedisUnavailableError when it is not). */
  async ready(): Promise<void> {
    if (this.producer) await producerReady(this.producer, this.deadlineMs);
  }

  /** Runs one producer call: refused at once during an outage, and bounded by the deadline. */
  private async produce<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (!this.producer) return work();
    const started = Date.now();
    await producerReady(this.producer, this.deadlineMs);
    return withDeadline(work(), Math.max(1, this.deadlineMs - (Date.now() - started)), what);
  }

  /**
   * Webhook and event-WebSocket events. Redeliveries of the same event collapse on the dedup id, which is
   * scoped to the team here: another team's event with the same fields never collapses into this one.
   */
  async addZoomEvent(data: ZoomEventJob, dedupId?: string) {
    const job = ZoomEventJob.parse(data);
    return this.produce("enqueue zoom event", () =>
      this.zoomEvents.add(job.event, job, {
        ...RETENTION,
        attempts: 5,
        backoff: { type: "exponential", delay: 1000 },
        ...(dedupId
          ? { deduplication: { id: zoomEventDedupId(job.teamId, dedupId), ttl: 3 * 3600 * 1000 } }
          : {}),
      }),
    );
  }

  /** One job per (team, stream): a second add for the same pair is a no-op while the first exists. */
  async addCapture(data: CaptureJob) {
    const job = CaptureJob.parse(data);
    return this.capture.add("capture", job, {
      jobId: captureJobId(job),
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
    return this.produce("enqueue rooms job", () =>
      this.rooms.add(job.kind, job, {
        ...RETENTION,
        attempts: 5,
        backoff: { type: "exponential", delay: 2000 },
        ...options,
      }),
    );
  }

  /**
   * The retention sweep every `everyMs`. Every worker calls this at start: the scheduler id is one, so Redis
   * holds one schedule and each period's job is taken by one worker. A failed run (a crash, the store
   * down) is retried with the same job id, which the sweep uses to resume the same audit event.
   */
  async scheduleRetention(everyMs: number) {
    const data = RetentionSweepJob.parse({ kind: "retention.sweep" });
    return this.retention.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every: everyMs },
      {
        name: data.kind,
        data,
        opts: { ...RETENTION, attempts: 5, backoff: { type: "exponential", delay: 5000 } },
      },
    );
  }

  /**
   * Deletes every job of the queues under this prefix. For tests and benches, which run under a
   * prefix of their own; never call it on a production prefix.
   */
  async obliterate() {
    for (const queue of [this.zoomEvents, this.capture, this.rooms, this.retention]) {
      await queue.obliterate({ force: true }).catch(() => {});
    }
  }

  async close() {
    await Promise.all([
      this.zoomEvents.close(),
      this.capture.close(),
      this.rooms.close(),
      this.retention.close(),
    ]);
    // A connection passed in as an instance is not BullMQ's to close.
    this.producer?.disconnect();
  }
}
