// Outbound webhooks in the worker: a scanner that turns session rows into deliveries, and a BullMQ worker
// that sends them. Backoff is exponential from backoffMs over `attempts` tries (defaults: 30 s doubling
// over 12 tries, about 17 hours in all); an attempt that fails throws so BullMQ schedules the next.
import type { Db, Keyring } from "@capture/db";
import { OUTBOUND_WEBHOOK_QUEUE, OutboundDeliveryJob } from "@capture/jobs";
import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Logger } from "../logger.ts";
import { type DeliverDeps, DeliveryFailed, deliverOnce } from "./deliver.ts";
import { scanFrameEvents } from "./frame-events.ts";
import { scanParticipantEvents } from "./participant-events.ts";
import { scanSessionEvents } from "./session-events.ts";
import { scanTeamEvents } from "./team-events.ts";

export interface OutboundConfig {
  allowHosts: readonly string[];
  attempts: number;
  backoffMs: number;
  disableAfter: number;
  timeoutMs: number;
  /** How often session rows are scanned for events; 0 turns the scanner off. */
  scanMs: number;
  lookbackMs: number;
  concurrency: number;
  /** frame.stored needs the portal's public URL for its download links; without it, none are sent. */
  frameEvents?: { baseUrl: string; windowMs?: number; urlTtlSec?: number };
}

export function deliveryJobOptions(cfg: Pick<OutboundConfig, "attempts" | "backoffMs">, deliveryId: string) {
  return {
    jobId: deliveryId,
    attempts: cfg.attempts,
    backoff: { type: "exponential", delay: cfg.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  };
}

export function startOutboundWebhooks(opts: {
  db: Db;
  keyring: Keyring;
  connection: ConnectionOptions;
  prefix?: string;
  log: Logger;
  config: OutboundConfig;
  fetch?: typeof fetch;
}) {
  const { db, log, config } = opts;
  const queueOpts = opts.prefix
    ? { connection: opts.connection, prefix: opts.prefix }
    : { connection: opts.connection };
  const queue = new Queue(OUTBOUND_WEBHOOK_QUEUE, queueOpts);
  queue.on("error", (err) => log.warn({ err }, "outbound queue error"));
  const deps: DeliverDeps = {
    db,
    keyring: opts.keyring,
    allowHosts: config.allowHosts,
    disableAfter: config.disableAfter,
    timeoutMs: config.timeoutMs,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  };
  const worker = new Worker(
    OUTBOUND_WEBHOOK_QUEUE,
    async (job: Job) => {
      const parsed = OutboundDeliveryJob.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError("bad outbound delivery payload");
      const outcome = await deliverOnce(deps, parsed.data.deliveryId, {
        made: job.attemptsMade,
        max: job.opts.attempts ?? 1,
      });
      if (outcome === "retry")
        throw new DeliveryFailed(`delivery ${parsed.data.deliveryId} failed; retrying`);
      return outcome;
    },
    { ...queueOpts, concurrency: config.concurrency },
  );
  worker.on("error", (err) => log.error({ err }, "outbound worker error"));
  worker.on("failed", (job, err) =>
    log.warn(
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } },
      "webhook delivery failed",
    ),
  );

  const enqueue = async (ids: string[]) => {
    await queue.addBulk(
      ids.map((deliveryId) => ({
        name: "deliver",
        data: { deliveryId },
        opts: deliveryJobOptions(config, deliveryId),
      })),
    );
  };
  let scanning: Promise<void> = Promise.resolve();
  const scan = () => {
    scanning = scanning
      .then(async () => {
        await enqueue(await scanSessionEvents(db, { lookbackMs: config.lookbackMs }));
        await enqueue(await scanTeamEvents(db, { lookbackMs: config.lookbackMs }));
        await enqueue(await scanParticipantEvents(db, { lookbackMs: config.lookbackMs }));
        if (config.frameEvents) {
          await enqueue(
            await scanFrameEvents(db, {
              ...config.frameEvents,
              keyring: opts.keyring,
              lookbackMs: config.lookbackMs,
            }),
          );
        }
      })
      .catch((err) => log.warn({ err }, "outbound event scan failed"));
    return scanning;
  };
  const timer = config.scanMs > 0 ? setInterval(() => void scan(), config.scanMs) : undefined;
  timer?.unref();

  let closed: Promise<void> | undefined;
  return {
    queue,
    worker,
    /** One scan now (tests; the timer does the same). */
    scan,
    close() {
      closed ??= (async () => {
        if (timer) clearInterval(timer);
        await scanning;
        await worker.close();
        await queue.close();
      })();
      return closed;
    },
  };
}
