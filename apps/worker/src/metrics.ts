// Prometheus metrics of one worker process. One registry per Metrics instance (tests can build several);
// every counter the issue asks for lives here so /metrics is the one place operators look.
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type FrameDropReason =
  | "policy" // the frame policy said no (the normal case)
  | "db_buffer_overflow" // kept, stored, then dropped because the database stayed away too long
  | "store_error" // the frame store refused the write
  | "backlog" // the store fell behind the stream; refused to bound memory
  | "decode_error" // the base64 was not an image
  | "not_image" // not a JPEG/PNG of sane size and dimensions (capture_frames_rejected_total says why)
  | "quota" // the session's team is at its storage quota (Team.quotaBytes)
  | "low_disk"; // the worker's local frame store is below its free-space floor

export class Metrics {
  readonly registry = new Registry();

  readonly activeSessions = new Gauge({
    name: "capture_active_sessions",
    help: "Capture sessions this worker currently runs",
    registers: [this.registry],
  });
  readonly framesOffered = new Counter({
    name: "capture_frames_offered_total",
    help: "Video frames received from Zoom",
    registers: [this.registry],
  });
  readonly framesKept = new Counter({
    name: "capture_frames_kept_total",
    help: "Frames the policy kept (decoded and written to the store)",
    registers: [this.registry],
  });
  readonly framesStored = new Counter({
    name: "capture_frames_stored_total",
    help: "Frames with both a file and a database row",
    registers: [this.registry],
  });
  readonly framesEvicted = new Counter({
    name: "capture_frames_evicted_total",
    help: "Stored frames the policy later evicted (file and row deleted)",
    registers: [this.registry],
  });
  readonly framesDropped = new Counter({
    name: "capture_frames_dropped_total",
    help: "Frames not stored, by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: "capture_reconnects_total",
    help: "RTMS reconnections, by cause",
    labelNames: ["cause"] as const,
    registers: [this.registry],
  });
  readonly keepAliveLatency = new Histogram({
    name: "capture_keepalive_answer_seconds",
    help: "Time from a keep-alive request's arrival to our answer",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly keepAliveAge = new Histogram({
    name: "capture_keepalive_request_age_seconds",
    help: "Age of a keep-alive request when answered, by the server's timestamp (meaningful when clocks agree)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly frameToRowLatency = new Histogram({
    name: "capture_frame_to_row_seconds",
    help: "Time from a frame's arrival to its row being committed (held frames include the hold)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  readonly finalToRowLatency = new Histogram({
    name: "capture_final_to_row_seconds",
    help: "Time from a frame becoming final (arrival, or the flush of a held frame) to its row being committed",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 5, 30],
    registers: [this.registry],
  });
  readonly storePutLatency = new Histogram({
    name: "capture_store_put_seconds",
    help: "Time a frame store put took, from the call to the object being in place",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly roomActions = new Counter({
    name: "capture_room_actions_total",
    help: "Room join/leave attempts, by kind and outcome",
    labelNames: ["kind", "outcome"] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "capture_queue_depth",
    help: "Jobs per queue and state",
    labelNames: ["queue", "state"] as const,
    registers: [this.registry],
  });
  readonly dbBufferBytes = new Gauge({
    name: "capture_db_buffer_bytes",
    help: "Estimated bytes of rows waiting for the database",
    registers: [this.registry],
  });
  #elu: EventLoopUtilization = performance.eventLoopUtilization();
  /** Lag says how late timers ran; this says how close the loop is to having no time left at all. */
  readonly eventLoopUtilization = new Gauge({
    name: "capture_event_loop_utilization",
    help: "Share of wall time the event loop was busy (0 to 1) since the previous scrape",
    registers: [this.registry],
    collect: () => {
      const now = performance.eventLoopUtilization();
      this.eventLoopUtilization.set(performance.eventLoopUtilization(now, this.#elu).utilization);
      this.#elu = now;
    },
  });
  readonly shedGapMs = new Gauge({
    name: "capture_shed_gap_ms",
    help: "0 while frames are not shed; else the least time between two kept frames of one participant (ms)",
    registers: [this.registry],
  });
  /** What the store backlog holds, read at every scrape (watchStoreBacklog). */
  #storeBacklog?: () => { held: number; writing: number };
  readonly storeBacklogBytes = new Gauge({
    name: "capture_store_backlog_bytes",
    help: "Bytes of kept frames in memory, not yet in the frame store: held until final, or being written",
    labelNames: ["state"] as const,
    registers: [this.registry],
    collect: () => {
      const now = this.#storeBacklog?.();
      if (!now) return;
      this.storeBacklogBytes.set({ state: "held" }, now.held);
      this.storeBacklogBytes.set({ state: "writing" }, now.writing);
    },
  });
  readonly dbWriteFailures = new Counter({
    name: "capture_db_write_failures_total",
    help: "Batch writes that failed and will be retried",
    registers: [this.registry],
  });

  readonly framesSuperseded = new Counter({
    name: "capture_frames_superseded_total",
    help: "Kept frames a keep-newest policy replaced while still held in memory (never written, never deleted)",
    registers: [this.registry],
  });
  readonly heldFlushes = new Counter({
    name: "capture_held_flushes_total",
    help: "Writes of a participant's held frames, by why they became final",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly framesRejected = new Counter({
    name: "capture_frames_rejected_total",
    help: "Kept frames refused before storing because they are not a sane JPEG/PNG, by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly storeRetries = new Counter({
    name: "capture_store_retries_total",
    help: "Frame store calls tried again after a transient failure (S3 store), by operation",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  readonly fileOps = new Counter({
    name: "capture_file_ops_total",
    help: "Frame store operations (put, delete) issued by capture sessions",
    labelNames: ["op"] as const,
    registers: [this.registry],
  });
  readonly coverage = new Gauge({
    name: "capture_coverage_ratio",
    help: "Per session: participants whose camera was on that have at least one kept frame, over all of them",
    labelNames: ["session_id", "mode"] as const,
    registers: [this.registry],
  });
  readonly timeToFirstFrame = new Histogram({
    name: "capture_time_to_first_frame_seconds",
    help: "From a participant's camera coming on to their first kept frame",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly videoSubscriptions = new Counter({
    name: "capture_video_subscriptions_total",
    help: "Individual-video subscription switches (msg 28 answered OK or 44)",
    registers: [this.registry],
  });
  readonly videoSubscriptionRefusals = new Counter({
    name: "capture_video_subscription_refusals_total",
    help: "msg 29 refusals, by status code",
    labelNames: ["status_code"] as const,
    registers: [this.registry],
  });

  // Trust boundaries (issue 9): hostile Zoom-side input, tenant isolation, limits.
  readonly zoomInputRefused = new Counter({
    name: "capture_zoom_input_refused_total",
    help: "Frames and msg 6 events dropped at the Zoom-text boundary, by kind and reason",
    labelNames: ["kind", "reason"] as const,
    registers: [this.registry],
  });
  readonly protocolErrors = new Counter({
    name: "capture_protocol_errors_total",
    help: "Unreadable RTMS messages, by socket and error code (all counted, a sample logged)",
    labelNames: ["socket", "code"] as const,
    registers: [this.registry],
  });
  readonly streamsDisconnected = new Counter({
    name: "capture_streams_disconnected_total",
    help: "Streams the worker ended itself, by reason (protocol_flood, max_length)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly rowsQuarantined = new Counter({
    name: "capture_rows_quarantined_total",
    help: "Rows the database refused with a data error, dropped so other rows keep flowing, by kind",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly crossTeamEvents = new Counter({
    name: "capture_cross_team_events_refused_total",
    help: "Zoom events refused because the stream belongs to another team (or another meeting), by event",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });
  readonly teamCapDeferrals = new Counter({
    name: "capture_team_cap_deferrals_total",
    help: "Capture jobs put back because their team was at its concurrent-session cap",
    registers: [this.registry],
  });
  readonly zoomCredentialsOk = new Gauge({
    name: "capture_zoom_credentials_ok",
    help: "Per team: 1 when its Server-to-Server credentials got a token at the last check, else 0",
    labelNames: ["team_id"] as const,
    registers: [this.registry],
  });

  // Storage limits (issue 13): the low-disk guard of the local store.
  readonly localStoreLowDisk = new Gauge({
    name: "capture_local_store_low_disk",
    help: "1 while the local frame store's free space is below its floor (new frames are not written)",
    registers: [this.registry],
  });
  readonly localStoreFreeBytes = new Gauge({
    name: "capture_local_store_free_bytes",
    help: "Free bytes of the local frame store's disk at the last reading, less what was written since",
    registers: [this.registry],
  });
  readonly localStoreFloorBytes = new Gauge({
    name: "capture_local_store_floor_bytes",
    help: "The free-space floor below which capture stops writing (LOCAL_STORE_MIN_FREE_*)",
    registers: [this.registry],
  });
  readonly lowDiskDeletedFrames = new Counter({
    name: "capture_low_disk_deleted_frames_total",
    help: "Oldest frames (any team) deleted by LOCAL_STORE_DELETE_OLDEST to stay above the floor",
    registers: [this.registry],
  });

  watchStoreBacklog(read: () => { held: number; writing: number }) {
    this.#storeBacklog = read;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
