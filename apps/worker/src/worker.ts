// Composition root: builds every piece from the validated env, starts the three queue workers, the event
// WebSocket leases and the health server, and returns one idempotent close().
import { createDb, parseKeyring } from "@capture/db";
import { JobQueues, parseAllowHosts, QueueName, redisConnection } from "@capture/jobs";
import { resolveFromRepoRoot } from "@capture/jobs/paths";
import { createFrameStore, frameStoreConfigFromEnv } from "@capture/rtms-core/frames";
import { type Job, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { bootstrapDefaultTeam } from "./bootstrap.ts";
import { ControlBus } from "./capture/control-bus.ts";
import { FrameWriter } from "./capture/frame-writer.ts";
import { eventLoopBusy, LoadShedder } from "./capture/load-shedder.ts";
import { CAPTURE_MAX_STALLED_COUNT, CaptureRunners } from "./capture/processor.ts";
import { LogSampler } from "./capture/protocol-guard.ts";
import { rtmsStreamOpener } from "./capture/rtms-stream.ts";
import { StoreBacklog } from "./capture/session-runner.ts";
import { startStorageGuard } from "./capture/storage-guard.ts";
import type { OpenStreamSession } from "./capture/stream.ts";
import { TeamSlots } from "./capture/team-slots.ts";
import type { Env } from "./env.ts";
import { startHealthServer } from "./health.ts";
import { openEventSubscription } from "./intake/event-ws.ts";
import { EventWsLeases } from "./intake/event-ws-leases.ts";
import { processZoomEvent } from "./intake/zoom-events.ts";
import type { Logger } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { startOutboundWebhooks } from "./outbound/index.ts";
import { processRetentionJob } from "./retention/processor.ts";
import { enqueueRoomJoins, enqueueRoomLeaves, processRoomsJob, type RoomsDeps } from "./rooms/processor.ts";
import { ZoomApps } from "./zoom-apps.ts";

export interface RunningWorker {
  healthPort: number;
  close(): Promise<void>;
}

export interface WorkerOverrides {
  openStream?: OpenStreamSession;
}

export async function startWorker(
  env: Env,
  log: Logger,
  overrides: WorkerOverrides = {},
): Promise<RunningWorker> {
  const keyring = parseKeyring(env.CAPTURE_ENCRYPTION_KEYS);
  const db = createDb(env.DATABASE_URL, { maxConnections: 10 });
  await db.$queryRaw`SELECT 1`;
  await bootstrapDefaultTeam(db, env, keyring, log);

  const connection = redisConnection(env.REDIS_URL);
  // The same host/port/auth fields serve ioredis directly (pub/sub, leases, health).
  const redisOptions = connection as RedisOptions;
  const redis = new Redis(redisOptions);
  redis.on("error", (err) => log.warn({ err: { message: err.message } }, "redis error"));
  const prefix = env.QUEUE_PREFIX;
  const queues = new JobQueues(connection, prefix);
  const metrics = new Metrics();
  const backlog = new StoreBacklog(env.STORE_BACKLOG_BYTES);
  metrics.watchStoreBacklog(() => ({ held: backlog.heldBytes, writing: backlog.writingBytes }));
  const shedder = new LoadShedder({
    signals: [
      {
        name: "eventLoopBusy",
        read: eventLoopBusy(),
        high: env.SHED_LOOP_BUSY,
        low: env.SHED_LOOP_BUSY - 0.15,
      },
      {
        name: "storeWritingBytes",
        read: () => backlog.writingBytes,
        high: env.SHED_STORE_WRITING_BYTES || Number.POSITIVE_INFINITY,
        low: env.SHED_STORE_WRITING_BYTES / 2,
      },
    ],
    log: log.child({ component: "load-shedder" }),
    onGap: (gapMs) => metrics.shedGapMs.set(gapMs),
  }).start();
  // FRAME_STORE picks local disk or S3, as in the portal. A relative FRAMES_DIR means <repo>/FRAMES_DIR.
  const localRootDir = resolveFromRepoRoot(env.FRAMES_DIR);
  const storeLog = log.child({ component: "frame-store" });
  const retryLogs = new LogSampler({ first: 5, every: 500 });
  const store = createFrameStore(frameStoreConfigFromEnv(env, localRootDir), {
    // An outage shows as a climbing count; the log gets its first retries and then one in 500.
    onRetry: ({ operation, attempt, delayMs, error }) => {
      metrics.storeRetries.inc({ operation });
      const seen = retryLogs.take(operation);
      if (seen > 0)
        storeLog.warn({ err: error, operation, attempt, delayMs, seen }, "frame store call retried");
    },
  });
  // Team quotas and the local store's low-disk guard (issue 13), read before any capture starts.
  const storage = await startStorageGuard({
    env,
    localRootDir,
    db,
    store,
    metrics,
    log: log.child({ component: "storage" }),
  });
  const writer = new FrameWriter({
    db,
    log: log.child({ component: "frame-writer" }),
    metrics,
    budgetBytes: env.DB_BUFFER_BYTES,
    flushIntervalMs: env.FRAME_FLUSH_MS,
    durableFrameRows: env.FRAME_ROW_COMMIT === "sync",
    onFrameDropped: async (frame) => {
      await store.delete(frame.storageKey);
    },
  });
  const zoomApps = new ZoomApps({
    db,
    keyring,
    apiBase: env.ZOOM_API_BASE,
    oauthBase: env.ZOOM_OAUTH_BASE,
    log,
  });
  const controlBus = new ControlBus(redisOptions, log);

  const roomsDeps: RoomsDeps = {
    db,
    zoomApps,
    queues,
    metrics,
    log: log.child({ component: "rooms" }),
    attempts: env.ROOM_JOB_ATTEMPTS,
    backoffMs: env.ROOM_JOB_BACKOFF_MS,
    confirmTimeoutMs: env.ROOM_CONFIRM_TIMEOUT_MS,
  };
  const runners = new CaptureRunners({
    // One team cannot fill every capture slot (TEAM_MAX_SESSIONS, counted across workers).
    teamSlots: new TeamSlots({ redis, keyPrefix: prefix, maxPerTeam: env.TEAM_MAX_SESSIONS }),
    capRetryMs: env.TEAM_CAP_RETRY_MS,
    // However a session ends, the rooms it asked in are told to leave.
    onSessionEnded: (session) => enqueueRoomLeaves(roomsDeps, session),
  });
  const captureProcessor = runners.processor({
    db,
    store,
    writer,
    zoomApps,
    controlBus,
    metrics,
    log: log.child({ component: "capture" }),
    workerId: env.WORKER_ID,
    openStream:
      overrides.openStream ??
      rtmsStreamOpener({
        metrics,
        flood: { maxErrors: env.RTMS_PROTOCOL_ERROR_LIMIT, windowMs: env.RTMS_PROTOCOL_ERROR_WINDOW_MS },
      }),
    maxSessionMs: env.MAX_SESSION_HOURS * 3_600_000,
    allowedHosts: env.RTMS_ALLOWED_HOSTS,
    backlog,
    frameHoldMs: env.FRAME_HOLD_MS,
    frameRefreshMs: env.FRAME_REFRESH_MS,
    storage: storage.guard,
    shedder,
    onMediaReady: async (session) => {
      await enqueueRoomJoins(roomsDeps, session);
    },
  });

  const workers = [
    new Worker(QueueName.capture, captureProcessor, {
      connection,
      prefix,
      concurrency: env.WORKER_CONCURRENCY,
      lockDuration: env.CAPTURE_LOCK_MS,
      stalledInterval: env.CAPTURE_STALLED_CHECK_MS,
      maxStalledCount: CAPTURE_MAX_STALLED_COUNT,
    }),
    new Worker(
      QueueName.zoomEvents,
      (job: Job) =>
        processZoomEvent(job, {
          db,
          queues,
          redis,
          keyPrefix: prefix,
          metrics,
          onSessionEnded: (session) => enqueueRoomLeaves(roomsDeps, session),
          log: log.child({ component: "intake" }),
        }),
      { connection, prefix, concurrency: env.WORKER_JOB_CONCURRENCY },
    ),
    new Worker(QueueName.rooms, (job: Job, token?: string) => processRoomsJob(job, token, roomsDeps), {
      connection,
      prefix,
      concurrency: env.WORKER_JOB_CONCURRENCY,
    }),
    new Worker(
      QueueName.retention,
      (job: Job) =>
        processRetentionJob(job, {
          db,
          store,
          log: log.child({ component: "retention" }),
          batchSize: env.RETENTION_BATCH_SIZE,
        }),
      { connection, prefix, concurrency: 1 },
    ),
  ];
  workers[0]!.on("lockRenewalFailed", (jobIds) => {
    log.error({ jobIds }, "capture job locks lost: releasing those sessions");
    void runners.lockLost(jobIds);
  });
  for (const worker of workers) {
    // Always attached: an unhandled 'error' would crash the process, and failures must be visible.
    worker.on("error", (err) => log.error({ err, queue: worker.name }, "queue worker error"));
    worker.on("failed", (job, err) =>
      log.warn(
        {
          queue: worker.name,
          jobId: job?.id,
          attemptsMade: job?.attemptsMade,
          err: { message: err.message },
        },
        "job failed",
      ),
    );
  }

  const leases = new EventWsLeases({
    db,
    redis,
    log: log.child({ component: "event-ws" }),
    workerId: env.WORKER_ID,
    leaseMs: env.EVENT_WS_LEASE_MS,
    keyPrefix: prefix,
    open: (target) =>
      openEventSubscription(target, {
        zoomApps,
        oauthBase: env.ZOOM_OAUTH_BASE,
        allowedHosts: env.RTMS_ALLOWED_HOSTS,
        queues,
        log: log.child({ component: "event-ws", teamId: target.teamId }),
      }),
  });
  await leases.start();
  // Outbound webhooks (issue 14): their own queue and worker, closed after the capture workers.
  const outbound = startOutboundWebhooks({
    db,
    keyring,
    connection,
    ...(prefix ? { prefix } : {}),
    log: log.child({ component: "outbound-webhooks" }),
    config: {
      allowHosts: parseAllowHosts(env.OUTBOUND_WEBHOOK_ALLOW_HOSTS),
      attempts: env.OUTBOUND_WEBHOOK_ATTEMPTS,
      backoffMs: env.OUTBOUND_WEBHOOK_BACKOFF_MS,
      disableAfter: env.OUTBOUND_WEBHOOK_DISABLE_AFTER,
      timeoutMs: 10_000,
      scanMs: env.OUTBOUND_WEBHOOK_SCAN_MS,
      lookbackMs: 15 * 60_000,
      concurrency: env.WORKER_JOB_CONCURRENCY,
      ...(env.PUBLIC_BASE_URL ? { frameEvents: { baseUrl: env.PUBLIC_BASE_URL } } : {}),
    },
  });
  if (env.RETENTION_SWEEP_MS > 0) await queues.scheduleRetention(env.RETENTION_SWEEP_MS);

  const health = await startHealthServer({
    host: env.HEALTH_HOST,
    port: env.HEALTH_PORT,
    metrics,
    log,
    checks: {
      database: async () => {
        await db.$queryRaw`SELECT 1`;
      },
      redis: async () => {
        await redis.ping();
      },
      // Not the teams' Zoom credentials: one team's bad S2S app must not take the worker out of service.
      // Those show per team in capture_zoom_credentials_ok (below).
    },
    beforeScrape: async () => {
      for (const queue of [queues.capture, queues.zoomEvents, queues.rooms]) {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed");
        for (const [state, n] of Object.entries(counts))
          metrics.queueDepth.set({ queue: queue.name, state }, n);
      }
    },
  });
  const credentialsTimer = setInterval(() => void checkCredentials(), env.ZOOM_CREDENTIALS_CHECK_MS);
  credentialsTimer.unref();
  const reportedCredentials = new Set<string>();
  async function checkCredentials() {
    try {
      const results = await zoomApps.checkTokens();
      for (const r of results) {
        metrics.zoomCredentialsOk.set({ team_id: r.teamId }, r.ok ? 1 : 0);
        // Logged when a team's state changes, not on every check.
        if (!r.ok && !reportedCredentials.has(r.teamId))
          log.warn({ teamId: r.teamId, err: { message: r.error } }, "team's Zoom S2S credentials fail");
        if (r.ok && reportedCredentials.has(r.teamId))
          log.info({ teamId: r.teamId }, "team's Zoom S2S credentials work again");
        if (r.ok) reportedCredentials.delete(r.teamId);
        else reportedCredentials.add(r.teamId);
      }
    } catch (err) {
      log.warn({ err }, "could not check the teams' Zoom credentials");
    }
  }
  void checkCredentials();
  log.info({ workerId: env.WORKER_ID, concurrency: env.WORKER_CONCURRENCY }, "worker ready");

  let closing: Promise<void> | undefined;
  return {
    healthPort: health.port,
    close() {
      closing ??= (async () => {
        log.info({ sessions: runners.size }, "worker closing: releasing sessions for another worker");
        clearInterval(credentialsTimer);
        // close() stops fetching first, then waits for active jobs; releasing makes the capture jobs end.
        const stopping = workers.map((w) => w.close());
        await runners.releaseAll();
        await Promise.all(stopping);
        await leases.close();
        await outbound.close();
        await writer.close();
        shedder.stop();
        await storage.close();
        await controlBus.close();
        await queues.close();
        redis.disconnect();
        await health.close();
        await db.$disconnect();
        log.info("worker closed");
      })();
      return closing;
    },
  };
}
